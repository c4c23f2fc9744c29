#!/usr/bin/env bash
# The whole test suite: install dependencies, build, run ctest.
# Usage: scripts/test.sh [BUILD_DIR] [extra cmake args...]   (e.g. build-asan -DIRONWARD_SANITIZE=ON)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
# IRONWARD_PHASE_LOG (set by .ci/run): each step's wall time is appended there.
t0=$(date +%s)
log_phase() { [ -n "${IRONWARD_PHASE_LOG:-}" ] && echo "$BUILD_DIR $1: $(( $(date +%s) - t0 )) s" >>"$IRONWARD_PHASE_LOG"; t0=$(date +%s); }
scripts/setup.sh --tests
log_phase setup
scripts/build.sh "$BUILD_DIR" "$@"
log_phase build
# CTEST_EXCLUDE_LABELS (a ctest -LE regex) leaves out labelled groups; .ci/run's sanitizer pass uses it.
exclude=()
[ -n "${CTEST_EXCLUDE_LABELS:-}" ] && exclude=(-LE "$CTEST_EXCLUDE_LABELS")
status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${CTEST_JOBS:-2}" --timeout 600 "${exclude[@]}" || status=$?
log_phase tests
exit "$status"
