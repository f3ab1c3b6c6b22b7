#!/usr/bin/env bash
# Query benchmark of the HTTP API with wrk.
#
#   bench/query.sh [--holders N] [--duration S] [--connections C] [--threads T] [--keep]
#
# 1. Builds a chain on a local anvil (bench/query-chain.mjs): one AirdropToken
#    (bench/contracts/AirdropToken.sol, compiled with the e2e solc-js) with N holders (default
#    100,000), each credited by a Transfer from 0x0; the first N/5 are credited again later, so
#    they have balance history at two blocks.
# 2. Runs the daemon ($ERC20_INDEXER_BIN, default build/erc20-indexer) on it and waits until the
#    head is indexed.
# 3. Runs wrk (installed with apt-get when missing) with C connections (default 32) for S seconds
#    (default 10) on each of:
#      holders page       /v1/tokens/T/holders?limit=100                      (first page)
#      holders deep page  /v1/tokens/T/holders?limit=100&cursor=...           (random depth)
#      single balance     /v1/tokens/T/holders/{random holder}
#      historical balance /v1/tokens/T/holders/{random holder}?block={random block}
#      transfers page     /v1/tokens/T/transfers?from_block={random block}&limit=100
#      account history    /v1/accounts/{random holder}/tokens/T/history       (1-2 items)
#      flows page         /v1/tokens/T/flows?from_block=A&to_block=B&order=... (50 random ranges:
#                         each computed once, then its pages come from the query cache)
#      series             /v1/tokens/T/series?from_block=A&to_block=B&step=(B-A+1)/100&activity=false
#                         (50 random ranges, ~100 items each, computed for every request)
#      chain series       /v1/series?from_block=A&to_block=B&step=(B-A+1)/100
#                         (50 random ranges, ~100 items each, computed for every request)
#    and prints requests/s and p50/p99 latency of each (wrk --latency), then the targets on 2
#    cores: >= 20,000 req/s for a single balance, p99 < 5 ms for a holders page.
# 4. Times answers the query cache cannot give, one at a time (each with parameters not asked
#    before): distribution plain, with percentiles=true, with lorenz=100, flows over the
#    whole chain, a 100-item series with its activity figures (every transfer read) and a
#    10-item series with distribution=true; prints the mean and the slowest of 5.
# Exit code 0 when every request answered 200, whatever the figures; the target lines say PASS/MISS.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

HOLDERS=100000
DURATION=10
CONNECTIONS=32
THREADS=2
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --holders) HOLDERS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "query.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

BIN=${ERC20_INDEXER_BIN:-$REPO/build/erc20-indexer}
say() { echo "[query.sh] $*" >&2; }

# ---- prerequisites ------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "query.sh: wrk is missing; run as root or install sudo" >&2; exit 1; }
    sudo=(sudo)
  fi
  say "installing wrk"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends wrk
fi
command -v node >/dev/null || { echo "query.sh: node is missing (scripts/install-deps.sh build node)" >&2; exit 1; }
command -v curl >/dev/null || { echo "query.sh: curl is missing" >&2; exit 1; }
[ -d tests/e2e/node_modules ] || (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
[ -x "$BIN" ] || { say "building the daemon"; scripts/build.sh >/dev/null; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/erc20-query-bench.XXXXXX")
CHAIN_PID=""
DAEMON_PID=""
cleanup() {
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
  [ -n "$CHAIN_PID" ] && kill "$CHAIN_PID" 2>/dev/null && wait "$CHAIN_PID" 2>/dev/null || true
  if [ "$KEEP" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
json() { node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8'));const v=($1);console.log(typeof v==='object'?JSON.stringify(v):v)"; }

# ---- chain --------------------------------------------------------------------------------------
say "building the chain: $HOLDERS holders"
node bench/query-chain.mjs --port "$(free_port)" --holders "$HOLDERS" >"$WORK/chain.json" 2>"$WORK/chain.log" &
CHAIN_PID=$!
for _ in $(seq 1 600); do
  [ -s "$WORK/chain.json" ] && break
  kill -0 "$CHAIN_PID" 2>/dev/null || { cat "$WORK/chain.log" >&2; exit 1; }
  sleep 0.5
done
[ -s "$WORK/chain.json" ] || { echo "query.sh: the chain was not ready within 300 s" >&2; cat "$WORK/chain.log" >&2; exit 1; }
RPC=$(json j.rpc_url <"$WORK/chain.json")
TOKEN=$(json j.token <"$WORK/chain.json")
HEAD=$(json j.head <"$WORK/chain.json")
TRANSFERS=$(json j.transfers <"$WORK/chain.json")
BLOCKS=$(json "j.blocks.join(' ')" <"$WORK/chain.json")
say "chain: head $HEAD, token $TOKEN, $TRANSFERS transfers"

# ---- daemon -------------------------------------------------------------------------------------
PORT=$(free_port)
API="http://127.0.0.1:$PORT"
T0=$(date +%s.%N)
"$BIN" run --rpc-url "$RPC" --db "$WORK/db" --listen "127.0.0.1:$PORT" --poll-interval-ms 200 --log-level warn \
  >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 1200); do
  b=$(curl -sf "$API/v1/status" 2>/dev/null | json 'j.block ?? -1' 2>/dev/null || echo -1)
  [ "$b" -ge "$HEAD" ] 2>/dev/null && break
  kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/daemon.log" >&2; exit 1; }
  sleep 0.25
done
[ "$b" -ge "$HEAD" ] || { echo "query.sh: the daemon did not reach block $HEAD" >&2; exit 1; }
T1=$(date +%s.%N)
HOLDER_COUNT=$(curl -sf "$API/v1/tokens/$TOKEN" | json j.holders)
say "daemon indexed $TRANSFERS transfers in $(node -e "console.log(($T1-$T0).toFixed(1))") s; $HOLDER_COUNT holders; db $(du -sh "$WORK/db" | cut -f1)"
sleep 1   # let total_supply and the first compactions settle

# ---- request lists ------------------------------------------------------------------------------
# 2,000 holders spread over the whole list (every 50th), and 200 cursors at random depths.
node - "$API" "$TOKEN" "$WORK" "$BLOCKS" "$HEAD" <<'EOF'
const [api, token, work, blocksArg, headArg] = process.argv.slice(2);
const fs = require('fs');
const blocks = blocksArg.split(' ').map(Number);
const get = async (p) => { const r = await fetch(api + p); if (r.status !== 200) throw new Error(`${p}: ${r.status}`); return r.json(); };
(async () => {
  const holders = [];
  const cursors = [];
  let cursor = null;
  let page = 0;
  do {
    const j = await get(`/v1/tokens/${token}/holders?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    j.items.forEach((it, i) => { if (i % 50 === 0) holders.push(it.address); });
    cursor = j.next_cursor;
    page++;
  } while (cursor);
  // Cursors of 100-item pages at every 5th page (a walk pins one snapshot; its cursors stay valid
  // and, once the pin expires, continue on the current snapshot).
  cursor = null;
  let n = 0;
  do {
    const j = await get(`/v1/tokens/${token}/holders?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    cursor = j.next_cursor;
    if (cursor && n++ % 5 === 0) cursors.push(cursor);
  } while (cursor);
  const lua = (name, paths) => fs.writeFileSync(`${work}/${name}.lua`,
    `local paths = {\n${paths.map((p) => `  "${p}",`).join('\n')}\n}\nlocal n = #paths\n` +
    `local threads = 0\nsetup = function(thread)\n  threads = threads + 1\n  thread:set("id", threads)\nend\n` +
    `init = function(args)\n  math.randomseed(os.time() * 1000 + id)\nend\n` +
    `request = function()\n  return wrk.format("GET", paths[math.random(n)])\nend\n`);
  const lo = blocks[0];
  const hi = Number(headArg);
  const rnd = (a, b) => a + Math.floor(Math.random() * (b - a + 1));
  lua('holders_deep', cursors.map((c) => `/v1/tokens/${token}/holders?limit=100&cursor=${c}`));
  lua('balance', holders.map((a) => `/v1/tokens/${token}/holders/${a}`));
  lua('historical', holders.map((a) => `/v1/tokens/${token}/holders/${a}?block=${rnd(lo, hi)}`));
  lua('account_history', holders.map((a) => `/v1/accounts/${a}/tokens/${token}/history`));
  lua('flows', Array.from({ length: 50 }, () => {
    const a = rnd(lo, hi);
    const b = rnd(a, hi);
    return `/v1/tokens/${token}/flows?from_block=${a}&to_block=${b}&order=${Math.random() < 0.5 ? 'gain' : 'loss'}&limit=100`;
  }));
  lua('series', Array.from({ length: 50 }, () => {
    const a = rnd(lo, hi);
    const b = rnd(a, hi);
    return `/v1/tokens/${token}/series?from_block=${a}&to_block=${b}&step=${Math.max(1, Math.ceil((b - a + 1) / 100))}&activity=false`;
  }));
  lua('chain_series', Array.from({ length: 50 }, () => {
    const a = rnd(lo, hi);
    const b = rnd(a, hi);
    return `/v1/series?from_block=${a}&to_block=${b}&step=${Math.max(1, Math.ceil((b - a + 1) / 100))}`;
  }));
  lua('transfers', Array.from({ length: 500 }, () => `/v1/tokens/${token}/transfers?from_block=${rnd(lo, hi)}&limit=100`));
  console.error(`[query.sh] request lists: ${holders.length} holders, ${cursors.length} cursors, blocks ${lo}..${hi}`);
})().catch((e) => { console.error(e); process.exit(1); });
EOF

# Every URL of the lists answers 200 (a 4xx would make the figures meaningless).
for f in balance historical account_history transfers holders_deep flows series chain_series; do
  p=$(grep -m1 '^  "' "$WORK/$f.lua" | sed 's/^  "\(.*\)",$/\1/')
  code=$(curl -s -o /dev/null -w '%{http_code}' "$API$p")
  [ "$code" = 200 ] || { echo "query.sh: $API$p answered $code" >&2; exit 1; }
done

# ---- wrk ----------------------------------------------------------------------------------------
RESULTS=()
FAIL=0
run() { # name, url-or-script
  local name=$1 target=$2 out
  if [[ $target == *.lua ]]; then
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$target" "$API" 2>&1)
  else
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$API$target" 2>&1)
  fi
  echo "$out" >"$WORK/wrk-$name.txt"
  local rps p50 p99 non2xx errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  errors=$(awk '/Socket errors:/ {print}' <<<"$out")
  if [ -n "$non2xx" ] || [ -n "$errors" ]; then
    FAIL=1
    say "$name: non-2xx $non2xx; $errors"
  fi
  RESULTS+=("$(printf '%-20s %12s %10s %10s' "$name" "$rps" "$p50" "$p99")")
  printf '%s\n' "${RESULTS[-1]}" >&2
  eval "RPS_${name//[^a-z]/_}=$rps; P99_${name//[^a-z]/_}=$p99"
}

say "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s per endpoint, on $(nproc) cores"
run holders_page "/v1/tokens/$TOKEN/holders?limit=100"
run holders_deep_page "$WORK/holders_deep.lua"
run single_balance "$WORK/balance.lua"
run historical_balance "$WORK/historical.lua"
run transfers_page "$WORK/transfers.lua"
run account_history "$WORK/account_history.lua"
run flows_page "$WORK/flows.lua"
run series "$WORK/series.lua"
run chain_series "$WORK/chain_series.lua"

# ---- answers computed afresh --------------------------------------------------------------------
COLD=()
cold() { # name, path prefix (a distinct exclude= or from_block= is appended per request)
  local name=$1 path=$2 times=() i t
  for i in 1 2 3 4 5; do
    t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$API$path$(printf "$3" "$i")")
    [ "${t%% *}" = 200 ] || { echo "query.sh: $API$path answered ${t%% *}" >&2; exit 1; }
    times+=("${t#* }")
  done
  COLD+=("$(printf '%-28s %10s %10s' "$name" "$(node -e "const a=process.argv.slice(1).map(Number);console.log((a.reduce((s,x)=>s+x,0)/a.length*1000).toFixed(1))" "${times[@]}")" "$(node -e "console.log((Math.max(...process.argv.slice(1).map(Number))*1000).toFixed(1))" "${times[@]}")")")
  printf '%s\n' "${COLD[-1]}" >&2
}
EX='&exclude=0x00000000000000000000000000000000000000e%s'
cold distribution "/v1/tokens/$TOKEN/distribution" "?exclude=0x00000000000000000000000000000000000000e%s"
cold distribution_percentiles "/v1/tokens/$TOKEN/distribution?percentiles=true" "$EX"
cold distribution_lorenz100 "/v1/tokens/$TOKEN/distribution?lorenz=100" "$EX"
cold flows_whole_chain "/v1/tokens/$TOKEN/flows?to_block=$HEAD&limit=100" '&from_block=%s'
cold series_100_activity "/v1/tokens/$TOKEN/series?to_block=$HEAD&step=$((HEAD / 100 + 1))" '&from_block=%s'
cold series_10_distribution "/v1/tokens/$TOKEN/series?to_block=$HEAD&step=$((HEAD / 10 + 1))&distribution=true&activity=false" '&from_block=%s'

to_ms() { # wrk latency (e.g. 812.00us, 1.25ms, 2.01s) -> milliseconds
  node -e "const s='$1';const m=/^([0-9.]+)(us|ms|s|m)$/.exec(s);if(!m){console.log('NaN');process.exit()}const f={us:0.001,ms:1,s:1000,m:60000}[m[2]];console.log(+m[1]*f)"
}

echo
echo "erc20-indexer query benchmark: $HOLDER_COUNT holders, $TRANSFERS transfers, head $HEAD; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on $(nproc) cores"
printf '%-20s %12s %10s %10s\n' endpoint "requests/s" p50 p99
printf '%s\n' "${RESULTS[@]}"
echo
printf '%-28s %10s %10s\n' "computed afresh" "mean ms" "max ms"
printf '%s\n' "${COLD[@]}"
echo
bal=${RPS_single_balance%.*}
p99ms=$(to_ms "$P99_holders_page")
if [ "${bal:-0}" -ge 20000 ]; then echo "target single balance >= 20000 req/s: PASS ($RPS_single_balance)"; else echo "target single balance >= 20000 req/s: MISS ($RPS_single_balance)"; fi
if node -e "process.exit(($p99ms) < 5 ? 0 : 1)"; then echo "target holders page p99 < 5 ms: PASS ($P99_holders_page)"; else echo "target holders page p99 < 5 ms: MISS ($P99_holders_page)"; fi
[ "$FAIL" = 0 ] || { echo "some requests failed (see above)"; exit 1; }
