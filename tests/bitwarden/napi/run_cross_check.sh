#!/usr/bin/env bash
# Runs the official @bitwarden/sdk-napi 1.0.0 against bitwarden-server-double (ctest
# bitwarden_napi_cross_check) and records the SDK version it ran in <version file>.
#   run_cross_check.sh <server-double> <login-cache-tool> <napi source dir> <cache dir> <version file>
#   run_cross_check.sh --missing-tools        (registered when cmake found no node/npm)
# Exit 77 = skipped: only outside CI, when node/npm are missing or npm cannot reach its registry.
# With CI=true (or CI=1) in the environment those cases fail instead: CI must not pass without
# the official-SDK check.
set -euo pipefail

in_ci() { case "${CI:-}" in true | TRUE | True | 1) return 0 ;; esac; return 1; }

# Cannot run the check: fail in CI, skip (visibly) elsewhere.
cannot_run() {
  if in_ci; then
    echo "FAIL: CI=${CI}: $1; the official-SDK cross-check must run in CI"
    exit 1
  fi
  echo "SKIPPED: $1"
  exit 77
}

if [ "${1:-}" = "--missing-tools" ]; then
  cannot_run "node and npm were not found when the build was configured (install Node >= 18 and npm, then re-run cmake)"
fi
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || cannot_run "node or npm is not on PATH"

DOUBLE="$1"
CACHE_TOOL="$2"
SRC="$3"
CACHE="$4"
VERSION_FILE="$5"

mkdir -p "$CACHE"
cp "$SRC/package.json" "$SRC/cross_check.js" "$CACHE/"
rm -f "$VERSION_FILE"

installed() {
  [ -f "$CACHE/node_modules/@bitwarden/sdk-napi/package.json" ] &&
    node -e 'process.exit(require(process.argv[1]).version === "1.0.0" ? 0 : 1)' \
      "$CACHE/node_modules/@bitwarden/sdk-napi/package.json"
}

if installed; then
  echo "using cached @bitwarden/sdk-napi 1.0.0 in $CACHE"
else
  echo "npm install @bitwarden/sdk-napi 1.0.0 into $CACHE"
  set +e
  (cd "$CACHE" && npm install --no-audit --no-fund --no-save) >"$CACHE/npm-install.log" 2>&1
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    cat "$CACHE/npm-install.log"
    if grep -Eqi 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|socket hang up|fetch failed' \
        "$CACHE/npm-install.log"; then
      cannot_run "npm registry unreachable, @bitwarden/sdk-napi could not be installed"
    fi
    echo "FAIL: npm install failed (not a network error)"
    exit 1
  fi
  installed || { echo "FAIL: @bitwarden/sdk-napi 1.0.0 missing after npm install"; exit 1; }
fi

# Which SDK (and native binding) this run uses: in the test output and in the build directory.
RAN="$(cd "$CACHE" && node -e '
const v = (p) => { try { return require(p + "/package.json").version; } catch (e) { return "absent"; } };
console.log(`@bitwarden/sdk-napi ${v("@bitwarden/sdk-napi")} ` +
  `(native ${v("@bitwarden/sdk-napi-linux-x64-gnu")}, node ${process.version})`);
')"
echo "SDK under test: $RAN"
echo "$RAN" >"$VERSION_FILE"

WORK="$(mktemp -d)"
DOUBLE_PID=""
cleanup() {
  if [ -n "$DOUBLE_PID" ]; then kill "$DOUBLE_PID" 2>/dev/null || true; wait "$DOUBLE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Fresh random credentials and values for every run.
CONFIG="$WORK/config.json"
node -e '
const c = require("crypto");
const uuid = () => c.randomUUID();
const secret = c.randomBytes(22).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 30);
const token = `0.${uuid()}.${secret}:${c.randomBytes(16).toString("base64")}`;
const cfg = {access_token: token, organization_id: uuid(), project_id: uuid(), expires_in: 3600,
  secrets: {OPENROUTER_API_KEY: "sk-or-" + c.randomBytes(12).toString("hex"),
            ANTHROPIC_API_KEY: "sk-ant-" + c.randomBytes(12).toString("hex"),
            UNICODE_SECRET: "p\u00e4ss-\u{1F427}-" + c.randomBytes(4).toString("hex")}};
require("fs").writeFileSync(process.argv[1], JSON.stringify(cfg), {mode: 0o600});
' "$CONFIG"

"$DOUBLE" --config "$CONFIG" >"$WORK/double.out" 2>"$WORK/double.err" &
DOUBLE_PID=$!
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$WORK/double.out" 2>/dev/null && break
  sleep 0.1
done
PORT="$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/double.out")"
[ -n "$PORT" ] || { echo "FAIL: server double did not start"; cat "$WORK/double.err"; exit 1; }
BASE="http://127.0.0.1:$PORT"
echo "server double on $BASE"

TOKEN="$(node -e 'console.log(require(process.argv[1]).access_token)' "$CONFIG")"
PROJECT="$(node -e 'console.log(require(process.argv[1]).project_id)' "$CONFIG")"
ORG="$(node -e 'console.log(require(process.argv[1]).organization_id)' "$CONFIG")"

# 1. ironward writes its login cache (our format) for the SDK to reuse in step 2.
BWS_ACCESS_TOKEN="$TOKEN" "$CACHE_TOOL" fetch --server "$BASE" --project "$PROJECT" --cache "$WORK/ironward.cache"

# 2. The official SDK: login, list(orgId), getByIds, rotation, reuse of ironward's cache.
(cd "$CACHE" && node cross_check.js "$BASE" "$CONFIG" "$WORK/sdk.state" "$WORK/ironward.cache")

# 3. ironward reads the state file the SDK wrote.
GOT_ORG="$(BWS_ACCESS_TOKEN="$TOKEN" "$CACHE_TOOL" decode --cache "$WORK/sdk.state")"
[ "$GOT_ORG" = "$ORG" ] || { echo "FAIL: ironward could not read the SDK state file"; exit 1; }
echo "ok - ironward decodes the SDK's state file (organization $GOT_ORG)"
echo "PASS: napi cross-check"
