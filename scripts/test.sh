#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test (unit and e2e)
# through ctest; then the unit tests under ASan + UBSan, a fuzz smoke run of
# every fuzz/ target, and e2e tests against a TSan build of the daemon.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build node sanitizers
echo "== npm packages for the e2e tests (anvil, solc, OpenZeppelin)"
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
echo "== build"
scripts/build.sh -DERC20_WERROR=ON
echo "== tests"
(cd build && ctest --output-on-failure -j2 "$@")
echo "== unit tests under ASan + UBSan (build-asan/)"
cmake --preset asan >/dev/null
cmake --build --preset asan >/dev/null
ctest --preset asan
echo "== fuzz smoke: every fuzz/ target for 8 s (build-fuzz/)"
scripts/fuzz.sh 8
echo "== e2e against the daemon under TSan (build-tsan/)"
scripts/tsan.sh
