#!/usr/bin/env bash
# The scale benchmark of issue #13 (docs/performance.md, "The scale benchmark").
#
#   bench/scale.sh [--mode replay|node] [--transfers N] [--db DIR] [--log FILE] [options...]
#
#   --mode replay   (default) build/bench/scale: a generated mainnet-shaped chain of N transfers
#                   (default 100,000,000) through rpc::decode_logs, indexer::BatchWriter and
#                   Store::apply into a fresh database, then the queries of #13 through api::Router,
#                   at 1M, 10M and 100M transfers (those below N) and at the end.
#   --mode node     the whole daemon (build/erc20-indexer) end to end against build/bench/scale_node,
#                   a synthetic JSON-RPC node serving the same chain as a provider would (10,000-log
#                   cap with Infura's -32005 refusals, near-saturated blooms, eth_call metadata);
#                   bench/scale-node.mjs samples /v1/status and VmHWM, then runs the queries over
#                   HTTP and checks the answers against the generator's figures.
#   --db DIR        fresh database folder (default: bench/.cache/scale-db-N or scale-node-db-N,
#                   removed first)
#   --log FILE      also write the output here
# Replay: other options go to build/bench/scale (--seed, --addresses, --tokens, --queries,
# --query-budget-s, --write-batch-mb). Node: --seed, --queries, --query-budget-s, --interval-ms go
# to bench/scale-node.mjs, and anything after -- to `erc20-indexer run`. The binaries are
# $ERC20_SCALE_BIN (default build/bench/scale), $ERC20_SCALE_NODE_BIN (build/bench/scale_node) and
# $ERC20_DAEMON_BIN (build/erc20-indexer); they are built when missing. The benchmark runs niced;
# the figures are wall times, so a busy machine lowers them: the load average is printed first.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=replay transfers=100000000 db="" log="" args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) mode=$2; shift 2 ;;
        --transfers) transfers=$2; shift 2 ;;
        --db) db=$2; shift 2 ;;
        --log) log=$2; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        --) args+=("$@"); break ;;
        *) args+=("$1"); shift ;;
    esac
done
run() {
    if [ -n "$log" ]; then nice "$@" 2>&1 | tee "$log"; else nice "$@"; fi
}
machine() {
    echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(df -h "$(dirname "$db")" | awk 'NR==2 {print $4}') free where the database goes"
}
case "$mode" in
    replay)
        bin=${ERC20_SCALE_BIN:-build/bench/scale}
        if [ ! -x "$bin" ]; then
            cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
            cmake --build build -j"$(nproc)" --target erc20_bench_scale
        fi
        db=${db:-bench/.cache/scale-db-$transfers}
        rm -rf "$db"
        mkdir -p "$(dirname "$db")"
        machine
        run "$bin" --transfers "$transfers" --db "$db" "${args[@]}"
        ;;
    node)
        node_bin=${ERC20_SCALE_NODE_BIN:-build/bench/scale_node}
        daemon_bin=${ERC20_DAEMON_BIN:-build/erc20-indexer}
        if [ ! -x "$node_bin" ] || [ ! -x "$daemon_bin" ]; then
            cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
            cmake --build build -j"$(nproc)" --target erc20_bench_scale_node erc20-indexer
        fi
        db=${db:-bench/.cache/scale-node-db-$transfers}
        rm -rf "$db" "$db".*
        mkdir -p "$(dirname "$db")"
        machine
        # The driver starts both processes, stops them by PID and removes the node's chain file.
        run node bench/scale-node.mjs --transfers "$transfers" --db "$db" --node-bin "$node_bin" \
            --daemon-bin "$daemon_bin" "${args[@]}"
        ;;
    *)
        echo "scale.sh: --mode $mode: unknown (replay or node)" >&2
        exit 2
        ;;
esac
echo "database kept in $db ($(du -sh "$db" | cut -f1))"
