#!/usr/bin/env bash
# Installs the Debian 12 packages erc20-indexer needs. Usage:
#   scripts/install-deps.sh build       # compiler, CMake and the libraries
#   scripts/install-deps.sh build node  # ... plus Node.js and npm (demo chain, e2e tests)
#   scripts/install-deps.sh sanitizers  # clang-14 and its runtimes: libFuzzer (fuzz/), ASan, UBSan
#   scripts/install-deps.sh lint        # clang-format-14, clang-tidy-14 (scripts/lint.sh) and clang-14
#   scripts/install-deps.sh tools       # the analysts' and operators' tools the e2e tests run for real:
#                                       # promtool (prometheus), pandas (python3-pandas) and the
#                                       # browser of the dashboard tests (chromium)
#   scripts/install-deps.sh clickhouse  # ClickHouse 18.16 (clickhouse-server; it holds the only binary
#                                       # needed, the tests speak HTTP, no clickhouse-client) for the
#                                       # ClickHouse sink's e2e tests (tests/e2e/lib/clickhouse.mjs): they
#                                       # run their own servers on free ports, never the package's service
# Packages already installed are skipped, so a prepared machine needs no network.
set -euo pipefail

pkgs=()
for group in "$@"; do
  case "$group" in
    build) pkgs+=(g++ make cmake pkg-config ca-certificates
                  librocksdb-dev libcurl4-openssl-dev libsimdjson-dev zlib1g-dev
                  libboost-dev libboost-program-options-dev libspdlog-dev catch2 libsystemd-dev) ;;
    sanitizers) pkgs+=(clang-14 libclang-rt-14-dev) ;;
    lint) pkgs+=(clang-format-14 clang-tidy-14 clang-14) ;;
    tools) pkgs+=(prometheus python3-pandas chromium) ;;
    clickhouse) pkgs+=(clickhouse-server) ;;
    node)  command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm) ;;
    *) echo "install-deps.sh: unknown group '$group' (build, node, sanitizers, lint, tools, clickhouse)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
