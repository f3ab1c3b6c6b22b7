#!/usr/bin/env bash
# The dashboard's npm packages (web/package-lock.json: uPlot), which the build
# embeds into the binary (web/CMakeLists.txt). Runs `npm ci` in web/ when
# web/node_modules is missing or older than the lockfile; quiet otherwise.
# Needs node and npm (scripts/install-deps.sh node).
set -euo pipefail
cd "$(dirname "$0")/../web"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  command -v npm >/dev/null || { echo "web-deps.sh: npm is needed for the dashboard's packages (scripts/install-deps.sh node)" >&2; exit 2; }
  echo "== npm packages for the dashboard (web/)"
  npm ci --no-audit --no-fund --loglevel=error
fi
