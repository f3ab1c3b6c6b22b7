#!/usr/bin/env bash
# Builds the daemon under ThreadSanitizer (the tsan preset, into build-tsan/)
# and runs end-to-end tests against it, so that the threads of a real run are
# checked: the writer thread and the fetch workers of a backfill, the metadata
# worker, the HTTP server's threads with paging pins and exports, and the
# admin actions (rollback, reindex, backup, compact) racing the indexer.
# Fails when a test fails or TSan reports anything (reports are kept in
# build-tsan/tsan-reports/). Usage:
#   scripts/tsan.sh [E2E_TEST...]     # default: core admin api
# Needs tests/e2e/node_modules (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(core admin api)

if [ ! -f build-tsan/CMakeCache.txt ]; then
  cmake --preset tsan >/dev/null
fi
cmake --build --preset tsan >/dev/null

reports=$PWD/build-tsan/tsan-reports
rm -rf "$reports"
mkdir -p "$reports"
# log_path: one file per process that reported (the daemon and the admin
# command-line runs); none at all is the pass condition. exitcode=0: a report
# must not change how the daemon exits, since the tests check exit codes and
# this script checks the reports.
export TSAN_OPTIONS="log_path=$reports/tsan second_deadlock_stack=1 exitcode=0 ${TSAN_OPTIONS:-}"
failed=0
for t in "${tests[@]}"; do
  echo "== TSan: e2e $t"
  rc=0
  ERC20_INDEXER_BIN="$PWD/build-tsan/erc20-indexer" node "tests/e2e/$t.test.mjs" >"build-tsan/e2e-$t.log" 2>&1 || rc=$?
  tail -2 "build-tsan/e2e-$t.log"
  [ "$rc" -eq 0 ] || { failed=1; echo "tsan.sh: e2e $t failed (exit $rc), log build-tsan/e2e-$t.log" >&2; }
done
if compgen -G "$reports/tsan*" >/dev/null; then
  echo "tsan.sh: ThreadSanitizer reports ($(ls "$reports" | wc -l) process(es)):" >&2
  for f in "$reports"/tsan*; do grep -E '^(WARNING|SUMMARY)' "$f" >&2; done
  echo "full reports in $reports" >&2
  failed=1
fi
[ "$failed" -eq 0 ] && echo "tsan.sh: no ThreadSanitizer report, every test passed"
exit "$failed"
