#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang in build-fuzz and runs each one for
# SECONDS (default 30), starting from the committed seeds in tests/fuzz/corpus/<target>/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]      (docs/fuzzing.md)
# Prints one line per target (executions, exec/s, corpus size). Exits 1 on any finding (crash,
# sanitizer report, failed property, timeout, out-of-memory) and names the reproducer file; rerun
# it with build-fuzz/tests/fuzz/<target> <file>.
# FUZZ_MARKDOWN=<file> also writes the results as a markdown table (docs/fuzzing.md's longer run).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-30}
shift || true
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
TARGETS=("$@")
if [ "${#TARGETS[@]}" -eq 0 ]; then
  TARGETS=(fuzz_spec_loader fuzz_proxy_render fuzz_enc_string fuzz_access_token fuzz_bitwarden_api fuzz_docker_json)
fi

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found (scripts/setup.sh installs clang and libclang-rt-14-dev)" >&2
  exit 2
fi
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DIRONWARD_FUZZ=ON >/dev/null
fi
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" --target "${TARGETS[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
found=0
printf '%-20s %12s %10s %8s  %s\n' target executions exec/s corpus result
if [ -n "${FUZZ_MARKDOWN:-}" ]; then
  printf '| target | seconds | executions | exec/s | corpus | result |\n|---|---|---|---|---|---|\n' >"$FUZZ_MARKDOWN"
fi
for t in "${TARGETS[@]}"; do
  bin="$BUILD_DIR/tests/fuzz/$t"
  seeds="tests/fuzz/corpus/$t"
  work="$BUILD_DIR/fuzz-corpus/$t"        # grows across runs; the committed seeds stay untouched
  findings="$BUILD_DIR/fuzz-findings/$t"
  log="$BUILD_DIR/fuzz-logs/$t.log"
  mkdir -p "$work" "$findings" "$(dirname "$log")"
  rc=0
  "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$work" "$seeds" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(find "$work" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    result=clean
  else
    found=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    result="FINDING (exit $rc): reproducer ${artifact:-none written}; log $log"
    tail -n 40 "$log" >&2  # the sanitizer report / failed property, for CI logs
  fi
  printf '%-20s %12s %10s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$size" "$result"
  if [ -n "${FUZZ_MARKDOWN:-}" ]; then
    printf '| `%s` | %s | %s | %s | %s | %s |\n' "$t" "$SECS" "${execs:-?}" "${rate:-?}" "$size" "$result" >>"$FUZZ_MARKDOWN"
  fi
done
if [ "$found" -ne 0 ]; then
  echo "fuzz: findings above; reproduce with $BUILD_DIR/tests/fuzz/<target> <reproducer>" >&2
  exit 1
fi
