#!/usr/bin/env bash
# Benchmark: wall time of a no-op `ironward reconcile --dry-run` on the full example.
#
# Builds Release binaries, packages the project's iron-proxy test double as a file:// release, and
# applies examples/full.yaml with four demo substitutions (the double's release URL + its sha256,
# `credentials.source: env` with made-up values instead of Bitwarden, `bind: loopback`, free ports),
# so the whole chain is real: binary, CA, tokens, secrets, config and a running proxy daemon.
# Then it times RUNS dry runs (each a fresh process: load + validate + observe every resource,
# including the proxy's health and listeners + plan + print) and prints the figures.
# Usage: bench/dry_run.sh [RUNS]   (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-50}
BUILD_TYPE=Release scripts/build.sh build-release >/dev/null
B=$PWD/build-release
IW=$B/ironward
DOUBLE=$(find "$B" -type f -name 'iron-proxy-double-0.39.0' -perm -u+x | head -1)
TMP=$(mktemp -d)
export IRONWARD_STATE_DIR=$TMP/state
cleanup() {
  if [ -f "$TMP/state/iron-proxy.pid" ]; then
    kill "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$TMP/state/iron-proxy.pid")" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

SHA=$(scripts/package-iron-proxy-release.sh "$DOUBLE" 0.39.0 "$TMP/releases")
python3 - "$TMP" "$SHA" <<'PY'
import re, sys
tmp, sha = sys.argv[1], sys.argv[2]
text = open("examples/full.yaml").read()
text = re.sub(r'url: "https://github.com/[^"]*"', f'url: "file://{tmp}/releases/v{{version}}/iron-proxy_{{version}}_{{os}}_{{arch}}.tar.gz"', text)
text = re.sub(r'sha256: "0{64}"', f'sha256: "{sha}"', text)
text = re.sub(r'\n      checksumsUrl: [^\n]*', '', text)
text = text.replace("bind: sandbox-network", "bind: loopback").replace("tunnelPort: 9090", "tunnelPort: 29090")
for port, new in (("9091", "29091"), ("9092", "29092"), ("9093", "29093"), ("9094", "29094"), ("9095", "29095")):
    text = re.sub(rf"(Port: ){port}\b", rf"\g<1>{new}", text)
text = text.replace("    upstreamCaFile: /etc/ironward/corporate-ca.pem\n", "")
text = re.sub(r"  credentials:\n(    .*\n|      .*\n)*", "  credentials:\n    source: env\n", text)
open(f"{tmp}/full.yaml", "w").write(text)
PY
export OPENROUTER_API_KEY=bench-or ANTHROPIC_API_KEY=bench-an GITHUB_TOKEN=bench-gh
"$IW" reconcile -f "$TMP/full.yaml" >/dev/null

times=()
for _ in $(seq "$RUNS"); do
  s=$(date +%s%N)
  rc=0; "$IW" reconcile -f "$TMP/full.yaml" --dry-run >/dev/null || rc=$?
  e=$(date +%s%N)
  [ "$rc" -eq 0 ] || { echo "dry run exited $rc (expected 0: in sync)" >&2; "$IW" reconcile -f "$TMP/full.yaml" --dry-run >&2 || true; exit 1; }
  times+=($(( (e - s) / 1000 )))
done
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$RUNS" -v cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" -v cores="$(nproc)" '
  { t[NR] = $1 }
  END {
    printf "no-op reconcile --dry-run, examples/full.yaml (6 resources, proxy running), %d runs\n", runs
    printf "machine: %s, %d cores\n", cpu, cores
    printf "  %-8s %10s\n", "stat", "ms"
    printf "  %-8s %10.2f\n", "min", t[1] / 1000
    printf "  %-8s %10.2f\n", "median", t[int((NR + 1) / 2)] / 1000
    printf "  %-8s %10.2f\n", "p90", t[int(NR * 0.9)] / 1000
    printf "  %-8s %10.2f\n", "max", t[NR] / 1000
  }'
