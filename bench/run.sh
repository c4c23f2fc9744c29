#!/usr/bin/env bash
# The benchmark report: builds Release once (build-release), runs every benchmark in bench/ against
# the real chain (the iron-proxy test double from a file:// release, a private dockerd, nftables),
# and prints ONE table of medians next to the targets of issue #8. Also writes it, with the machine
# described, to docs/benchmarks.md (BENCH_DOC=<file> elsewhere, BENCH_DOC= to skip).
#
# Usage: bench/run.sh [--quick]
#   default: 200 start-ups, 31 dry runs, 9 heal rounds, 5 edit rounds, 60 s idle, 5 passes per sandbox count
#   --quick: 100 start-ups, 11 dry runs, 3 heal rounds, 3 edit rounds, 15 s idle, 3 passes (a smoke run, ~3 min)
# Needs root (dockerd, nftables) and the packages of scripts/setup.sh. Holds
# /tmp/ironward-dockerd.lock while its engine runs, so it never overlaps the integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
STARTS=200 DRY_RUNS=31 HEAL_RUNS=9 EDIT_ROUNDS=5 IDLE=60 PASSES=5
if [ "${1:-}" = "--quick" ]; then STARTS=100 DRY_RUNS=11 HEAL_RUNS=3 EDIT_ROUNDS=3 IDLE=15 PASSES=3; fi
B=$PWD/build-release
DOC=${BENCH_DOC-docs/benchmarks.md}

echo "== building Release in $B"
if [ ! -f "$B/CMakeCache.txt" ]; then
  GEN=(); command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
  cmake -S . -B "$B" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$B" -j "${JOBS:-$(nproc)}" --target ironward iron-proxy-double-0.39.0 sandboxes_bench >/dev/null
export BENCH_BUILD_DIR=$B BENCH_NO_BUILD=1
RESULTS=$(mktemp)
export BENCH_RESULTS=$RESULTS
D=$(mktemp -d /tmp/ironward-bench-dockerd.XXXXXX)
cleanup() {
  scripts/dockerd-test.sh stop "$D" >/dev/null 2>&1 || true
  rm -rf "$D" "$RESULTS"
}
trap cleanup EXIT

echo "== process start-up: ironward --version, /bin/true, the Python CLI floor ($STARTS runs each)"
bench/startup.sh "$STARTS"
echo "== kill -9 heal vs bare proxy start, cold converge ($HEAL_RUNS rounds)"
bench/daemon_heal.sh "$HEAL_RUNS"
echo "== ironward run: heal, edit -> applied, idle ($EDIT_ROUNDS rounds, ${IDLE}s idle)"
bench/run_latency.sh "$EDIT_ROUNDS" "$IDLE"

echo "== private dockerd (waiting for /tmp/ironward-dockerd.lock)"
exec 9>/tmp/ironward-dockerd.lock
flock 9
# A /21 bridge: 500 sandboxes need more addresses than the test default /24 has.
IRONWARD_DOCKERD_BIP=172.29.0.1/21 scripts/dockerd-test.sh start "$D" >/dev/null
export DOCKER_HOST="unix://$D/docker.sock"
scripts/build-test-image.sh ironward/test-sandbox:1 >/dev/null
echo "== no-op dry run, full example with 50 sandboxes ($DRY_RUNS runs)"
SANDBOXES=50 bench/dry_run.sh "$DRY_RUNS"
echo "== full sandboxes pass at 10 / 100 / 500 sandboxes ($PASSES passes each)"
PASSES=$PASSES BENCH_DOCKER_HOST=$DOCKER_HOST bench/sandboxes_sync.sh "$B" 10 100 500
scripts/dockerd-test.sh stop "$D" >/dev/null 2>&1 || true
flock -u 9

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
MACHINE="$CPU, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
TABLE=$(python3 bench/lib/report.py "$RESULTS" "$MACHINE" "$REV" "$(date -u +%Y-%m-%d)" "${1:---full}")
echo
printf '%s\n' "$TABLE"
if [ -n "$DOC" ]; then
  printf '%s\n' "$TABLE" >"$DOC"
  echo
  echo "written to $DOC"
fi
