#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test:
#   lint     scripts/lint.sh: clang-format check of every C++ file, clang-tidy
#            on the C++ files changed against origin/main (else HEAD~1)
#   release  the Release build (build/) and every unit and e2e test through ctest
#   asan     the unit tests under ASan + UBSan (the asan preset, build-asan/)
#   fuzz     a smoke run of every fuzz/ target, FUZZ_SECONDS each (default 6,
#            about a minute in all; the fuzz preset, build-fuzz/)
#   tsan     e2e tests against the daemon under ThreadSanitizer (scripts/tsan.sh,
#            build-tsan/)
# Extra arguments go to the release ctest only (e.g. `scripts/test.sh -R e2e`).
# ERC20_TEST_STAGES picks stages (default "lint release asan fuzz tsan"). Every
# chosen stage runs even when an earlier one failed (a build failure stops
# at once); the summary gives each stage's result and wall time, and the exit
# code is non-zero when any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

stages=${ERC20_TEST_STAGES:-lint release asan fuzz tsan}
for s in $stages; do
  case "$s" in lint|release|asan|fuzz|tsan) ;; *) echo "test.sh: unknown stage '$s' (lint release asan fuzz tsan)" >&2; exit 2 ;; esac
done
has() { [[ " $stages " == *" $1 "* ]]; }

groups=(build node)
if has asan || has fuzz || has tsan; then groups+=(sanitizers); fi
if has lint; then groups+=(lint); fi
if has release || has tsan; then groups+=(tools); fi  # promtool, pandas, chromium for the e2e tests
scripts/install-deps.sh "${groups[@]}"
echo "== npm packages for the e2e tests (anvil, solc, OpenZeppelin)"
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
scripts/web-deps.sh

summary=()
recap=()
failed=0
last_rc=0
# stage NAME COMMAND...: runs it, records the result and the wall time.
stage() {
  local name=$1 start rc=0
  shift
  start=$(date +%s)
  "$@" || rc=$?
  local secs=$(( $(date +%s) - start ))
  local result=ok
  last_rc=$rc
  [ "$rc" -eq 0 ] || { result="FAILED (exit $rc)"; failed=1; }
  summary+=("$(printf '%-28s %5d s  %s' "$name" "$secs" "$result")")
  return 0
}
# recap_ctest DIR: after a failed ctest stage, keep its failed tests and their FAIL lines for the
# end of the output, where a log cut in the middle still shows them.
recap_ctest() {
  local tmp=$1/Testing/Temporary
  [ -s "$tmp/LastTestsFailed.log" ] || return 0
  recap+=("failed in $1: $(cut -d: -f2- "$tmp/LastTestsFailed.log" | paste -sd, -)")
  [ -f "$tmp/LastTest.log" ] || return 0
  while IFS= read -r line; do recap+=("  $line"); done < <(awk '/^FAIL - /{n=4; print; next} n>0 && /^       /{n--; print; next} {n=0} /^\[[a-z0-9-]+\] failed:|FAILED:$/' "$tmp/LastTest.log" | cut -c1-400 | head -60)
}
# After a build stage: stop when that build failed (a failed test stage before it does not stop the run).
abort_on_build_failure() {
  if [ "$last_rc" -ne 0 ]; then
    printf '%s\n' "${summary[@]}"
    echo "test.sh: a build failed; stopping" >&2
    exit 1
  fi
}

if has lint; then
  echo "== lint: format of every C++ file, clang-tidy on the changed ones (build-lint/)"
  stage "lint" scripts/lint.sh
fi
if has release; then
  echo "== build (build/, Release)"
  stage "release build" scripts/build.sh -DERC20_WERROR=ON -DERC20_BUILD_TESTS=ON
  abort_on_build_failure
  echo "== tests (unit + e2e)"
  stage "release ctest" bash -c 'cd build && ctest --output-on-failure -j2 "$@"' ctest "$@"
  [ "$last_rc" -eq 0 ] || recap_ctest build
fi
if has asan; then
  echo "== unit tests under ASan + UBSan (build-asan/)"
  stage "asan build" scripts/build-preset.sh asan
  abort_on_build_failure
  stage "asan ctest" ctest --preset asan
  [ "$last_rc" -eq 0 ] || recap_ctest build-asan
fi
if has fuzz; then
  echo "== fuzz smoke: every fuzz/ target for ${FUZZ_SECONDS:-6} s (build-fuzz/)"
  stage "fuzz build + smoke" scripts/fuzz.sh "${FUZZ_SECONDS:-6}"
fi
if has tsan; then
  echo "== e2e against the daemon under TSan (build-tsan/)"
  stage "tsan build + e2e" scripts/tsan.sh
fi

echo "== summary"
printf '%s\n' "${summary[@]}"
[ "${#recap[@]}" -eq 0 ] || printf '%s\n' "${recap[@]}"
[ "$failed" -eq 0 ] || { echo "test.sh: some stages failed" >&2; exit 1; }
echo "test.sh: every stage passed"
