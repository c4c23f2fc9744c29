#!/bin/bash
# The part of hostfw_netns_test.sh that runs inside the private network + mount namespace.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# Private copies of everything the tools write, and a private /run (D-Bus socket, locks).
for d in /run /var/log /etc/ufw /etc/firewalld; do
  T=$(mktemp -d "$W/mnt.XXXXXX")
  case $d in /etc/*) [ -d "$d" ] && cp -a "$d/." "$T/" ;; esac
  mkdir -p "$d"; mount --bind "$T" "$d"
done
ip link set lo up
# `ip netns exec` mounts a fresh sysfs (this namespace's /sys/class/net) without the cgroup
# hierarchies dockerd needs: mount the host's again (same type and options attach the same
# hierarchy), as pid 1 has them.
if [ -z "$(ls -A /sys/fs/cgroup 2>/dev/null)" ]; then
  mount -t tmpfs -o mode=755 cgroup-root /sys/fs/cgroup
  while read -r _ target type opts _; do
    case $target in /sys/fs/cgroup/*) ;; *) continue ;; esac
    [ "$type" = cgroup ] || [ "$type" = cgroup2 ] || continue
    mkdir -p "$target"
    mount -t "$type" -o "$opts" "$type" "$target"
  done </proc/1/mounts
fi

ENGINE=$W/engine
stop_all() {
  [ -n "${FWD_PID:-}" ] && kill "$FWD_PID" 2>/dev/null
  [ -f /run/dbus/pid ] && kill "$(cat /run/dbus/pid)" 2>/dev/null
  IRONWARD_STATE_DIR=$W/state "$IW" down -f "$W/gw.yaml" >/dev/null 2>&1 || true
  "$ROOT/scripts/dockerd-test.sh" stop "$ENGINE" >/dev/null 2>&1 || true
}
trap stop_all EXIT

step "$TOOL with default-deny incoming"
if [ "$TOOL" = ufw ]; then
  ufw default deny incoming >/dev/null
  ufw --force enable >/dev/null
  ufw status verbose | grep -q "Status: active" || fail "ufw did not start"
else
  mkdir -p /run/dbus
  dbus-daemon --system --fork
  firewalld --nofork --nopid >"$W/firewalld.log" 2>&1 &
  FWD_PID=$!
  for _ in $(seq 300); do firewall-cmd --state >/dev/null 2>&1 && break; sleep 0.1; done
  firewall-cmd --state | grep -q running || fail "firewalld did not start: $(tail -5 "$W/firewalld.log")"
fi

step "private dockerd and the offline sandbox image"
# After the firewall: firewalld flushes iptables when it starts, which would take Docker's chains.
# Without a system bus dockerd does not bind its bridges to firewalld's `docker` zone (target
# ACCEPT, which admits everything: unit-tested), so the sandbox bridge falls in the default zone.
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$W/no-system-bus IRONWARD_DOCKERD_BIP=172.29.201.1/24 \
  "$ROOT/scripts/dockerd-test.sh" start "$ENGINE" >/dev/null
export DOCKER_HOST=unix://$ENGINE/docker.sock
"$ROOT/scripts/build-test-image.sh" ironward/test-sandbox:1 >/dev/null

SUBNET=172.30.201.0/24; GW=172.30.201.1
cat >"$W/gw.yaml" <<YAML
apiVersion: ironward.dev/v1
kind: EgressGateway
metadata:
  name: hostfw-test
spec:
  proxy:
    version: "0.39.0"
    source:
      url: "file://$W/releases/v{version}/iron-proxy_{version}_{os}_{arch}.tar.gz"
      sha256: "$SHA"
    bind: sandbox-network
    tunnelPort: 9090
  providers:
    - name: openrouter
      secret: OPENROUTER_API_KEY
      hosts: ["openrouter.ai"]
  credentials:
    source: env
  enforcement:
    network: internal
    networkName: iw-hostfw-test
    networkSubnet: $SUBNET
  sandboxes:
    - name: probe
      image: ironward/test-sandbox:1
      command: ["sleep", "infinity"]
YAML
export IRONWARD_STATE_DIR=$W/state OPENROUTER_API_KEY=hostfw-test-key-not-real
iw() { "$IW" "$@"; }
# The proxy's TCP ports (tunnel, http, and https: the default routing is both), from inside the
# sandbox, with bash's /dev/tcp (a dropped SYN times out); and its DNS: one A query to the
# gateway's port 53 (DNATed to dnsPort 9094, UDP) must be answered.
reaches_proxy() {
  local p
  for p in 9090 9091 9095; do
    docker exec probe timeout 3 bash -c "exec 3<>/dev/tcp/$GW/$p" 2>/dev/null || return 1
  done
  docker exec probe timeout 3 bash -c "exec 3<>/dev/udp/$GW/53; printf '\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x01a\\x00\\x00\\x01\\x00\\x01' >&3; head -c 2 <&3 >/dev/null" 2>/dev/null || return 1
}
accept_present() {  # $1 = runtime|permanent
  if [ "$TOOL" = ufw ]; then ufw status | grep -q "# ironward hostfw-test"
  elif [ "$1" = permanent ]; then firewall-cmd --permanent --zone=public --list-rich-rules | grep -q "destination address=\"$GW\""
  else firewall-cmd --zone=public --list-rich-rules | grep -q "destination address=\"$GW\""; fi
}
remove_by_hand() {
  if [ "$TOOL" = ufw ]; then
    ufw --force delete allow in on "$(bridge)" from $SUBNET to $GW port 9090,9091,9095 proto tcp >/dev/null
    ufw --force delete allow in on "$(bridge)" from $SUBNET to $GW port 9094 proto udp >/dev/null
  else
    firewall-cmd --zone=public --list-rich-rules | while read -r r; do firewall-cmd --zone=public --remove-rich-rule="$r" >/dev/null; done
  fi
}
bridge() { docker network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' iw-hostfw-test; }
doctor_check() {  # $1 = check name: "result | detail | fix" (doctor exits 1 while a check fails)
  { iw doctor -f "$W/gw.yaml" -o json || true; } | python3 -c 'import json,sys; c=[c for c in json.load(sys.stdin)["checks"] if c["check"]==sys.argv[1]][0]; print(c["result"]+" | "+c["detail"]+" | "+c["fix"])' "$1"
}

step "1. reconcile adds the accept through $TOOL"
iw reconcile -f "$W/gw.yaml" >"$W/reconcile1.out" 2>&1 || { cat "$W/reconcile1.out"; fail "first reconcile"; }
grep -q "host_firewall" "$W/reconcile1.out" || { cat "$W/reconcile1.out"; fail "the first reconcile shows no host_firewall change"; }
accept_present runtime || fail "no accept in $TOOL after reconcile"
[ "$TOOL" = ufw ] || accept_present permanent || fail "no permanent rich rule"
[ -f "$W/state/host-firewall.json" ] || fail "host-firewall.json not written"
[ "$(stat -c %a "$W/state/host-firewall.json")" = 600 ] || fail "host-firewall.json is not 0600"
reaches_proxy || fail "the sandbox cannot reach the proxy after reconcile"
iw reconcile -f "$W/gw.yaml" --dry-run >/dev/null 2>&1 || fail "not in sync right after reconcile (exit $?)"

step "2. the accept removed by hand: blocked for real, doctor warns, dry run plans the fix"
remove_by_hand
accept_present runtime && fail "the accept is still there"
if reaches_proxy; then fail "$TOOL did not block sandbox -> proxy without the accept"; fi
d=$(doctor_check host-firewall); echo "   doctor: $d"
case $d in warn*"$TOOL is"*"has no accept"*) ;; *) fail "doctor did not warn about $TOOL: $d" ;; esac
d=$(doctor_check sandbox-reach); echo "   doctor: $d"
case $d in fail*"from a container on iw-hostfw-test"*) ;; *) fail "doctor's probe container reached the proxy: $d" ;; esac
set +e; iw reconcile -f "$W/gw.yaml" --dry-run >"$W/dry.out" 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || { cat "$W/dry.out"; fail "dry run exit $rc, want 2"; }
grep -q "host_firewall.$TOOL\[" "$W/dry.out" || { cat "$W/dry.out"; fail "the plan does not name host_firewall.$TOOL"; }

step "3. reconcile heals it"
iw reconcile -f "$W/gw.yaml" >/dev/null 2>&1 || fail "healing reconcile"
accept_present runtime || fail "not healed"
reaches_proxy || fail "the sandbox cannot reach the proxy after the heal"
for c in host-firewall sandbox-reach; do
  d=$(doctor_check $c); echo "   doctor: $d"
  case $d in pass*) ;; *) fail "doctor's $c does not pass after the heal: $d" ;; esac
done
[ -z "$(docker ps -aq --filter label=ironward.dev/doctor-probe)" ] || fail "doctor left its probe container behind"

step "4. down removes it (runtime and permanent) and the record"
iw down -f "$W/gw.yaml" >"$W/down.out" 2>&1 || { cat "$W/down.out"; fail "down"; }
accept_present runtime && fail "down left the accept in $TOOL"
[ "$TOOL" = ufw ] || ! accept_present permanent || fail "down left the permanent rich rule"
[ ! -e "$W/state/host-firewall.json" ] || fail "down left host-firewall.json"
for f in "$W"/*.out; do grep -q "$OPENROUTER_API_KEY" "$f" && fail "the key leaked into $(basename "$f")"; done
echo "ok"
