#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (the fuzz preset: clang-14, ASan +
# UBSan, into build-fuzz/) and runs each one, one at a time, for SECONDS
# (default 60). Usage:
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # e.g. scripts/fuzz.sh 8 (the smoke run of scripts/test.sh)
# Seeds are read from fuzz/corpus/<target>/; what a run finds goes to
# build-fuzz/corpus/<target>/. Prints execs/s and coverage (cov = edges,
# ft = features) per target. On a crash, a leak or a broken invariant it
# exits 1 and leaves the reproducer in build-fuzz/artifacts/ (replay it with
# build-fuzz/fuzz/fuzz_<target> FILE).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi

scripts/build-preset.sh fuzz

mkdir -p build-fuzz/artifacts build-fuzz/logs
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
printf '%-8s %8s %10s %7s %7s %8s  %s\n' target seconds execs/s cov ft corpus result
for t in "${targets[@]}"; do
  bin=build-fuzz/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz.sh: no target '$t' ($bin)" >&2; exit 2; }
  dict=()
  case "$t" in
    logs|header|batch|answer) dict=(-dict=fuzz/json.dict) ;;
    request|config) dict=(-dict=fuzz/$t.dict) ;;
  esac
  mkdir -p "build-fuzz/corpus/$t"
  log=build-fuzz/logs/$t.log
  rc=0
  "$bin" "build-fuzz/corpus/$t" "fuzz/corpus/$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" >"$log" 2>&1 || rc=$?
  # The last status line ("#N DONE cov: C ft: F corp: K/S exec/s: E ...") and the final stats.
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$last")
  runs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log" | tail -1)
  secs=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -1)
  eps=$(( ${runs:-0} / ( ${secs:-$seconds} > 0 ? ${secs:-$seconds} : 1 ) ))
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc): $(grep -oE 'build-fuzz/artifacts/[^ ]+' "$log" | tail -1), log $log"
    failed+=("$t")
  fi
  printf '%-8s %8s %10s %7s %7s %8s  %s\n' "$t" "${secs:-?}" "$eps" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  for t in "${failed[@]}"; do grep -E 'ERROR|invariant failed|runtime error|SUMMARY' "build-fuzz/logs/$t.log" | head -5 >&2; done
  exit 1
fi
