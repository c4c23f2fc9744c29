#!/usr/bin/env bash
# ctest monitoring_promtool: the shipped alert rules and dashboard through promtool (Debian's
# prometheus package, installed by scripts/setup.sh).
#   promtool_test.sh SAMPLE_BIN SOURCE_DIR
#   1. promtool check rules packaging/prometheus-rules.yaml
#   2. promtool test rules tests/monitoring/prometheus-rules.test.yaml (alerts that must fire and must not)
#   3. promtool check metrics on what /metrics serves (metrics_exposition_sample)
#   4. every dashboard expression parsed as PromQL (written as recording rules, then check rules)
# Exit 77 = skipped: only outside CI, when promtool is missing. With CI=true (or CI=1) that fails.
set -euo pipefail

in_ci() { case "${CI:-}" in true | TRUE | True | 1) return 0 ;; esac; return 1; }
if ! command -v promtool >/dev/null 2>&1; then
  if in_ci; then
    echo "FAIL: CI=${CI}: promtool is missing (apt-get install prometheus, or scripts/setup.sh --tests)"
    exit 1
  fi
  echo "SKIPPED: promtool is missing (apt-get install prometheus, or scripts/setup.sh --tests)"
  exit 77
fi

SAMPLE="$1"
SRC="$2"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

echo "== promtool check rules"
promtool check rules "$SRC/packaging/prometheus-rules.yaml"

echo "== promtool test rules"
promtool test rules "$SRC/tests/monitoring/prometheus-rules.test.yaml"

echo "== promtool check metrics (what ironward run serves)"
"$SAMPLE" >"$T/metrics.prom"
if ! lint=$(promtool check metrics <"$T/metrics.prom" 2>&1); then
  echo "FAIL: promtool check metrics: $lint"
  exit 1
fi

echo "== dashboard expressions as PromQL"
python3 "$SRC/tests/monitoring/check_monitoring.py" --sample "$SAMPLE" --source "$SRC" \
  --write-promql-rules "$T/dashboard-rules.yaml"
promtool check rules "$T/dashboard-rules.yaml"
echo "monitoring_promtool: all checks passed"
