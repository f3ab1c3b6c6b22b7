#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test (unit and e2e)
# through ctest. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build node
echo "== npm packages for the e2e tests (anvil, solc, OpenZeppelin)"
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
echo "== build"
scripts/build.sh -DERC20_WERROR=ON
echo "== tests"
cd build
ctest --output-on-failure -j2 "$@"
