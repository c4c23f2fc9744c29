#!/usr/bin/env bash
# Benchmark: creating N sandboxes, then a full sandboxes reconcile pass (list + inspect + diff) with N in
# sync against a private dockerd, and the Engine API calls per pass (expected: 1 list + N inspects, 4 at a
# time), then the list-proven pass of `ironward run` between drift checks (expected: 1 list). Each figure
# is the median of PASSES passes (default 5).
# Usage: bench/sandboxes_sync.sh [BUILD_DIR] [COUNTS...]   (default build-release, 10 100 500)
# Holds /tmp/ironward-dockerd.lock while the engine runs (one bridge-mode engine per host).
# Env: PASSES=<n>; BENCH_NO_BUILD=1 (bench/run.sh built already); BENCH_DOCKER_HOST=unix://… uses an engine
# the caller started (and holds the lock for) instead of starting one; BENCH_RESULTS=<file> also appends
# "key<TAB>value" lines (read by bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-release}
shift || true
COUNTS=${*:-10 100 500}
PASSES=${PASSES:-5}
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  [ -d "$B" ] || TARGETS=sandboxes_bench BUILD_TYPE=Release JOBS=${JOBS:-2} scripts/build.sh "$B" >/dev/null
  cmake --build "$B" -j "${JOBS:-2}" --target sandboxes_bench >/dev/null
fi
if [ -n "${BENCH_DOCKER_HOST:-}" ]; then
  export DOCKER_HOST=$BENCH_DOCKER_HOST
else
  D=$(mktemp -d /tmp/ironward-bench-dockerd.XXXXXX)
  exec 9>/tmp/ironward-dockerd.lock
  flock 9
  trap 'scripts/dockerd-test.sh stop "$D" >/dev/null 2>&1 || true; rm -rf "$D"' EXIT
  IRONWARD_DOCKERD_BIP=${IRONWARD_DOCKERD_BIP:-172.29.0.1/21} scripts/dockerd-test.sh start "$D" >/dev/null
  export DOCKER_HOST="unix://$D/docker.sock"
  scripts/build-test-image.sh ironward/test-sandbox:1 >/dev/null
fi
for n in $COUNTS; do
  rc=0
  out=$("$B/tests/sandboxes/sandboxes_bench" "$n" "$PASSES" 2>&1) || rc=$?
  [ "$rc" -eq 0 ] || { printf '%s\nsandboxes_bench %s exited %s\n' "$out" "$n" "$rc" >&2; exit 1; }
  printf '%s\n' "$out"
  if [ -n "${BENCH_RESULTS:-}" ]; then
    printf '%s\n' "$out" | sed -n "s/^sandboxes=$n create pass: \([0-9.]*\) s.*/create_s_$n\t\1/p" >>"$BENCH_RESULTS"
    printf '%s\n' "$out" | sed -n "s/^sandboxes=$n listed pass[^:]*: \([0-9.]*\) ms median.*/listed_ms_$n\t\1/p" >>"$BENCH_RESULTS"
    printf '%s\n' "$out" | sed -n "s/^sandboxes=$n listed pass.*, \([0-9.]*\) ms of it ironward's CPU/listed_cpu_ms_$n\t\1/p" >>"$BENCH_RESULTS"
    printf '%s\n' "$out" | sed -n "s/^sandboxes=$n in-sync pass: \([0-9.]*\) ms median over \([0-9]*\).*, \([0-9]*\) Engine API calls.*/sync_ms_$n\t\1\nsync_passes_$n\t\2\nsync_calls_$n\t\3/p" >>"$BENCH_RESULTS"
  fi
done
