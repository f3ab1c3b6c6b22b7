#!/usr/bin/env bash
# Installs what is needed, builds, and runs the daemon in the foreground.
#
#   scripts/run.sh --rpc-url http://127.0.0.1:8545 [run options]   # your node
#   scripts/run.sh [run options]                                   # a local demo chain
#
# Without --rpc-url (or ERC20_INDEXER_RPC_URL, or a --config file) it starts a
# demo chain: anvil from npm with three OpenZeppelin ERC20 tokens and live
# transfers, and indexes it into ./data-demo (wiped at each start: every demo
# chain is new). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

own_node=false
for a in "$@"; do
  case "$a" in --rpc-url|--rpc-url=*|--config|--config=*) own_node=true ;; esac
done
[ -n "${ERC20_INDEXER_RPC_URL:-}${ERC20_INDEXER_CONFIG:-}" ] && own_node=true

if $own_node; then
  scripts/install-deps.sh build node  # node: npm fetches the dashboard's chart library
  scripts/build.sh -DERC20_BUILD_TESTS=OFF  # the daemon only: no test binaries to wait for
  exec build/erc20-indexer run "$@"
fi

scripts/install-deps.sh build node
scripts/build.sh -DERC20_BUILD_TESTS=OFF
(cd tests/e2e && [ -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ] || npm ci --no-audit --no-fund --loglevel=error)

port=${DEMO_CHAIN_PORT:-8545}
listen=127.0.0.1:8547
for ((i = 1; i <= $#; i++)); do
  case "${!i}" in
    --listen) j=$((i + 1)); listen=${!j} ;;
    --listen=*) listen=${!i#--listen=} ;;
  esac
done
demo_db=./data-demo
rm -rf "$demo_db"
state=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting a demo chain on 127.0.0.1:$port (anvil, 3 tokens, live transfers)"
node scripts/demo-chain.mjs --port "$port" > "$state/chain.json" &
pids+=($!)
for _ in $(seq 1 120); do
  [ -s "$state/chain.json" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the demo chain failed to start (is port $port free? set DEMO_CHAIN_PORT)" >&2; exit 1; }
  sleep 0.5
done
token=$(node -e 'const c=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));for(const t of c.tokens)console.error(`   ${t.symbol.padEnd(5)} ${t.address}  ${t.name}`);console.log(c.tokens[0].address)' "$state/chain.json")

echo "== starting erc20-indexer (database $demo_db, API on http://$listen)"
build/erc20-indexer run --rpc-url "http://127.0.0.1:$port" --db "$demo_db" --poll-interval-ms 1000 "$@" &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fs "http://$listen/healthz" >/dev/null 2>&1 && break
  kill -0 "${pids[1]}" 2>/dev/null || exit 1
  sleep 0.2
done
cat <<MSG

== erc20-indexer is following the demo chain. Open the dashboard in a browser:
   http://$listen/            (the API reference: http://$listen/docs)
or try:
   curl -s http://$listen/v1/status
   curl -s http://$listen/v1/tokens/$token/holders?limit=5
   curl -s http://$listen/v1/tokens/$token
Ctrl-C stops the daemon and the demo chain.

MSG
wait "${pids[1]}"
