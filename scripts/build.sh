#!/usr/bin/env bash
# Configures and builds erc20-indexer into build/ (Release). Extra arguments go to CMake.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/web-deps.sh  # the dashboard's uPlot, embedded by the build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
