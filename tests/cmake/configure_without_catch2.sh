#!/usr/bin/env bash
# Catch2 is needed only for the tests: with Catch2 hidden, a configure with
# -DERC20_BUILD_TESTS=OFF (the daemon only) succeeds, and the default one fails
# naming Catch2. Configure only (a few seconds), in scratch folders.
#   configure_without_catch2.sh SOURCE_DIR SCRATCH_DIR
set -uo pipefail
# shellcheck source=../cmake/check_lib.sh
source "$(dirname "$0")/check_lib.sh" "$@"
# -DCMAKE_DISABLE_FIND_PACKAGE_Catch2=ON: find_package(Catch2) finds nothing, as on a machine
# without the catch2 package. libsystemd is not this test's concern: ERC20_SYSTEMD=OFF.
hide=(-DCMAKE_DISABLE_FIND_PACKAGE_Catch2=ON -DERC20_SYSTEMD=OFF)
if cmake -S "$src" -B "$scratch/off" "${hide[@]}" -DERC20_BUILD_TESTS=OFF >"$scratch/off.out" 2>&1; then
  echo "ok   tests-off: -DERC20_BUILD_TESTS=OFF configures without Catch2"; passed=$((passed + 1))
else
  echo "FAIL tests-off: -DERC20_BUILD_TESTS=OFF did not configure without Catch2:"; tail -20 "$scratch/off.out"
  fail=$((fail + 1))
fi
# With Catch2 visible, a tests-off configure does not even look for it (no Catch2_DIR cached).
if ! cmake -S "$src" -B "$scratch/visible" -DERC20_SYSTEMD=OFF -DERC20_BUILD_TESTS=OFF >"$scratch/visible.out" 2>&1; then
  echo "FAIL tests-off-visible: did not configure:"; tail -20 "$scratch/visible.out"; fail=$((fail + 1))
elif grep -q '^Catch2_DIR' "$scratch/visible/CMakeCache.txt"; then
  echo "FAIL tests-off-visible: find_package(Catch2) ran: $(grep '^Catch2_DIR' "$scratch/visible/CMakeCache.txt")"
  fail=$((fail + 1))
else
  echo "ok   tests-off-visible: no find_package(Catch2) with -DERC20_BUILD_TESTS=OFF"; passed=$((passed + 1))
fi
if cmake -S "$src" -B "$scratch/on" "${hide[@]}" >"$scratch/on.out" 2>&1; then
  echo "FAIL tests-on: the default configure succeeded without Catch2"; fail=$((fail + 1))
elif ! grep -q 'Catch2' "$scratch/on.out"; then
  echo "FAIL tests-on: configure failed without naming Catch2:"; tail -20 "$scratch/on.out"; fail=$((fail + 1))
else
  echo "ok   tests-on: the default configure fails naming Catch2"; passed=$((passed + 1))
fi
check_end
