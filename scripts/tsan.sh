#!/usr/bin/env bash
# Builds the daemon under ThreadSanitizer (the tsan preset, into build-tsan/)
# and runs end-to-end tests against it, so that the threads of a real run are
# checked: the writer thread and the fetch workers of a backfill, the metadata
# worker, the HTTP server's threads with paging pins and exports, and the
# admin actions (rollback, reindex, backup, compact: jobs on the admin
# worker thread) racing the indexer, with paged walks answered during a
# reindex. Left out of the default list, though TSan reported nothing of ours
# in it: `jobs` (its check that answers stay under 200 ms during a slow
# verify holds on an idle box at TSan speed, 2026-12-02, but not under
# load; `scripts/tsan.sh jobs` runs it).
# Fails when a test fails or TSan reports anything (reports are kept in
# build-tsan/tsan-reports/). Usage:
#   scripts/tsan.sh [E2E_TEST...]     # default: core admin api
# E2E_SLOW (default 3) stretches the tests' global deadlines and workloads for
# the slower TSan build (tests/e2e/lib/harness.mjs), never their assertions.
# Needs tests/e2e/node_modules (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(core admin api)

scripts/build-preset.sh tsan

reports=$PWD/build-tsan/tsan-reports
rm -rf "$reports"
mkdir -p "$reports"
# log_path: one file per process that reported (the daemon and the admin
# command-line runs); none at all is the pass condition. exitcode=0: a report
# must not change how the daemon exits, since the tests check exit codes and
# this script checks the reports.
# suppressions: scripts/tsan.supp, each entry with why it is not our race.
export TSAN_OPTIONS="log_path=$reports/tsan second_deadlock_stack=1 exitcode=0 suppressions=$PWD/scripts/tsan.supp ${TSAN_OPTIONS:-}"
export E2E_SLOW="${E2E_SLOW:-3}"
# The tests skip what a sanitizer build cannot show (glibc malloc figures: TSan brings its own allocator).
export ERC20_E2E_SANITIZER=thread
failed=0
for t in "${tests[@]}"; do
  echo "== TSan: e2e $t"
  rc=0
  ERC20_INDEXER_BIN="$PWD/build-tsan/erc20-indexer" node "tests/e2e/$t.test.mjs" >"build-tsan/e2e-$t.log" 2>&1 || rc=$?
  tail -2 "build-tsan/e2e-$t.log"
  [ "$rc" -eq 0 ] || { failed=1; echo "tsan.sh: e2e $t failed (exit $rc), log build-tsan/e2e-$t.log" >&2; }
done
# A process's log file can hold only TSan's own notes ("Symbolizer buffer too
# small"): a report is a "WARNING: ThreadSanitizer:" line.
with_reports=$(grep -l '^WARNING: ThreadSanitizer:' "$reports"/tsan* 2>/dev/null || true)
if [ -n "$with_reports" ]; then
  echo "tsan.sh: ThreadSanitizer reports ($(wc -l <<<"$with_reports") process(es)):" >&2
  for f in $with_reports; do grep -E '^(WARNING: ThreadSanitizer|SUMMARY)' "$f" >&2; done
  echo "full reports in $reports" >&2
  failed=1
fi
[ "$failed" -eq 0 ] && echo "tsan.sh: no ThreadSanitizer report, every test passed"
exit "$failed"
