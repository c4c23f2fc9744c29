#!/usr/bin/env bash
# The long soak of issue "Unattended means never stuck": tests/faults/soak_test.cpp for MINUTES
# (default 30) of random faults against `ironward run` (kill -9 and SIGSTOP/SIGCONT of the proxy,
# valid and invalid edits, touches, SIGHUP, proxy.yaml deleted or replaced by a symlink,
# mappings.json re-moded), then its checks: healthy again within the maximum back-off plus a pass,
# tokens and CA unchanged, no zombie, fds and threads flat, no secret in any log or state file.
# Prints the fault counts, the recovery time and run's fds/threads/RSS before and after.
#
# Usage: bench/soak.sh [MINUTES] [BUILD_DIR]      (CI runs the same test for 60 s: label `soak`)
#        IRONWARD_SOAK_SEED=<n> bench/soak.sh 5   replays the faults of a printed seed
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}
B=${2:-build}
if [ ! -x "$B/tests/faults/soak_tests" ]; then
  scripts/build.sh "$B" >/dev/null
fi
echo "== soak: $MINUTES min of faults ($B/tests/faults/soak_tests)"
IRONWARD_SOAK_SECONDS=$((MINUTES * 60)) "$B/tests/faults/soak_tests" --gtest_brief=0 2>&1 | grep -E '^soak:|OK|FAILED|Failure|Expected|Which is' 
