#!/usr/bin/env bash
# The scale benchmark of issue #13 (docs/performance.md, "The scale benchmark").
#
#   bench/scale.sh [--mode replay] [--transfers N] [--db DIR] [--log FILE] [scale options...]
#
#   --mode replay   (default) build/bench/scale: a generated mainnet-shaped chain of N transfers
#                   (default 100,000,000) through rpc::decode_logs, indexer::BatchWriter and
#                   Store::apply into a fresh database, then the queries of #13 through api::Router,
#                   at 1M, 10M and 100M transfers (those below N) and at the end.
#   --mode node     not yet: the synthetic JSON-RPC node serving the same chain to the daemon.
#   --db DIR        fresh database folder (default: bench/.cache/scale-db-N, removed first)
#   --log FILE      also write the output here
# Other options go to build/bench/scale (--seed, --addresses, --tokens, --queries,
# --query-budget-s, --write-batch-mb). The binary is $ERC20_SCALE_BIN (default build/bench/scale);
# it is built when missing. The benchmark runs niced; the figures are wall times, so a busy machine
# lowers them: the load average is printed first.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=replay transfers=100000000 db="" log="" args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) mode=$2; shift 2 ;;
        --transfers) transfers=$2; shift 2 ;;
        --db) db=$2; shift 2 ;;
        --log) log=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) args+=("$1"); shift ;;
    esac
done
if [ "$mode" != replay ]; then
    echo "scale.sh: --mode $mode: not yet (only replay is implemented)" >&2
    exit 2
fi
bin=${ERC20_SCALE_BIN:-build/bench/scale}
if [ ! -x "$bin" ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j"$(nproc)" --target erc20_bench_scale
fi
db=${db:-bench/.cache/scale-db-$transfers}
rm -rf "$db"
mkdir -p "$(dirname "$db")"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(df -h "$(dirname "$db")" | awk 'NR==2 {print $4}') free where the database goes"
if [ -n "$log" ]; then
    nice "$bin" --transfers "$transfers" --db "$db" "${args[@]}" 2>&1 | tee "$log"
else
    nice "$bin" --transfers "$transfers" --db "$db" "${args[@]}"
fi
echo "database kept in $db ($(du -sh "$db" | cut -f1))"
