#!/usr/bin/env bash
# Benchmark: how fast ironward heals a killed proxy, next to how fast the proxy starts at all.
#
# Builds Release binaries (build-release, with the project's iron-proxy test double), packages
# the double as a file:// release, and for each of RUNS rounds, on a fresh state directory:
#   cold converge  empty state dir -> `ironward reconcile` (download, verify, install, CA, tokens,
#                  config, start, readiness) -> exit 0 and /healthz 200
#   kill -9 heal   SIGKILL the proxy, then time `ironward reconcile` until /healthz is 200 again
#                  (a first crash is restarted without a back-off)
#   bare start     the same binary and proxy.yaml started by hand: spawn -> /healthz 200
# and prints the medians (and min/max) plus heal / bare-start as a ratio. Each round uses its own
# state dir so every kill is a first crash (no back-off), not the doubling of a crash loop.
# Usage: bench/daemon_heal.sh [RUNS]   (default 9)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-9}
# BENCH_BUILD_DIR=<dir> measures an existing build instead (its build type is printed);
# BENCH_NO_BUILD=1 skips the build step (bench/run.sh builds once for all scripts).
# BENCH_RESULTS=<file> also appends the medians as "key<TAB>value" lines (read by bench/run.sh).
B=${BENCH_BUILD_DIR:-$PWD/build-release}
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  if [ -z "${BENCH_BUILD_DIR:-}" ]; then
    GEN=(); [ -f "$B/CMakeCache.txt" ] || { command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja); }
    cmake -S . -B "$B" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DIRONWARD_TESTS=ON >/dev/null
  fi
  cmake --build "$B" -j "${JOBS:-2}" --target ironward iron-proxy-double-0.39.0 >/dev/null
fi
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$B/CMakeCache.txt")
IW=$B/ironward
DOUBLE=$(find "$B" -type f -name 'iron-proxy-double-0.39.0' -perm -u+x | head -1)
[ -n "$DOUBLE" ] || { echo "daemon_heal: the iron-proxy test double was not built" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'python3 bench/lib/stop_proxy.py "$TMP" 2>/dev/null || true; rm -rf "$TMP"' EXIT
SHA=$(scripts/package-iron-proxy-release.sh "$DOUBLE" 0.39.0 "$TMP/releases")
PORT=${BENCH_PORT:-29190}
sed -e "s|@RELEASE_ROOT@|$TMP/releases|" -e "s|@TARBALL_SHA256@|$SHA|" -e "s|tunnelPort: 19090|tunnelPort: $PORT|" \
  examples/quickstart.yaml.in >"$TMP/gateway.yaml"

python3 bench/lib/daemon_heal.py "$IW" "$TMP" "$TMP/gateway.yaml" "$RUNS" "$((PORT + 2))" "${BUILD_TYPE:-?}"
