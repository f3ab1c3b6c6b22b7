# Shared by the configure checks (sourced with SOURCE_DIR SCRATCH_DIR): $src,
# a fresh $scratch, the counters $passed and $fail the check increments, and
# check_end, which removes the scratch folder, prints the counts and returns
# the status.
src=$1
scratch=$2
rm -rf "$scratch"
mkdir -p "$scratch"
fail=0
passed=0
check_end() {
  rm -rf "$scratch"
  echo "$passed passed, $fail failed"
  [ "$fail" -eq 0 ]
}
