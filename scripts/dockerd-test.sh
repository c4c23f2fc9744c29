#!/bin/bash
# Private Docker engine for tests: start DIR | stop DIR | pause DIR | resume DIR | env DIR
#
#   start DIR  installs docker.io (apt) when dockerd is missing, saves the host's firewall/ip_forward state
#              in DIR, starts a bridge-mode dockerd whose data-root, exec-root, socket and pidfile live under
#              DIR, waits for /_ping and prints DOCKER_HOST=unix://DIR/docker.sock (also written to
#              DIR/docker-host.env).
#   stop DIR   removes every container and user network of that engine, stops it by pidfile, unmounts
#              everything under DIR, deletes docker0 and restores the firewall and ip_forward saved by start.
#   pause DIR  stops the engine the way an outage or `systemctl stop docker` would: SIGTERM by pidfile (dockerd
#              stops its containers), waits for it to exit; keeps data-root, exec-root, the socket path, the
#              saved host state, docker0 and the networks' bridges. Marks DIR as paused. Exit 1 when no engine runs
#              or it ignored TERM for 30 s (then it is killed).
#   resume DIR starts dockerd again on the same dirs with the --bip recorded by start (DIR/bip) and waits for
#              /_ping; containers come back in the state the engine left them (stopped, no restart policy).
#              A no-op when the engine already answers. `stop` of a paused engine resumes it first, so that
#              its containers and networks are removed through the API.
#   env DIR    prints the DOCKER_HOST line of a running engine.
#
# Env: IRONWARD_DOCKERD_BIP (default 172.29.0.1/24), IRONWARD_DOCKERD_START_TIMEOUT (s, default 60).
# Non-interactive, bounded in time; never touches processes it did not start (pidfile / DIR-scoped only).
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive

usage() { echo "usage: $0 start|stop|pause|resume|env DIR" >&2; exit 2; }
log() { echo "dockerd-test: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
D=$(cd "$2" && pwd)
SOCK="$D/docker.sock"
PIDFILE="$D/dockerd.pid"
SAVED="$D/host-state"          # firewall + ip_forward before our engine started
PAUSED="$D/paused"             # set by pause, removed by resume/stop
BIPFILE="$D/bip"               # the --bip of start, reused by resume
BIP=${IRONWARD_DOCKERD_BIP:-172.29.0.1/24}
if [ "$cmd" != start ] && [ -f "$BIPFILE" ]; then BIP=$(cat "$BIPFILE"); fi  # the engine's own, not today's env
START_TIMEOUT=${IRONWARD_DOCKERD_START_TIMEOUT:-60}

running() { kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }  # zombies are gone
alive() { [ -f "$PIDFILE" ] && running "$(cat "$PIDFILE")"; }
api() { curl -sS --max-time 30 --unix-socket "$SOCK" "$@"; }
ping_ok() { curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; }

ensure_packages() {
  command -v curl >/dev/null || { apt-get update -q -o DPkg::Lock::Timeout=120 >/dev/null; apt-get install -y -q -o DPkg::Lock::Timeout=120 --no-install-recommends curl >/dev/null; }
  if ! command -v dockerd >/dev/null || ! command -v iptables >/dev/null; then
    log "installing docker.io (apt)"
    apt-get install -y -q -o DPkg::Lock::Timeout=120 --no-install-recommends docker.io </dev/null >/dev/null ||
      { apt-get update -q -o DPkg::Lock::Timeout=120 </dev/null >/dev/null && apt-get install -y -q -o DPkg::Lock::Timeout=120 --no-install-recommends docker.io </dev/null >/dev/null; }
  fi
  command -v dockerd >/dev/null || die "dockerd still missing after installing docker.io"
}

save_host_state() {
  [ -f "$SAVED" ] && return 0      # keep the state from before the first start (restart after a crash)
  local policy tables=""
  policy=$(iptables-save -t filter 2>/dev/null | sed -n 's/^:FORWARD \([A-Z]*\) .*/\1/p' || true)
  if command -v nft >/dev/null; then tables=$(nft list tables 2>/dev/null | tr '\n' ',' || true); fi
  {
    echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
    echo "forward_policy=$policy"
    echo "nft_tables=$tables"
  } >"$SAVED.tmp"
  mv "$SAVED.tmp" "$SAVED"
}

# The reference teardown checklist, then the saved policy / ip_forward, then tables dockerd created.
restore_host_state() {
  [ -f "$SAVED" ] || return 0
  local ipf policy tables t r c rules dump
  ipf=$(sed -n 's/^ip_forward=//p' "$SAVED")
  policy=$(sed -n 's/^forward_policy=//p' "$SAVED")
  tables=$(sed -n 's/^nft_tables=//p' "$SAVED")
  for t in filter nat; do
    rules=$(iptables-save -t "$t" 2>/dev/null | grep -E '^-A (FORWARD|PREROUTING|OUTPUT|POSTROUTING) .*(DOCKER|docker0|br-)' || true)
    if [ -n "$rules" ]; then
      sed 's/^-A /-D /' <<<"$rules" | while read -r r; do eval "iptables -t $t $r" || true; done
    fi
    for c in DOCKER-USER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER; do
      iptables -t "$t" -F "$c" 2>/dev/null || true
      iptables -t "$t" -X "$c" 2>/dev/null || true
    done
  done
  dump=$(iptables-save -t filter 2>/dev/null || true)
  if grep -q '^:FORWARD ' <<<"$dump"; then iptables -P FORWARD "${policy:-ACCEPT}"; fi
  echo "${ipf:-0}" >/proc/sys/net/ipv4/ip_forward
  # dockerd created empty `ip filter` / `ip nat` tables if they did not exist: drop them when still empty.
  if command -v nft >/dev/null; then
    for t in filter nat; do
      case ",$tables," in *",table ip $t,"*) continue ;; esac
      nft list table ip "$t" >/dev/null 2>&1 || continue
      dump=$(iptables-save -t "$t" 2>/dev/null || true)
      if ! grep -q '^-A ' <<<"$dump" &&
         ! grep -E '^:' <<<"$dump" | grep -qvE '^:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ACCEPT '; then
        nft delete table ip "$t" || true
      fi
    done
  fi
  rm -f "$SAVED"
}

remove_engine_objects() {
  ping_ok || return 0
  local ids id nets
  ids=$(api "http://localhost/containers/json?all=1" | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4 || true)
  for id in $ids; do api -o /dev/null -X DELETE "http://localhost/containers/$id?force=1&v=1" || true; done
  nets=$(api "http://localhost/networks" | grep -o '"Name":"[^"]*","Id":"[0-9a-f]*"' | cut -d'"' -f4 || true)
  for id in $nets; do
    case "$id" in bridge|host|none) ;; *) api -o /dev/null -X DELETE "http://localhost/networks/$id" || true ;; esac
  done
}

# Last resort when the engine could not clean up: containerd/shims naming our exec dir, then processes in
# the cgroups of this engine's containers (ids from the data-root).
kill_leftovers() {
  local f id
  for f in $(grep -la "$(exec_re)" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    f=${f#/proc/}; f=${f%/cmdline}
    [ "$f" = "$$" ] || kill -KILL "$f" 2>/dev/null || true
  done
  for id in $(ls "$D/data/containers" 2>/dev/null || true); do
    for f in $(grep -l "[${id:0:1}]${id:1}" /proc/[0-9]*/cgroup 2>/dev/null || true); do
      f=${f#/proc/}; f=${f%/cgroup}
      kill -KILL "$f" 2>/dev/null || true
    done
  done
}

unmount_all() {
  { grep -o " $D/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}

launch_dockerd() {  # starts dockerd on DIR's dirs and waits for /_ping; 1 on failure
  mkdir -p "$D/data" "$D/exec"
  setsid dockerd --data-root "$D/data" --exec-root "$D/exec" -H "unix://$SOCK" --pidfile "$PIDFILE" \
    --bip "$BIP" </dev/null >>"$D/dockerd.log" 2>&1 &
  local starter=$! deadline=$((SECONDS + START_TIMEOUT))
  until ping_ok; do
    running "$starter" || { log "dockerd exited during startup"; return 1; }
    [ $SECONDS -lt $deadline ] || { log "dockerd did not answer /_ping within ${START_TIMEOUT}s"; return 1; }
    sleep 0.05
  done
}

# Regex for "$D/exec/" that does not match grep's own command line.
exec_re() { echo "$(sed 's/[][\.*^$]/\\&/g' <<<"$D")/exe[c]/"; }

# After a dockerd crash its containerd shims and containers keep running; restarting dockerd on the
# same dirs reaps them (reference gotcha 3), then the normal API cleanup applies.
recover_crashed_engine() {
  alive && return 0
  [ -d "$D/data" ] || return 0
  grep -qla "$(exec_re)" /proc/[0-9]*/cmdline 2>/dev/null || return 0
  log "dockerd in $D is gone but left containers behind; restarting it to clean up"
  rm -f "$PIDFILE"
  launch_dockerd || true
}

stop_engine() {
  if [ -f "$PAUSED" ] && ! alive; then log "resuming the paused engine in $D to clean it up"; resume_engine || true; fi
  recover_crashed_engine
  remove_engine_objects
  if alive; then
    local pid i=0
    pid=$(cat "$PIDFILE")
    kill -TERM "$pid" 2>/dev/null || true
    while running "$pid"; do
      i=$((i + 1))
      if [ $i -ge 600 ]; then log "dockerd $pid ignored TERM for 30 s, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
      [ $i -ge 700 ] && break
      sleep 0.05
    done
  fi
  kill_leftovers
  unmount_all
  ip link del docker0 2>/dev/null || true
  restore_host_state
  rm -rf "$D/data" "$D/exec" "$SOCK" "$PIDFILE" "$D/docker-host.env" "$PAUSED" "$BIPFILE"
}

start_engine() {
  ensure_packages
  local longest="$D/exec/containerd/containerd.sock.ttrpc"   # containerd's sockets live under the exec-root
  [ ${#longest} -lt 108 ] || die "DIR is too deep: $longest exceeds the AF_UNIX path limit; use a shorter DIR"
  if alive || [ -d "$D/data" ]; then log "cleaning up a previous engine in $D"; stop_engine; fi
  if ip link show docker0 >/dev/null 2>&1; then
    # docker0 belongs to whichever bridge-mode engine is running; two would fight over it and the DOCKER chains.
    if pgrep -x dockerd >/dev/null; then die "docker0 exists and another dockerd is running; refusing to start a second bridge-mode engine"; fi
    log "removing a stale docker0"; ip link del docker0
  fi
  save_host_state
  echo "$BIP" >"$BIPFILE"
  : >"$D/dockerd.log"
  launch_dockerd || { tail -n 20 "$D/dockerd.log" >&2; stop_engine; die "dockerd did not come up (log: $D/dockerd.log)"; }
  echo "DOCKER_HOST=unix://$SOCK" >"$D/docker-host.env"
  cat "$D/docker-host.env"
}

pause_engine() {
  alive || die "no engine running in $D"
  local pid i=0 t0
  pid=$(cat "$PIDFILE")
  t0=$(date +%s%N)
  touch "$PAUSED"
  kill -TERM "$pid" 2>/dev/null || true
  while running "$pid"; do
    i=$((i + 1))
    if [ $i -ge 600 ]; then
      kill -KILL "$pid" 2>/dev/null || true
      die "dockerd $pid ignored TERM for 30 s; killed it"
    fi
    sleep 0.05
  done
  log "dockerd $pid stopped after $((($(date +%s%N) - t0) / 1000000)) ms; data kept in $D (resume with: $0 resume $D)"
}

resume_engine() {  # 1 on failure (the caller decides whether that is fatal)
  if alive && ping_ok; then rm -f "$PAUSED"; log "engine in $D already running"; return 0; fi
  [ -d "$D/data" ] || { log "no engine data in $D (never started, or stopped): use start"; return 1; }
  rm -f "$PIDFILE"
  launch_dockerd || { tail -n 20 "$D/dockerd.log" >&2; log "dockerd did not come back (log: $D/dockerd.log)"; return 1; }
  rm -f "$PAUSED"
  log "dockerd $(cat "$PIDFILE") resumed on $D (bip $BIP)"
}

case "$cmd" in
  start) start_engine ;;
  pause) pause_engine ;;
  resume) resume_engine || die "resume failed" ;;
  stop) stop_engine; log "stopped; host restored" ;;
  env) alive && ping_ok || die "no engine running in $D"; cat "$D/docker-host.env" ;;
  *) usage ;;
esac
