#!/usr/bin/env bash
# Configures (once) and builds a CMakePresets.json preset quietly: its output
# goes to build-NAME/build.log and is shown only when the build fails.
# Usage: scripts/build-preset.sh NAME   (asan, tsan, fuzz, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1
dir=build-$name
scripts/web-deps.sh  # the dashboard's uPlot, embedded by the build
mkdir -p "$dir"
if ! { { [ -f "$dir/CMakeCache.txt" ] || cmake --preset "$name"; } && cmake --build --preset "$name"; } \
    >"$dir/build.log" 2>&1; then
  tail -50 "$dir/build.log" >&2
  echo "building the $name preset failed (log $dir/build.log)" >&2
  exit 1
fi
