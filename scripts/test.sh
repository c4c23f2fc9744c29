#!/usr/bin/env bash
# The whole test suite: install dependencies, build, run ctest.
# Usage: scripts/test.sh [BUILD_DIR] [extra cmake args...]   (e.g. build-asan -DIRONWARD_SANITIZE=ON)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
scripts/setup.sh --tests
scripts/build.sh "$BUILD_DIR" "$@"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${CTEST_JOBS:-2}" --timeout 600
