#!/usr/bin/env bash
# Backfill benchmark: erc20-indexer from an empty database to the head of an anvil chain, against
# the floor (a minimal client that only fetches and counts the same logs), on the same chain in the
# same run.
#
#   bench/backfill.sh [--transfers N] [--holders N] [--tokens N] [--quick] [--rebuild] [--repeat R]
#                     [--per-block N] [--per-tx N] [--seed S] [--daemon-args "ARGS"]
#                     [--floor-range BLOCKS] [--floor-concurrency C] [--keep]
#
#   --transfers N     ERC20 Transfer events in the chain (default 1000000)
#   --holders N       holder addresses, every one of them credited (default 100000; 10000 with --quick)
#   --tokens N        tokens (default 50), activity Zipf(1.1)
#   --quick           100000 transfers, 10000 holders (unless given)
#   --rebuild         build the chain again even if it is cached
#   --repeat R        time the floor and the indexer R times each, alternating (default 1)
#   --per-block N     transfers per block (default 1000), --per-tx N transfers per transaction (50)
#   --daemon-args "A" extra arguments of `erc20-indexer run` (e.g. "--max-range 20")
#   --floor-range B   blocks per eth_getLogs of the floor (default: ~5,000 logs per request)
#   --floor-concurrency C  floor requests in flight (default 4)
#   --keep            keep the work folder (databases, logs)
#
# 1. Chain (cached): bench/backfill-chain.mjs fills an anvil (tests/e2e/node_modules) with
#    ManyTransfers tokens (bench/contracts/ManyTransfers.sol): treasury mints, an airdrop to every
#    holder, then power-law moves with consistent balances. anvil dumps it with --dump-state into
#    bench/.cache/chain-<parameters>-<hash>/state.json (gitignored); later runs --load-state it
#    (blocks, logs and hashes survive a reload) unless --rebuild or the contract, the builder or
#    anvil changed. 1M transfers took 10 min to build on 2 cores (anvil recomputes the state root
#    over the whole state at every block, so the time grows with blocks x state, hence the dense
#    1000-transfer blocks); the dump is 0.9 GB and reloads in ~6 s.
# 2. Floor: bench/floor.mjs, eth_getLogs over block ranges with C requests in flight on keep-alive
#    connections, counting logs without parsing; then once with --parse (JSON.parse every answer).
# 3. Indexer: a copy of $ERC20_INDEXER_BIN (default build/erc20-indexer) taken at the start,
#    `run --rpc-url ... --db <fresh> --log-level info`, /v1/status polled every 0.1 s until block ==
#    head; its transfers must equal the floor's count. Peak RSS is VmHWM of /proc/PID/status; CPU
#    from /proc/PID/stat. Then SIGTERM, `erc20-indexer compact` (daemon stopped), database size per
#    transfer, and `erc20-indexer verify --sample 20` (indexed balances vs balanceOf).
# Prints the machine (nproc, CPU model, load average: the figures are wall times, so a busy machine
# slows both sides), how the chain was built, and per run wall time, transfers/s, ratio, RSS, size.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

TRANSFERS=""
HOLDERS=""
TOKENS=50
QUICK=0
REBUILD=0
REPEAT=1
PER_BLOCK=1000
PER_TX=50
SEED=1
DAEMON_ARGS=""
FLOOR_RANGE=""
FLOOR_CONC=4
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --transfers) TRANSFERS=$2; shift 2 ;;
    --holders) HOLDERS=$2; shift 2 ;;
    --tokens) TOKENS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --rebuild) REBUILD=1; shift ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --per-block) PER_BLOCK=$2; shift 2 ;;
    --per-tx) PER_TX=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --daemon-args) DAEMON_ARGS=$2; shift 2 ;;
    --floor-range) FLOOR_RANGE=$2; shift 2 ;;
    --floor-concurrency) FLOOR_CONC=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "backfill.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$QUICK" = 1 ]; then
  TRANSFERS=${TRANSFERS:-100000}
  HOLDERS=${HOLDERS:-10000}
fi
TRANSFERS=${TRANSFERS:-1000000}
HOLDERS=${HOLDERS:-100000}
for v in TRANSFERS HOLDERS TOKENS REPEAT PER_BLOCK PER_TX SEED FLOOR_CONC; do
  if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then echo "backfill.sh: bad value for $v: ${!v}" >&2; exit 2; fi
done
[ -z "$FLOOR_RANGE" ] || [[ $FLOOR_RANGE =~ ^[1-9][0-9]*$ ]] || { echo "backfill.sh: bad --floor-range" >&2; exit 2; }
# ~5,000 logs per floor request (5 blocks at 1,000 transfers per block).
FLOOR_RANGE=${FLOOR_RANGE:-$(( (5000 + PER_BLOCK - 1) / PER_BLOCK ))}

say() { echo "[backfill.sh $(date +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%s\", $* }"; }
fmt() { awk -v x="$1" -v d="${2:-1}" 'BEGIN { printf "%.*f", d, x }'; }
jget() { # jget FILE EXPR -> value of the JSON in FILE
  node -e "const j=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'));const v=($2);console.log(typeof v==='object'?JSON.stringify(v):v)" "$1"
}
clk_tck=$(getconf CLK_TCK)
proc_cpu() { # utime + stime of PID in seconds
  awk -v t="$clk_tck" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat" 2>/dev/null || echo 0
}
proc_kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
rpc_call() { # rpc_call URL METHOD PARAMS-JSON -> raw answer
  curl -sf -m 30 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" "$1"
}

# ---- prerequisites ------------------------------------------------------------------------------
command -v node >/dev/null || { echo "backfill.sh: node is missing (scripts/install-deps.sh build node)" >&2; exit 1; }
command -v curl >/dev/null || { echo "backfill.sh: curl is missing" >&2; exit 1; }
[ -d tests/e2e/node_modules/solc ] || (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
ANVIL=${ANVIL_BIN:-$REPO/tests/e2e/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil}
[ -x "$ANVIL" ] || { echo "backfill.sh: anvil not found at $ANVIL" >&2; exit 1; }
BIN_SRC=${ERC20_INDEXER_BIN:-$REPO/build/erc20-indexer}
[ -x "$BIN_SRC" ] || { say "building the daemon"; scripts/build.sh >/dev/null; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/erc20-backfill-bench.XXXXXX")
ANVIL_PID=""
DAEMON_PID=""
cleanup() {
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; fi
  if [ -n "$ANVIL_PID" ] && kill -0 "$ANVIL_PID" 2>/dev/null; then kill "$ANVIL_PID"; wait "$ANVIL_PID" 2>/dev/null || true; fi
  if [ "$KEEP" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Pin the binary: colleagues may rebuild build/ while this runs.
BIN=$WORK/erc20-indexer
cp "$BIN_SRC" "$BIN"
BIN_INFO="$("$BIN" --version 2>&1 | head -1), $BIN_SRC built $(stat -c %y "$BIN_SRC" | cut -d. -f1) (source tree now at git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- . 2>/dev/null || echo ', with local changes'))"

start_anvil() { # start_anvil extra-args... ; sets ANVIL_PID, RPC
  local port
  port=$(free_port)
  "$ANVIL" --host 127.0.0.1 --port "$port" --accounts 10 --no-mining --quiet --gas-limit 2000000000 "$@" \
    >>"$WORK/anvil.log" 2>&1 &
  ANVIL_PID=$!
  RPC="http://127.0.0.1:$port"
}
wait_rpc() { # wait until eth_blockNumber answers; prints the head
  local r
  for _ in $(seq 1 6000); do
    if r=$(rpc_call "$RPC" eth_blockNumber '[]' 2>/dev/null); then
      node -e "console.log(Number(JSON.parse(process.argv[1]).result))" "$r"
      return 0
    fi
    kill -0 "$ANVIL_PID" 2>/dev/null || { cat "$WORK/anvil.log" >&2; return 1; }
    sleep 0.1
  done
  return 1
}
stop_anvil() {
  kill -TERM "$ANVIL_PID"
  wait "$ANVIL_PID" 2>/dev/null || true
  ANVIL_PID=""
}

# ---- chain (cached) -----------------------------------------------------------------------------
ANVIL_VERSION=$("$ANVIL" --version | head -1 | sed "s/ Version://")
KEY=$( { cat bench/contracts/ManyTransfers.sol bench/backfill-chain.mjs; echo "$ANVIL_VERSION"; } | sha256sum | cut -c1-10)
CACHE=$REPO/bench/.cache/chain-t$TRANSFERS-h$HOLDERS-k$TOKENS-b$PER_BLOCK-x$PER_TX-s$SEED-$KEY
mkdir -p "$CACHE"
if [ "$REBUILD" = 1 ] || [ ! -s "$CACHE/state.json" ] || [ ! -s "$CACHE/meta.json" ]; then
  rm -f "$CACHE/state.json" "$CACHE/meta.json" "$CACHE/state.json.tmp"
  say "building the chain: $TRANSFERS transfers, $HOLDERS holders, $TOKENS tokens, $PER_BLOCK transfers per block"
  T0=$(now)
  # --prune-history: no per-block state snapshots (2.7 GB of RSS for 100k transfers without it);
  # blocks, receipts and logs are kept and dumped all the same.
  start_anvil --prune-history --dump-state "$CACHE/state.json.tmp"
  wait_rpc >/dev/null
  node bench/backfill-chain.mjs --rpc-url "$RPC" --transfers "$TRANSFERS" --holders "$HOLDERS" --tokens "$TOKENS" \
    --per-block "$PER_BLOCK" --per-tx "$PER_TX" --seed "$SEED" >"$WORK/chain.json" 2> >(tee "$CACHE/build.log" >&2)
  T1=$(now)
  ANVIL_RSS_BUILD=$(proc_kb "$ANVIL_PID" VmHWM)
  HEAD_HASH=$(rpc_call "$RPC" eth_getBlockByNumber '["latest",false]' | node -e "console.log(JSON.parse(require('fs').readFileSync(0)).result.hash)")
  stop_anvil   # writes the dump
  T2=$(now)
  [ -s "$CACHE/state.json.tmp" ] || { echo "backfill.sh: anvil wrote no state dump" >&2; cat "$WORK/anvil.log" >&2; exit 1; }
  mv "$CACHE/state.json.tmp" "$CACHE/state.json"
  node -e "
    const fs=require('fs'); const j=JSON.parse(fs.readFileSync(process.argv[1],'utf8'));
    Object.assign(j,{head_hash:process.argv[2],build_wall_s:+(+process.argv[3]).toFixed(1),dump_s:+(+process.argv[4]).toFixed(1),
      anvil:process.argv[5],anvil_peak_rss_kb:+process.argv[6],built_at:new Date().toISOString(),machine:process.argv[7]});
    fs.writeFileSync(process.argv[8], JSON.stringify(j)+'\n');" \
    "$WORK/chain.json" "$HEAD_HASH" "$(calc "$T1 - $T0")" "$(calc "$T2 - $T1")" "$ANVIL_VERSION" "${ANVIL_RSS_BUILD:-0}" \
    "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$CACHE/meta.json"
  CACHED="built now"
else
  CACHED="cached, built $(jget "$CACHE/meta.json" j.built_at)"
fi
META=$CACHE/meta.json
HEAD=$(jget "$META" j.head)
NTRANSFERS=$(jget "$META" j.transfers)

say "loading the chain: $CACHE/state.json ($(du -h "$CACHE/state.json" | cut -f1))"
T0=$(now)
start_anvil --load-state "$CACHE/state.json"
LOADED_HEAD=$(wait_rpc)
T1=$(now)
LOAD_S=$(calc "$T1 - $T0")
[ "$LOADED_HEAD" = "$HEAD" ] || { echo "backfill.sh: reloaded head $LOADED_HEAD, expected $HEAD" >&2; exit 1; }
GOT_HASH=$(rpc_call "$RPC" eth_getBlockByNumber "[\"$(printf '0x%x' "$HEAD")\",false]" | node -e "console.log(JSON.parse(require('fs').readFileSync(0)).result.hash)")
[ "$GOT_HASH" = "$(jget "$META" j.head_hash)" ] || { echo "backfill.sh: reloaded head hash $GOT_HASH differs from the built chain's" >&2; exit 1; }
say "anvil $RPC (pid $ANVIL_PID) answers at head $HEAD after $(fmt "$LOAD_S") s"

# ---- runs ---------------------------------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
FLOOR_WALLS=()
FLOOR_COUNT=""
PARSE_LINE=""
IDX_WALLS=()
CHECKS_FAILED=0

run_floor() { # run_floor [--parse] -> JSON line on stdout
  local a0 a1 out
  a0=$(proc_cpu "$ANVIL_PID")
  out=$(node bench/floor.mjs --rpc-url "$RPC" --from 0 --to "$HEAD" --range "$FLOOR_RANGE" --concurrency "$FLOOR_CONC" "$@")
  a1=$(proc_cpu "$ANVIL_PID")
  node -e "const j=JSON.parse(process.argv[1]); j.anvil_cpu_s=+(process.argv[2]-process.argv[3]).toFixed(2); console.log(JSON.stringify(j))" "$out" "$a1" "$a0"
}

run_indexer() { # run_indexer I -> sets IDX_* variables
  local i=$1 port db log t0 a0 a1 w
  port=$(free_port)
  db=$WORK/db-$i
  log=$WORK/daemon-$i.log
  a0=$(proc_cpu "$ANVIL_PID")
  t0=$(date +%s%3N)
  # shellcheck disable=SC2086
  "$BIN" run --rpc-url "$RPC" --db "$db" --listen "127.0.0.1:$port" --log-level info $DAEMON_ARGS 2>"$log" &
  DAEMON_PID=$!
  w=$WORK/wait-$i.json
  node bench/backfill-wait.mjs --url "http://127.0.0.1:$port" --pid "$DAEMON_PID" --head "$HEAD" --t0-ms "$t0" \
    --timeline "$WORK/timeline-$i.txt" >"$w" || { echo "backfill.sh: the daemon did not reach block $HEAD: $(cat "$w")" >&2; tail -20 "$log" >&2; exit 1; }
  a1=$(proc_cpu "$ANVIL_PID")
  IDX_ANVIL_CPU=$(calc "$a1 - $a0")
  IDX_WALL=$(jget "$w" j.wall_s)
  IDX_TRANSFERS=$(jget "$w" j.transfers)
  IDX_CPU=$(proc_cpu "$DAEMON_PID")
  IDX_HWM_KB=$(proc_kb "$DAEMON_PID" VmHWM)
  IDX_FIRST=$(jget "$w" j.first_block_s)
  IDX_STALL=$(jget "$w" j.longest_stall_s)
  IDX_STALL_AT=$(jget "$w" j.stall_after_block)
  IDX_CHANGES=$(jget "$w" j.changes)
  IDX_ROCKS_STALL=$(grep -h 'Cumulative stall' "$db/LOG" 2>/dev/null | tail -1 | sed 's/^ *Cumulative stall: *//; s/ H:M:S//' || true)
  # Stop the daemon, then compact and measure with it stopped. --listen points at its (now closed)
  # port so the admin commands open the database directly, never another daemon's API.
  t0=$(now)
  kill -TERM "$DAEMON_PID"
  wait "$DAEMON_PID" || { echo "backfill.sh: the daemon exited with $? on SIGTERM" >&2; CHECKS_FAILED=1; }
  DAEMON_PID=""
  IDX_STOP_S=$(calc "$(now) - $t0")
  IDX_DB_BEFORE=$(du -sb "$db" | cut -f1)
  t0=$(now)
  "$BIN" compact --db "$db" --listen "127.0.0.1:$port" --json >"$WORK/compact-$i.json" 2>>"$log"
  IDX_COMPACT_S=$(calc "$(now) - $t0")
  IDX_DB_SST=$(jget "$WORK/compact-$i.json" j.db_size_bytes_after)
  IDX_DB_AFTER=$(du -sb "$db" | cut -f1)
  IDX_VERIFY=$("$BIN" verify --db "$db" --listen "127.0.0.1:$port" --rpc-url "$RPC" --sample 20 --json 2>>"$log" |
    node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8')); console.log('verify: '+j.checked+' balances checked against balanceOf, '+j.mismatches.length+' mismatches')" ||
    echo "verify FAILED (see $log)")
  [[ $IDX_VERIFY == *" 0 mismatches" ]] || CHECKS_FAILED=1
  IDX_WARN=$(grep -cE '^[0-9-]+ [0-9:.]+ (warn|error|critical)' "$log" || true)
  [ "$KEEP" = 1 ] || rm -rf "$db"
}

SECTION_FLOOR=()
SECTION_IDX=()
for i in $(seq 1 "$REPEAT"); do
  say "run $i/$REPEAT: floor (range $FLOOR_RANGE blocks, $FLOOR_CONC in flight)"
  F=$(run_floor)
  FW=$(node -e "console.log(JSON.parse(process.argv[1]).seconds)" "$F")
  FC=$(node -e "console.log(JSON.parse(process.argv[1]).logs)" "$F")
  FLOOR_WALLS+=("$FW")
  if [ "$FC" != "$NTRANSFERS" ]; then echo "backfill.sh: the floor counted $FC logs, the chain has $NTRANSFERS" >&2; CHECKS_FAILED=1; fi
  if [ -z "$FLOOR_COUNT" ]; then FLOOR_COUNT=$FC; elif [ "$FC" != "$FLOOR_COUNT" ]; then echo "backfill.sh: floor counts differ: $FC vs $FLOOR_COUNT" >&2; CHECKS_FAILED=1; fi
  SECTION_FLOOR+=("$(node -e "const j=JSON.parse(process.argv[1]);console.log(\`  floor  run $i: \${j.logs} logs in \${j.seconds.toFixed(2)} s = \${j.logs_per_s} transfers/s, \${j.mb_per_s} MB/s of JSON, \${j.requests} requests; CPU: floor \${j.cpu_s} s, anvil \${j.anvil_cpu_s} s\`)" "$F")")
  say "${SECTION_FLOOR[-1]# }"
  if [ "$i" = 1 ]; then
    P=$(run_floor --parse)
    PARSE_LINE=$(node -e "const j=JSON.parse(process.argv[1]);console.log(\`  floor with JSON.parse of every answer: \${j.transfers} transfers in \${j.seconds.toFixed(2)} s = \${j.logs_per_s} transfers/s; CPU: floor \${j.cpu_s} s, anvil \${j.anvil_cpu_s} s\`)" "$P")
    say "${PARSE_LINE# }"
  fi

  say "run $i/$REPEAT: erc20-indexer from an empty database to block $HEAD${DAEMON_ARGS:+ ($DAEMON_ARGS)}"
  run_indexer "$i"
  IDX_WALLS+=("$IDX_WALL")
  if [ "$IDX_TRANSFERS" != "$FLOOR_COUNT" ]; then
    echo "backfill.sh: MISMATCH: the daemon indexed $IDX_TRANSFERS transfers, the floor counted $FLOOR_COUNT" >&2
    CHECKS_FAILED=1
  fi
  if [ "$IDX_CHANGES" -gt 1 ]; then
    PROGRESS="longest wait between two block changes seen by /v1/status (polled every 0.1 s) $(fmt "$IDX_STALL" 1) s, after block $IDX_STALL_AT"
  else
    PROGRESS="no intermediate progress: the status went from 503 (nothing indexed) straight to the head"
  fi
  SECTION_IDX+=("$(printf '  indexer run %d: %s transfers in %s s = %s transfers/s (%sx the floor'"'"'s time); CPU: daemon %s s, anvil %s s; peak RSS (VmHWM) %s MiB\n      first block applied after %s s; %s; RocksDB write stalls %s; stop on SIGTERM %s s; %s warn/error log lines\n      database: %s bytes/transfer after compact (%s bytes; compact reports %s = %s bytes/transfer; %s bytes/transfer before compact; compact took %s s); %s' \
    "$i" "$IDX_TRANSFERS" "$(fmt "$IDX_WALL" 2)" "$(fmt "$(calc "$IDX_TRANSFERS / $IDX_WALL")" 0)" "$(fmt "$(calc "$IDX_WALL / $FW")" 1)" \
    "$IDX_CPU" "$(fmt "$IDX_ANVIL_CPU" 2)" "$(fmt "$(calc "$IDX_HWM_KB / 1024")" 0)" "$(fmt "${IDX_FIRST:-0}" 1)" "$PROGRESS" "${IDX_ROCKS_STALL:-?}" \
    "$(fmt "$IDX_STOP_S" 1)" "$IDX_WARN" \
    "$(fmt "$(calc "$IDX_DB_AFTER / $IDX_TRANSFERS")" 1)" "$IDX_DB_AFTER" "$IDX_DB_SST" "$(fmt "$(calc "$IDX_DB_SST / $IDX_TRANSFERS")" 1)" \
    "$(fmt "$(calc "$IDX_DB_BEFORE / $IDX_TRANSFERS")" 1)" "$(fmt "$IDX_COMPACT_S" 1)" "$IDX_VERIFY")")
  say "${SECTION_IDX[-1]# }"
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
FM=$(median "${FLOOR_WALLS[@]}")
IM=$(median "${IDX_WALLS[@]}")

# ---- report -------------------------------------------------------------------------------------
{
echo
echo "== erc20-indexer backfill benchmark =="
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM; load average $LOAD_START at the start, $LOAD_END at the end (shared machine: wall times are noisy)"
echo "daemon: $BIN_INFO${DAEMON_ARGS:+; extra arguments: $DAEMON_ARGS}"
node -e "
const j=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'));
console.log(\`chain: \${j.transfers} ERC20 Transfer events, \${j.holders} holders (all credited), \${j.tokens} ManyTransfers tokens (busiest \${(100*j.busiest_token_share).toFixed(0)}% of the moves), blocks \${j.first_block}..\${j.head} (\${j.per_block} transfers per block, \${j.per_tx} per transaction, \${j.txs} transactions, \${(j.gas_used/1e9).toFixed(1)} Ggas)\`);
console.log(\`       built in \${j.build_wall_s} s (+ \${j.dump_s} s to write the dump) with \${j.anvil} on \${j.machine}, anvil peak RSS \${Math.round(j.anvil_peak_rss_kb/1024)} MiB; \${process.argv[2]}\`);
" "$META" "$CACHED"
echo "       state $CACHE/state.json, $(du -b "$CACHE/state.json" | cut -f1) bytes; --load-state took $(fmt "$LOAD_S") s; floor ranges of $FLOOR_RANGE blocks, $FLOOR_CONC in flight"
printf '%s\n' "${SECTION_FLOOR[@]}"
echo "$PARSE_LINE"
printf '%s\n' "${SECTION_IDX[@]}"
echo "summary (median of $REPEAT): floor $(fmt "$FM" 2) s = $(fmt "$(calc "$FLOOR_COUNT / $FM")" 0) transfers/s; indexer $(fmt "$IM" 2) s = $(fmt "$(calc "$FLOOR_COUNT / $IM")" 0) transfers/s; ratio indexer/floor $(fmt "$(calc "$IM / $FM")" 1)x"
} | tee "$WORK/report.txt"
echo "daemon log of the last run (kept in $WORK with --keep): warn/error lines, then progress lines"
grep -E '^[0-9-]+ [0-9:.]+ (warn|error|critical)' "$WORK/daemon-$REPEAT.log" | head -20 || echo "  (no warn/error line)"
grep -E 'backfilling:|following:|eth_getLogs' "$WORK/daemon-$REPEAT.log" | tail -12 || echo "  (no progress line before the daemon was stopped at the head)"
[ "$CHECKS_FAILED" = 0 ] || { echo "some checks failed (see above)"; exit 1; }
