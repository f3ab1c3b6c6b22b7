#!/usr/bin/env bash
# The format check and clang-tidy (.clang-format, .clang-tidy). Usage:
#   scripts/lint.sh          # format: every tracked C++ file; tidy: the C++ files changed
#                            # against `git merge-base HEAD origin/main` (else HEAD~1),
#                            # uncommitted changes included
#   scripts/lint.sh --all    # tidy every translation unit (about 20-40 s of CPU each)
#   LINT_JOBS=N              # clang-tidy processes in parallel (default: nproc)
# A changed header tidies the .cpp files that include it (directly). The
# compile commands come from build-lint/ (configure only, clang++-14 when
# present). Prints a summary (files, findings per check) and exits non-zero
# on any format difference or tidy finding.
set -euo pipefail
cd "$(dirname "$0")/.."

all=0
for a in "$@"; do
  case "$a" in
    --all) all=1 ;;
    *) echo "lint.sh: unknown argument '$a' (--all)" >&2; exit 2 ;;
  esac
done
pick() { for t in "$@"; do command -v "$t" >/dev/null && { echo "$t"; return; }; done; }
format_bin=$(pick clang-format-14 clang-format)
tidy_bin=$(pick clang-tidy-14 clang-tidy)
[ -n "$format_bin" ] && [ -n "$tidy_bin" ] || {
  echo "lint.sh: clang-format-14 and clang-tidy-14 needed (scripts/install-deps.sh lint)" >&2; exit 2; }

status=0
mapfile -t tracked < <(git ls-files '*.cpp' '*.hpp')

# (a) Formatting of every tracked C++ file.
echo "== format: ${#tracked[@]} files ($format_bin --dry-run --Werror)"
if format_out=$("$format_bin" --dry-run --Werror "${tracked[@]}" 2>&1); then
  echo "format: clean"
else
  mapfile -t bad < <(grep -oE '^[^:]+\.(cpp|hpp)' <<<"$format_out" | sort -u)
  printf '%s\n' "$format_out" | head -40
  echo "format: ${#bad[@]} files differ from .clang-format: ${bad[*]}"
  echo "        fix: $format_bin -i ${bad[*]}"
  status=1
fi

# (b) clang-tidy on the changed translation units.
if [ "$all" -eq 1 ]; then
  mapfile -t units < <(printf '%s\n' "${tracked[@]}" | grep '\.cpp$')
  what="every translation unit"
else
  base=$(git merge-base HEAD origin/main 2>/dev/null || git rev-parse --verify -q HEAD~1 || true)
  changed=()
  [ -n "$base" ] && mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" -- '*.cpp' '*.hpp')
  units=()
  for f in "${changed[@]}"; do
    case "$f" in
      *.cpp) units+=("$f") ;;
      *.hpp) mapfile -t -O "${#units[@]}" units < <(git grep -l -F "#include \"$f\"" -- '*.cpp' || true) ;;
    esac
  done
  mapfile -t units < <(printf '%s\n' "${units[@]}" | sed '/^$/d' | sort -u)
  what="${#changed[@]} changed C++ files since ${base:0:10}"
fi
echo "== tidy: ${#units[@]} translation units ($what)"
if [ "${#units[@]}" -gt 0 ]; then
  dir=build-lint
  mkdir -p "$dir"
  compiler=()
  command -v clang++-14 >/dev/null && compiler=(-DCMAKE_CXX_COMPILER=clang++-14)
  scripts/web-deps.sh  # the configure checks the dashboard's files
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "${compiler[@]}" \
    >"$dir/configure.log" 2>&1 || { tail -20 "$dir/configure.log"; echo "lint.sh: configure failed" >&2; exit 1; }
  rm -rf "$dir/tidy" && mkdir -p "$dir/tidy"
  # tidy_one FILE: one translation unit; its output in build-lint/tidy/. The 80-line
  # function limit is for the product code: tests, test fakes and bench/ are exempt.
  tidy_one() {
    local f=$1 extra=()
    case "$f" in *_test.cpp|*/testing/*|bench/*|tests/*) extra=(--checks=-readability-function-size) ;; esac
    nice "$tidy_bin" -p "$dir" --quiet "${extra[@]}" --extra-arg=-Wno-unknown-warning-option "$f" \
      >"$dir/tidy/$(tr / _ <<<"$f").log" 2>&1 || true
  }
  export -f tidy_one
  export dir tidy_bin
  printf '%s\n' "${units[@]}" | xargs -P "${LINT_JOBS:-$(nproc)}" -I{} bash -c 'tidy_one "$1"' _ {}
  # One finding per place (a header's finding comes once per unit that includes it).
  findings=$(cat "$dir"/tidy/*.log | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' | sort -u || true)
  if [ -n "$findings" ]; then
    printf '%s\n' "$findings" | head -200
    echo "tidy: $(wc -l <<<"$findings") findings, per check:"
    grep -oE '\[[a-z0-9.,-]+\]$' <<<"$findings" | sed 's/,-warnings-as-errors//' | sort | uniq -c | sort -rn
    echo "      full output: $dir/tidy/"
    status=1
  else
    echo "tidy: clean"
  fi
fi
[ "$status" -eq 0 ] && echo "lint.sh: clean" || echo "lint.sh: findings above" >&2
exit "$status"
