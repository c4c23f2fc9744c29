#!/usr/bin/env bash
# Benchmark of `ironward run`: heal latency (kill -9 of the proxy -> a new proxy up and /readyz 200),
# edit-to-applied latency (atomic rename of an edited desired-state file -> the new allowlist host in
# the rendered proxy.yaml), and the idle daemon's RSS and CPU time over IDLE seconds.
#
# The chain is real: the project's iron-proxy test double packaged as a file:// release, env secrets,
# bind loopback on free ports. Times include the poller's own 2 ms granularity.
# Usage: bench/run_latency.sh [ROUNDS] [IDLE_SECONDS]      (defaults 5 and 60)
#   IRONWARD_BUILD=build-run bench/run_latency.sh   uses an existing build dir (default: builds Release)
#   BENCH_BUILD_DIR=<dir> BENCH_NO_BUILD=1          as bench/run.sh calls it (built once, not rebuilt)
#   BENCH_RESULTS=<file>                            also appends the figures as "key<TAB>value" lines
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
IDLE=${2:-60}
if [ -n "${IRONWARD_BUILD:-${BENCH_BUILD_DIR:-}}" ]; then
  B=$(cd "${IRONWARD_BUILD:-${BENCH_BUILD_DIR:-}}" && pwd)
else
  B=$PWD/build-release
fi
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  [ -f "$B/CMakeCache.txt" ] || TARGETS="ironward iron-proxy-double-0.39.0" BUILD_TYPE=Release JOBS=${JOBS:-2} scripts/build.sh "$B" >/dev/null
  cmake --build "$B" -j "${JOBS:-2}" --target ironward iron-proxy-double-0.39.0 >/dev/null
fi
IW=$B/ironward
DOUBLE=$(find "$B" -type f -name 'iron-proxy-double-0.39.0' -perm -u+x | head -1)
TMP=$(mktemp -d)
STATE=$TMP/state
DAEMON=
proxy_pid() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$STATE/iron-proxy.pid" 2>/dev/null || echo 0; }
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null || true
  local p; p=$(proxy_pid); [ "$p" != 0 ] && kill "$p" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_base() {
  python3 - <<'PY'
import socket
for base in range(31000, 60000, 10):
    ok = True
    for p in range(base, base + 7):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        finally:
            s.close()
        if not ok:
            break
    if ok:
        print(base)
        break
PY
}
BASE=$(free_base)
MPORT=$((BASE + 6))
SHA=$(scripts/package-iron-proxy-release.sh "$DOUBLE" 0.39.0 "$TMP/releases")
mkdir -p "$TMP/desired"
gateway() {  # $1 = extra allowlist host
  cat <<YAML
apiVersion: ironward.dev/v1
kind: EgressGateway
metadata:
  name: bench
spec:
  proxy:
    version: "0.39.0"
    bind: loopback
    tunnelPort: $BASE
    source:
      url: "file://$TMP/releases/v{version}/iron-proxy_{version}_{os}_{arch}.tar.gz"
      sha256: "$SHA"
  providers:
    - name: openrouter
      secret: OPENROUTER_API_KEY
      hosts: ["openrouter.ai"]
  allowlist: ["api.github.com"$1]
  credentials:
    source: env
YAML
}
gateway "" > "$TMP/desired/gateway.yaml"
export OPENROUTER_API_KEY=sk-bench-not-a-real-key
now_ms() { date +%s%3N; }
ready() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/readyz" 2>/dev/null | grep -q 200; }

"$IW" --state-dir "$STATE" --log-level warn run -f "$TMP/desired/gateway.yaml" \
  --metrics-addr "127.0.0.1:$MPORT" --harden-interval 0 >"$TMP/daemon.log" 2>&1 &
DAEMON=$!
t0=$(now_ms)
until ready; do sleep 0.05; [ $(( $(now_ms) - t0 )) -gt 60000 ] && { echo "daemon never became ready"; cat "$TMP/daemon.log"; exit 1; }; done
echo "first pass (install + CA + config + proxy start) ready after $(( $(now_ms) - t0 )) ms"

# The daemon reconciler restarts a first crash at once, then backs off 1 s, 2 s… after consecutive crashes (reset
# after 10 min healthy; 5 in a row = crash loop, Stalled), so heal rounds are capped at 3 and each
# figure includes that round's back-off.
# Timed in one Python process (bench/lib/run_latency.py heal): healthy = a new pid in the pid file
# and the proxy's own /healthz answering 200.
read -r -a heal < <(python3 bench/lib/run_latency.py heal "$STATE/iron-proxy.pid" "$STATE/proxy.yaml" \
  "$(( ROUNDS < 3 ? ROUNDS : 3 ))")
[ "${#heal[@]}" -ge 1 ] || { echo "heal rounds failed"; cat "$TMP/daemon.log"; exit 1; }

# Edited files written beforehand; the rename and the polling are timed in one Python process
# (bench/lib/run_latency.py edit), as the heal is.
hosts=()
for i in $(seq 1 "$ROUNDS"); do
  hosts+=("bench-$i-$RANDOM.example.org")
  gateway ", \"${hosts[-1]}\"" > "$TMP/desired/.gateway.yaml.new.$i"
done
read -r -a edit < <(python3 bench/lib/run_latency.py edit "$TMP/desired" "$STATE/proxy.yaml" "${hosts[@]}")
[ "${#edit[@]}" -eq "$ROUNDS" ] || { echo "edit rounds failed"; cat "$TMP/daemon.log"; exit 1; }

stat_ticks() { awk '{print $14 + $15}' "/proc/$DAEMON/stat"; }
sleep 2
c0=$(stat_ticks)
sleep "$IDLE"
c1=$(stat_ticks)
hz=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$DAEMON/status")
# VmRSS = RssAnon (heap, stacks: the daemon's own memory) + RssFile (mapped binary and shared
# libraries, shared with every other process that maps them) + RssShmem.
rss_anon=$(awk '/RssAnon/ {print $2}' "/proc/$DAEMON/status")
rss_file=$(awk '/RssFile/ {print $2}' "/proc/$DAEMON/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$DAEMON/status")
# PSS charges each shared page to the processes mapping it in equal parts: what the daemon really
# costs the host (its libraries' pages are mostly shared with other processes).
pss=$(awk '/^Pss:/ {print $2}' "/proc/$DAEMON/smaps_rollup")

summ() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1; s+=$1} END {printf "min %d ms, median %d ms, max %d ms, mean %.0f ms (n=%d)", a[1], a[int((NR+1)/2)], a[NR], s/NR, NR}'; }
echo "build:                 $B"
echo "heal (kill -9 -> new proxy pid, its /healthz 200), per round incl. the 0/1/2 s crash back-off: ${heal[*]} ms"
echo "edit -> applied (rename -> proxy.yaml has the host): $(summ "${edit[@]}")"
echo "idle over ${IDLE}s:    CPU $(( (c1 - c0) * 1000 / hz )) ms, RSS ${rss} kB (anon ${rss_anon} kB, file ${rss_file} kB), PSS ${pss} kB, threads ${threads}"
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
if [ -n "${BENCH_RESULTS:-}" ]; then
  {
    printf 'run_heal_first_ms\t%s\n' "${heal[0]}"
    printf 'run_heal_all_ms\t%s\n' "${heal[*]}"
    printf 'edit_ms\t%s\nedit_runs\t%s\n' "$(median "${edit[@]}")" "${#edit[@]}"
    printf 'idle_s\t%s\nidle_cpu_ms\t%s\nidle_rss_kb\t%s\nidle_threads\t%s\n' "$IDLE" "$(( (c1 - c0) * 1000 / hz ))" "$rss" "$threads"
    printf 'idle_rss_anon_kb\t%s\nidle_rss_file_kb\t%s\nidle_pss_kb\t%s\n' "$rss_anon" "$rss_file" "$pss"
  } >>"$BENCH_RESULTS"
fi
