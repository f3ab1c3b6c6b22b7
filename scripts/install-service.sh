#!/usr/bin/env bash
# Installs erc20-indexer as a systemd service on Debian 12. Run as root:
#
#   sudo scripts/install-service.sh [--rpc-url URL]
#
# 1. installs the build dependencies (scripts/install-deps.sh build) and builds (scripts/build.sh);
# 2. `cmake --install build --prefix /usr/local`: /usr/local/bin/erc20-indexer and
#    /usr/local/etc/erc20-indexer/erc20-indexer.conf.example;
# 3. copies systemd/erc20-indexer.service to /etc/systemd/system/ (read by every systemd,
#    unlike /usr/local/lib/systemd/system);
# 4. creates /etc/erc20-indexer/erc20-indexer.conf from the example if it is missing, with
#    rpc-url set to URL when --rpc-url is given; an existing config is never changed;
# 5. systemctl daemon-reload, enable, and start (or restart when the binary or unit changed).
#
# Running it again is safe: it rebuilds, installs what changed and says what it did.
# Without systemd as PID 1 (container, chroot) it installs everything, enables the unit
# for the next boot when possible, and says that the service was not started.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
bin=$prefix/bin/erc20-indexer
example=$prefix/etc/erc20-indexer/erc20-indexer.conf.example
unit_src=systemd/erc20-indexer.service
unit_dst=/etc/systemd/system/erc20-indexer.service
conf_dir=/etc/erc20-indexer
conf=$conf_dir/erc20-indexer.conf
state_dir=/var/lib/erc20-indexer

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
rpc_url=
while [ $# -gt 0 ]; do
  case "$1" in
    --rpc-url) [ $# -ge 2 ] || { echo "install-service.sh: --rpc-url needs a URL" >&2; exit 2; }
               rpc_url=$2; shift 2 ;;
    --rpc-url=*) rpc_url=${1#--rpc-url=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-service.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$rpc_url" ]; then
  case "$rpc_url" in
    http://?*|https://?*) ;;
    *) echo "install-service.sh: --rpc-url must start with http:// or https:// (got '$rpc_url')" >&2; exit 2 ;;
  esac
  case "$rpc_url" in *[[:space:]#]*) echo "install-service.sh: --rpc-url must not contain spaces or '#'" >&2; exit 2 ;; esac
fi
[ "$(id -u)" -eq 0 ] || { echo "install-service.sh: run as root (sudo $0 ...)" >&2; exit 1; }

done_list=()
did() { done_list+=("$1"); echo "   $1"; }
sum() { [ -e "$1" ] && sha256sum "$1" | cut -d' ' -f1 || echo none; }

echo "== build dependencies"
scripts/install-deps.sh build
echo "== building build/erc20-indexer"
scripts/build.sh -DERC20_BUILD_TESTS=OFF

# The unit is Type=notify: a binary without sd_notify would be killed at the start timeout.
if ! build/erc20-indexer --version | grep -q 'systemd notify: yes'; then
  echo "install-service.sh: build/erc20-indexer has no systemd notify support ($(build/erc20-indexer --version))." >&2
  echo "   The unit (Type=notify) needs it: apt-get install libsystemd-dev, then rebuild without -DERC20_SYSTEMD=OFF." >&2
  exit 1
fi

echo "== installing to $prefix"
bin_before=$(sum "$bin")
cmake --install build --prefix "$prefix" | sed 's/^/   /'
bin_changed=false
if [ "$(sum "$bin")" != "$bin_before" ]; then
  bin_changed=true
  [ "$bin_before" = none ] && did "installed $bin" || did "updated $bin"
else
  did "$bin unchanged"
fi

echo "== systemd unit"
unit_changed=false
if [ -e "$unit_dst" ] && cmp -s "$unit_src" "$unit_dst"; then
  did "$unit_dst unchanged"
else
  [ -e "$unit_dst" ] && what=updated || what=installed
  install -D -m 0644 "$unit_src" "$unit_dst"
  unit_changed=true
  did "$what $unit_dst"
fi

echo "== configuration"
install -d -m 0755 "$conf_dir"
if [ -e "$conf" ]; then
  did "$conf exists: left unchanged"
  if [ -n "$rpc_url" ]; then
    current=$(sed -n 's/^[[:space:]]*rpc-url[[:space:]]*=[[:space:]]*//p' "$conf" | tail -n1)
    if [ "$current" != "$rpc_url" ]; then
      echo "   WARNING: --rpc-url $rpc_url NOT applied: $conf already sets rpc-url = ${current:-<default>}." >&2
      echo "            Edit $conf and run: systemctl restart erc20-indexer" >&2
    fi
  fi
else
  src=$example
  [ -e "$src" ] || src=config/erc20-indexer.conf.example
  tmp=$(mktemp "$conf_dir/.erc20-indexer.conf.XXXXXX")
  # The unit passes --db $state_dir (it wins over the file); say the same in the file.
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      db\ =*|db=*) line="db = $state_dir" ;;
      rpc-url\ =*|rpc-url=*) [ -n "$rpc_url" ] && line="rpc-url = $rpc_url" ;;
    esac
    printf '%s\n' "$line"
  done < "$src" > "$tmp"
  chmod 0644 "$tmp"
  mv "$tmp" "$conf"
  did "created $conf from $src${rpc_url:+ (rpc-url = $rpc_url)}"
fi
listen=$(sed -n 's/^[[:space:]]*listen[[:space:]]*=[[:space:]]*//p' "$conf" | tail -n1)
listen=${listen:-127.0.0.1:8547}
case "$listen" in 0.0.0.0:*) listen=127.0.0.1:${listen##*:} ;; \[::\]:*) listen=[::1]:${listen##*:} ;; esac

echo "== service"
started=false
if ! command -v systemctl >/dev/null; then
  did "systemctl not found: the service was NOT enabled or started"
elif [ ! -d /run/systemd/system ]; then
  # Not booted with systemd (container, chroot): enabling only creates the symlink.
  if systemctl is-enabled --quiet erc20-indexer 2>/dev/null; then
    did "erc20-indexer already enabled (starts at the next boot with systemd)"
  elif systemctl enable --quiet erc20-indexer >/dev/null 2>&1; then
    did "enabled erc20-indexer (starts at the next boot with systemd)"
  fi
  did "systemd is not running here (no /run/systemd/system): the service was NOT started"
else
  systemctl daemon-reload
  if systemctl is-enabled --quiet erc20-indexer 2>/dev/null; then
    did "erc20-indexer already enabled"
  else
    systemctl enable --quiet erc20-indexer
    did "enabled erc20-indexer (starts at boot)"
  fi
  # Type=notify: start/restart return once the database is open and the API listens.
  rc=0
  if systemctl is-active --quiet erc20-indexer; then
    if $bin_changed || $unit_changed; then
      systemctl restart erc20-indexer || rc=$?
      [ $rc -eq 0 ] && did "restarted erc20-indexer (new binary or unit)"
    else
      did "erc20-indexer already running, nothing to restart"
    fi
  else
    systemctl start erc20-indexer || rc=$?
    [ $rc -eq 0 ] && did "started erc20-indexer"
  fi
  if [ $rc -ne 0 ] || ! systemctl is-active --quiet erc20-indexer; then
    echo "install-service.sh: erc20-indexer failed to start:" >&2
    systemctl --no-pager status erc20-indexer >&2 || true
    journalctl --no-pager -n 30 -u erc20-indexer >&2 || true
    exit 1
  fi
  started=true
fi

cat <<MSG

== erc20-indexer is installed$($started && echo " and running" || echo " (NOT running: no systemd here)")
   binary    $bin
   unit      $unit_dst   (override: systemctl edit erc20-indexer)
   config    $conf   (then: systemctl restart erc20-indexer)
   database  $state_dir   (the unit's DynamicUser owns it, via /var/lib/private)
   status    systemctl status erc20-indexer
   logs      journalctl -u erc20-indexer -f
   API       curl -s http://$listen/v1/status
MSG
