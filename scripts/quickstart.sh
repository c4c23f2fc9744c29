#!/usr/bin/env bash
# Sets up, builds and runs ironward on the built-in demo example, on this machine only:
#   1. installs the Debian packages it needs (scripts/setup.sh),
#   2. builds ironward and the project's iron-proxy test double (only those two targets),
#   3. packages the double as a local file:// release (DEMO: the real iron-proxy release URL is
#      used in production examples; it cannot be downloaded here),
#   4. runs `ironward validate`, `reconcile --dry-run`, `reconcile` (twice) and `status`
#      against a private state directory under .quickstart/.
# Nothing outside the repository's .quickstart/ directory is changed, apart from packages.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEMO=$ROOT/.quickstart
BUILD_DIR=${BUILD_DIR:-build}

START=$SECONDS
# What it is doing, and how long it has taken, before each step (a first build takes minutes).
say() { printf '\033[1mquickstart [%dm%02ds]: %s\033[0m\n' $(((SECONDS - START) / 60)) $(((SECONDS - START) % 60)) "$*"; }

say "1/4 checking the Debian packages it needs (scripts/setup.sh; installs only what is missing)"
scripts/setup.sh
# Only what the demo runs: ironward and the iron-proxy test double (scripts/test.sh builds the
# rest: about 300 test targets the demo never runs).
say "2/4 building ironward and the iron-proxy test double in $BUILD_DIR/ (only these two targets; scripts/test.sh builds the tests)"
TARGETS="ironward iron-proxy-double-0.39.0" scripts/build.sh "$BUILD_DIR"

IW=$ROOT/$BUILD_DIR/ironward
DOUBLE=$(find "$ROOT/$BUILD_DIR" -type f -name 'iron-proxy-double-0.39.0' -perm -u+x | head -1)
[ -n "$DOUBLE" ] || { echo "quickstart: the iron-proxy test double was not built" >&2; exit 1; }

say "3/4 packaging the double as a local file:// release in $DEMO/releases (DEMO: production names the real release URL)"
mkdir -p "$DEMO"
SHA=$(scripts/package-iron-proxy-release.sh "$DOUBLE" 0.39.0 "$DEMO/releases")
sed -e "s|@RELEASE_ROOT@|$DEMO/releases|" -e "s|@TARBALL_SHA256@|$SHA|" examples/quickstart.yaml.in >"$DEMO/gateway.yaml"

export IRONWARD_STATE_DIR=$DEMO/state
export OPENROUTER_API_KEY=${OPENROUTER_API_KEY:-demo-not-a-real-key}   # DEMO value

say "4/4 running ironward against the private state directory $DEMO/state"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
step ironward validate -f "$DEMO/gateway.yaml"
"$IW" validate -f "$DEMO/gateway.yaml"
step ironward reconcile -f "$DEMO/gateway.yaml" --dry-run
set +e; "$IW" reconcile -f "$DEMO/gateway.yaml" --dry-run; rc=$?; set -e
echo "(exit code $rc: 0 = in sync, 2 = changes pending, 1 = error)"
[ "$rc" -ne 1 ] || exit 1
step ironward reconcile -f "$DEMO/gateway.yaml"
"$IW" reconcile -f "$DEMO/gateway.yaml"
step ironward reconcile -f "$DEMO/gateway.yaml"   "# again: nothing left to change"
"$IW" reconcile -f "$DEMO/gateway.yaml"
step ironward status
"$IW" status || true

PIDFILE=$DEMO/state/iron-proxy.pid
if [ -f "$PIDFILE" ]; then
  PID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$PIDFILE")
  step "kill -9 $PID   # the proxy dies behind ironward's back"
  kill -9 "$PID" || true
  sleep 1.5   # the crash back-off starts at 1 s
  step ironward reconcile -f "$DEMO/gateway.yaml"   "# heals it"
  "$IW" reconcile -f "$DEMO/gateway.yaml" || true
  PID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$PIDFILE")
  echo
  echo "The demo proxy runs on 127.0.0.1:19090 (CONNECT) and :19091 (HTTP), pid $PID."
  echo "Stop it with: IRONWARD_STATE_DIR=$DEMO/state $IW down -f $DEMO/gateway.yaml   (docs/down.md)"
fi
echo "Demo state is in $DEMO/state (IRONWARD_STATE_DIR). Remove $DEMO to start over."
say "done"
