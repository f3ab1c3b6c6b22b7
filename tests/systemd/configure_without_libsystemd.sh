#!/usr/bin/env bash
# A configure without libsystemd must fail, naming libsystemd-dev, unless -DERC20_SYSTEMD=OFF
# asks for a non-systemd build: a silent build without sd_notify is killed by the Type=notify
# unit at its start timeout. Configure only (a few seconds), in scratch folders.
#   configure_without_libsystemd.sh SOURCE_DIR SCRATCH_DIR
set -uo pipefail
# shellcheck source=../cmake/check_lib.sh
source "$(dirname "$0")/../cmake/check_lib.sh" "$@"
expect_failure() {  # name, env..., -- cmake args...
  local name=$1; shift
  local out=$scratch/$name.out
  if env "$@" >"$out" 2>&1; then
    echo "FAIL $name: configure succeeded without libsystemd"; fail=$((fail + 1)); return
  fi
  if ! grep -q 'libsystemd-dev' "$out"; then
    echo "FAIL $name: configure failed without naming libsystemd-dev:"; tail -20 "$out"; fail=$((fail + 1)); return
  fi
  echo "ok   $name: $(grep -m1 -o 'libsystemd not found[^:]*' "$out")"; passed=$((passed + 1))
}
# 1. No pkg-config at all.
expect_failure no-pkgconfig cmake -S "$src" -B "$scratch/a" -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON
# 2. pkg-config present, libsystemd.pc not found (what a machine without libsystemd-dev sees).
expect_failure no-libsystemd PKG_CONFIG_LIBDIR=$scratch/empty PKG_CONFIG_PATH= cmake -S "$src" -B "$scratch/b"
# 3. The explicit opt-out configures.
if cmake -S "$src" -B "$scratch/c" -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON -DERC20_SYSTEMD=OFF >"$scratch/c.out" 2>&1; then
  echo "ok   opt-out: -DERC20_SYSTEMD=OFF configures without libsystemd"; passed=$((passed + 1))
else
  echo "FAIL opt-out: -DERC20_SYSTEMD=OFF did not configure:"; tail -20 "$scratch/c.out"; fail=$((fail + 1))
fi
check_end
