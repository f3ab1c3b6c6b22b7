#!/usr/bin/env bash
# Soak test: follow a chain with steady traffic for a given time while random reorgs and node
# faults are injected and every route is queried; exact at every checkpoint and at the end, and
# the daemon's RSS, open files and threads (sampled every minute) must not grow.
#
#   bench/soak.sh [--minutes N] [--seed S] [other options of tests/soak/soak.mjs]
#
# Default 60 minutes, seed 1. Builds nothing: uses $ERC20_INDEXER_BIN, default build/erc20-indexer.
# Other options (see tests/soak/soak.mjs): --fault-rate R (0.05), --reorg-every-s S (120),
# --outage-every-s S (600), --checkpoint-every-s S (300), --sample-every-s S (60),
# --daemon-log FILE (the daemon's whole log; the run keeps only a tail).
# Prints a line per sample and a summary table at the end (docs/soak.md has the figures of a run);
# exit code 0 only if every check passed and nothing grew. Run it niced on a shared machine:
#   nohup nice -n 5 bench/soak.sh >/tmp/soak.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."

ARGS=()
MINUTES=60
SEED=1
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done

export ERC20_INDEXER_BIN=${ERC20_INDEXER_BIN:-$PWD/build/erc20-indexer}
[ -x "$ERC20_INDEXER_BIN" ] || { echo "soak.sh: no daemon binary at $ERC20_INDEXER_BIN (build it or set ERC20_INDEXER_BIN)" >&2; exit 2; }
command -v node >/dev/null || { echo "soak.sh: node is missing" >&2; exit 2; }
[ -d tests/e2e/node_modules ] || { echo "soak.sh: tests/e2e/node_modules is missing: (cd tests/e2e && npm ci)" >&2; exit 2; }
echo "[soak.sh] $(date -u +%FT%TZ) $MINUTES minutes, seed $SEED, binary $ERC20_INDEXER_BIN ($("$ERC20_INDEXER_BIN" --version 2>/dev/null || echo '?'))"
exec node tests/soak/soak.mjs --minutes "$MINUTES" --seed "$SEED" ${ARGS[@]+"${ARGS[@]}"}
