#!/usr/bin/env bash
# The daemon's memory while it serves the heaviest answers of a large
# database (#13 point 4): `erc20-indexer run` with default options on an
# existing --db (bench/scale's, say), no node needed (it retries the node and
# serves the API meanwhile). For the token with the most transfers: a full
# NDJSON export current and at past blocks, distributions current and at past
# blocks, holder pages at past blocks; after each, the answer's time and size
# and the daemon's VmRSS and VmHWM.
#
#   bench/serve-memory.sh --db DIR [--port N] [--blocks K] [-- options of erc20-indexer run]
#
#   --db DIR     the database (opened read-write by the daemon; nothing is written
#                while no node answers)
#   --blocks K   past blocks to ask at (default 3), spread over the token's blocks
#   --port N     API port (default 18547)
# The daemon is $ERC20_DAEMON_BIN (default build/erc20-indexer), stopped by PID at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
db="" port=18547 blocks=3 args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --db) db=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --blocks) blocks=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        --) shift; args+=("$@"); break ;;
        *) echo "serve-memory.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$db" ] && [ -d "$db" ] || { echo "serve-memory.sh: --db DIR (an existing database) needed" >&2; exit 2; }
bin=${ERC20_DAEMON_BIN:-build/erc20-indexer}
log=$(mktemp /tmp/serve-memory.XXXXXX.log)
"$bin" run --db "$db" --rpc-url http://127.0.0.1:1 --listen "127.0.0.1:$port" "${args[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$log"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 600); do
    curl -sf "$base/v1/status" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.5
done
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }
mib() { awk -v v="$1" 'BEGIN {printf "%.1f", v / 1024}'; }
ask() {  # ask LABEL PATH: time, bytes and lines of the answer, then RSS and HWM
    local out
    out=$(curl -s -o /tmp/serve-memory.body -w '%{http_code} %{time_total} %{size_download}' "$base$2")
    read -r code secs bytes <<<"$out"
    local rows=-
    case "$2" in *format=ndjson*) rows=$(wc -l </tmp/serve-memory.body) ;; esac
    printf '%-46s %4s %9.2f s %12s bytes %9s rows   VmRSS %8s MiB  VmHWM %8s MiB\n' "$1" "$code" "$secs" \
        "$bytes" "$rows" "$(mib "$(kib VmRSS)")" "$(mib "$(kib VmHWM)")"
}
token=$(curl -s "$base/v1/tokens?order=transfers&limit=1" | sed -n 's/.*"address":"\(0x[0-9a-f]*\)".*/\1/p' | head -1)
first=$(curl -s "$base/v1/tokens/$token" | sed -n 's/.*"first_block":\([0-9]*\).*/\1/p')
last=$(curl -s "$base/v1/tokens/$token" | sed -n 's/.*"last_block":\([0-9]*\).*/\1/p')
holders=$(curl -s "$base/v1/tokens/$token" | sed -n 's/.*"holders":\([0-9]*\).*/\1/p')
echo "daemon pid $pid, token $token: $holders holders, blocks $first..$last; VmRSS $(mib "$(kib VmRSS)") MiB after the start"
ask "holders page (limit=100)" "/v1/tokens/$token/holders?limit=100"
ask "distribution (current)" "/v1/tokens/$token/distribution"
ask "holders export (ndjson, current)" "/v1/tokens/$token/holders?format=ndjson"
for k in $(seq 1 "$blocks"); do
    n=$((first + (last - first) * k / (blocks + 1)))
    ask "holders?block=$n&limit=100" "/v1/tokens/$token/holders?block=$n&limit=100"
    ask "distribution?block=$n" "/v1/tokens/$token/distribution?block=$n"
    ask "holders export ?block=$n (ndjson)" "/v1/tokens/$token/holders?block=$n&format=ndjson"
done
ask "transfers export (ndjson, last 10,000 blocks)" "/v1/tokens/$token/transfers?format=ndjson&from_block=$((last > 10000 ? last - 10000 : 0))"
rm -f /tmp/serve-memory.body
echo "peak: VmHWM $(mib "$(kib VmHWM)") MiB"
