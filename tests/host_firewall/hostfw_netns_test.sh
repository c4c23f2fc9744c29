#!/bin/bash
# ufw or firewalld, for real, against ironward: hostfw_netns_test.sh ufw|firewalld IRONWARD DOUBLE
#
# Everything runs in a private network namespace and a private mount namespace (so the host's
# firewall, /etc/ufw, /etc/firewalld, /run and the system D-Bus are never touched): a private
# dockerd, the offline sandbox image, the tool under test with default-deny incoming, and a
# gateway with enforcement.network: internal and one sandbox. Then, with the real tools:
#   1. reconcile adds the accept through the tool (ufw rule / firewalld rich rules, runtime and
#      permanent) and records it; the sandbox reaches the proxy on both ports;
#   2. the accept is removed by hand: the sandbox is blocked (shown), doctor warns naming the tool,
#      a dry run plans host_firewall.<tool>[...] (exit 2);
#   3. reconcile heals it: the sandbox reaches the proxy again, doctor's host-firewall passes;
#   4. down removes the accept from the tool (runtime and permanent) and the record.
# The host's nftables ruleset and /etc/ufw are compared before and after. Exit 77 = skipped (not
# root, or a tool missing outside CI).
set -euo pipefail
TOOL=${1:?ufw|firewalld}; IW=${2:?ironward binary}; DOUBLE=${3:?iron-proxy double}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
skip() { if [ "${CI:-}" = true ]; then echo "FAIL (CI): $*" >&2; exit 1; fi; echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network and mount namespaces)"
command -v ip >/dev/null && command -v unshare >/dev/null || skip "needs iproute2 and util-linux"
case $TOOL in
  ufw) command -v ufw >/dev/null || skip "ufw is not installed (scripts/setup.sh installs it)" ;;
  firewalld) { command -v firewalld >/dev/null && command -v dbus-daemon >/dev/null; } ||
               skip "firewalld / dbus-daemon not installed (scripts/setup.sh installs them)" ;;
  *) echo "usage: $0 ufw|firewalld IRONWARD DOUBLE" >&2; exit 2 ;;
esac

W=$(mktemp -d /tmp/ironward-hostfw.XXXXXX)
NS=iwfw-$$
# What this test could change on the host if a namespace leaked: ufw's and firewalld's rules in the
# host's ruleset, and their configuration. (Not the whole ruleset: other tests running in parallel
# load and remove their own tables.)
host_fingerprint() {
  { nft list ruleset 2>/dev/null | grep -E "ufw|firewalld|hostfw" || true
    cat /etc/ufw/user.rules /etc/ufw/user6.rules /etc/ufw/ufw.conf 2>/dev/null
    find /etc/firewalld -type f -exec sha256sum {} + 2>/dev/null | sort; } | sha256sum
}
BEFORE=$(host_fingerprint)
cleanup() {
  rc=$?
  set +e  # every step of the cleanup runs, whatever fails
  # The inner script stops what it started; whatever is left in the namespace is killed here.
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  grep -o " $W[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$W"
  AFTER=$(host_fingerprint)
  if [ "$BEFORE" != "$AFTER" ]; then echo "FAIL: the host's firewall or ufw/firewalld config changed" >&2; rc=1; fi
  exit $rc
}
trap cleanup EXIT
ip netns add "$NS"
SHA=$("$ROOT/scripts/package-iron-proxy-release.sh" "$DOUBLE" 0.39.0 "$W/releases")
ip netns exec "$NS" unshare --mount --propagation private \
  env TOOL="$TOOL" IW="$IW" W="$W" SHA="$SHA" ROOT="$ROOT" bash "$ROOT/tests/host_firewall/hostfw_netns_inner.sh"
echo "PASS: $TOOL"
