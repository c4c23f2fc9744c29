#!/usr/bin/env bash
# Benchmark: wall time of a no-op `ironward reconcile --dry-run` on the full example.
#
# Builds Release binaries, packages the project's iron-proxy test double as a file:// release, and
# applies examples/full.yaml with demo substitutions (the double's release URL + its sha256,
# `credentials.source: env` with made-up values instead of Bitwarden, free ports, no corporate CA),
# so the whole chain is real: binary, CA, tokens, secrets, config and a running proxy daemon.
# Then it times RUNS dry runs (each a fresh process: load + validate + observe every resource,
# including the proxy's health and listeners + plan + print) and prints the figures.
#
# With SANDBOXES=N (N > 0) and a Docker engine at $DOCKER_HOST (the caller starts it and holds
# /tmp/ironward-dockerd.lock, as bench/run.sh does), the example keeps its enforcement (enforce +
# internal network, proxy bound on the sandbox network) and declares N sandboxes on the offline test
# image ironward/test-sandbox:1 (built if missing), so every dry run also lists and inspects N
# containers, the network and the firewall. Without SANDBOXES the sandboxes are dropped, enforcement
# is off and the proxy binds loopback (no engine needed).
# Usage: bench/dry_run.sh [RUNS]   (default 50)
# Env: BENCH_BUILD_DIR, BENCH_NO_BUILD=1, BENCH_RESULTS=<file> (see bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-50}
N=${SANDBOXES:-0}
B=$(cd "${BENCH_BUILD_DIR:-build-release}" 2>/dev/null && pwd || echo "$PWD/build-release")
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  [ -f "$B/CMakeCache.txt" ] || TARGETS="ironward iron-proxy-double-0.39.0" BUILD_TYPE=Release JOBS=${JOBS:-2} scripts/build.sh "$B" >/dev/null
  cmake --build "$B" -j "${JOBS:-2}" --target ironward iron-proxy-double-0.39.0 >/dev/null
fi
IW=$B/ironward
DOUBLE=$(find "$B" -type f -name 'iron-proxy-double-0.39.0' -perm -u+x | head -1)
TMP=$(mktemp -d)
export IRONWARD_STATE_DIR=$TMP/state
cleanup() {
  if [ -f "$TMP/state/iron-proxy.pid" ]; then
    kill "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$TMP/state/iron-proxy.pid")" 2>/dev/null || true
  fi
  if [ "$N" -gt 0 ] && command -v docker >/dev/null 2>&1; then  # this run's sandboxes only (by name)
    for i in $(seq "$N"); do docker rm -f "bench-agent-$i" >/dev/null 2>&1 || true; done
    docker network rm ironward-sandboxes >/dev/null 2>&1 || true
    [ "${NFT_BEFORE:-1}" = 1 ] || nft delete table inet ironward 2>/dev/null || true  # only if this run made it
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
if [ "$N" -gt 0 ]; then
  [ -n "${DOCKER_HOST:-}" ] || { echo "dry_run: SANDBOXES=$N needs DOCKER_HOST (a test engine; see bench/run.sh)" >&2; exit 1; }
  NFT_BEFORE=0; nft list table inet ironward >/dev/null 2>&1 && NFT_BEFORE=1
  docker image inspect ironward/test-sandbox:1 >/dev/null 2>&1 || scripts/build-test-image.sh ironward/test-sandbox:1 >/dev/null
fi

SHA=$(scripts/package-iron-proxy-release.sh "$DOUBLE" 0.39.0 "$TMP/releases")
python3 - "$TMP" "$SHA" "$N" <<'PY'
import re, sys
tmp, sha, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open("examples/full.yaml").read()
text = re.sub(r'url: "https://github.com/[^"]*"', f'url: "file://{tmp}/releases/v{{version}}/iron-proxy_{{version}}_{{os}}_{{arch}}.tar.gz"', text)
text = re.sub(r'sha256: "0{64}"', f'sha256: "{sha}"', text)
text = re.sub(r'\n      checksumsUrl: [^\n]*', '', text)
text = text.replace("tunnelPort: 9090", "tunnelPort: 29090")
head, tail = text.split("  sandboxes:\n", 1)
tail = tail[tail.index("  reconcile:\n"):]
if n > 0:
    boxes = "".join(
        f'    - name: bench-agent-{i}\n'
        f'      image: "ironward/test-sandbox:1"\n'
        f'      command: ["sleep", "infinity"]\n'
        f'      env: {{TASK: "bench-{i}", LOG_FORMAT: "json"}}\n'
        f'      resources: {{memory: 64m, cpus: 0.1, pids: 32}}\n' for i in range(1, n + 1))
    text = head + "  sandboxes:\n" + boxes + tail
else:
    text = head + tail
    text = text.replace("bind: sandbox-network", "bind: loopback").replace("    mode: enforce\n", "    mode: off\n")
    text = text.replace("    network: internal\n", "    network: none\n")
for port, new in (("9091", "29091"), ("9092", "29092"), ("9093", "29093"), ("9094", "29094"), ("9095", "29095")):
    text = re.sub(rf"(Port: ){port}\b", rf"\g<1>{new}", text)
text = text.replace("    upstreamCaFile: /etc/ironward/corporate-ca.pem\n", "")
text = re.sub(r"  credentials:\n(    .*\n|      .*\n)*", "  credentials:\n    source: env\n", text)
open(f"{tmp}/full.yaml", "w").write(text)
PY
export OPENROUTER_API_KEY=bench-or ANTHROPIC_API_KEY=bench-an GITHUB_TOKEN=bench-gh
s=$(date +%s%N)
"$IW" reconcile -f "$TMP/full.yaml" >"$TMP/apply.log" 2>&1 || { cat "$TMP/apply.log" >&2; exit 1; }
e=$(date +%s%N)
COLD_MS=$(( (e - s) / 1000000 ))
echo "first apply (cold: install + CA + tokens + config + proxy start + network + $N sandboxes): $COLD_MS ms"

times=()
for _ in $(seq "$RUNS"); do
  s=$(date +%s%N)
  rc=0; "$IW" reconcile -f "$TMP/full.yaml" --dry-run >/dev/null || rc=$?
  e=$(date +%s%N)
  [ "$rc" -eq 0 ] || { echo "dry run exited $rc (expected 0: in sync)" >&2; "$IW" reconcile -f "$TMP/full.yaml" --dry-run >&2 || true; exit 1; }
  times+=($(( (e - s) / 1000 )))
done
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$RUNS" -v n="$N" -v cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" -v cores="$(nproc)" '
  { t[NR] = $1 }
  END {
    printf "no-op reconcile --dry-run, examples/full.yaml (%d sandboxes, proxy running), %d runs\n", n, runs
    printf "machine: %s, %d cores\n", cpu, cores
    printf "  %-8s %10s\n", "stat", "ms"
    printf "  %-8s %10.2f\n", "min", t[1] / 1000
    printf "  %-8s %10.2f\n", "median", t[int((NR + 1) / 2)] / 1000
    printf "  %-8s %10.2f\n", "p90", t[int(NR * 0.9)] / 1000
    printf "  %-8s %10.2f\n", "max", t[NR] / 1000
  }'
# One more dry run at debug level: the engine logs how long each resource's observe + plan took.
PROFILE=$("$IW" --log-level debug reconcile -f "$TMP/full.yaml" --dry-run 2>&1 |
  sed -n 's/.* debug \([a-z_]*\): observed and planned in \([0-9.]*\) ms$/\1=\2/p' | paste -sd, -)
echo "per resource (observe + plan, ms): ${PROFILE//,/ }"
if [ -n "${BENCH_RESULTS:-}" ]; then
  printf 'dry_run_profile\t%s\n' "$PROFILE" >>"$BENCH_RESULTS"
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$N" -v runs="$RUNS" -v cold="$COLD_MS" '
    { t[NR] = $1 }
    END {
      m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
      printf "dry_run_ms\t%.2f\ndry_run_runs\t%d\ndry_run_sandboxes\t%d\nfull_cold_ms\t%d\n", m / 1000, runs, n, cold
    }' >>"$BENCH_RESULTS"
fi
