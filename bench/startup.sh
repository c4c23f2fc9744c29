#!/usr/bin/env bash
# Benchmark: process start-up of `ironward --version` (issue #18: ≤ 3 ms), the shared libraries it
# loads at start (`ldd | wc -l`), and the same-run floors: /bin/true and the Python CLI floor
# (python3 importing yaml, ssl and urllib). No root, no Docker: seconds.
# Usage: bench/startup.sh [RUNS]   (default 200)
# BENCH_BUILD_DIR=<dir> measures an existing build (default build-release, built Release here);
# BENCH_NO_BUILD=1 skips the build step; BENCH_RESULTS=<file> appends key<TAB>value lines.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-200}
B=${BENCH_BUILD_DIR:-$PWD/build-release}
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  if [ -z "${BENCH_BUILD_DIR:-}" ]; then
    GEN=(); [ -f "$B/CMakeCache.txt" ] || { command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja); }
    cmake -S . -B "$B" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$B" -j "${JOBS:-2}" --target ironward >/dev/null
fi
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$B/CMakeCache.txt")
[ "$BUILD_TYPE" = Release ] || echo "startup: note: $B is a ${BUILD_TYPE:-?} build, not Release" >&2
python3 -c 'import yaml' 2>/dev/null || { echo "startup: python3-yaml is missing (scripts/setup.sh)" >&2; exit 1; }
python3 bench/lib/startup.py "$B/ironward" "$RUNS"
