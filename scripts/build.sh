#!/usr/bin/env bash
# Configures and builds ironward. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# TARGETS="ironward iron-proxy-double-0.39.0" builds only those (the quickstart); default: everything.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Debug} "$@"
else
  cmake -S . -B "$BUILD_DIR" "$@" >/dev/null
fi
read -r -a targets <<<"${TARGETS:-}"
if [ "${#targets[@]}" -gt 0 ]; then
  cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" --target "${targets[@]}"
else
  cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}"
fi
