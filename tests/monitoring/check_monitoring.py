#!/usr/bin/env python3
"""Checks packaging/grafana-dashboard.json and packaging/prometheus-rules.yaml against what
`ironward run` serves on /metrics (ctest monitoring_names; no promtool needed).

  check_monitoring.py --sample BIN --source DIR [--write-promql-rules FILE]

BIN is metrics_exposition_sample: the real renderers' output with every gauge present. Checked:
  * the dashboard parses; ids unique; panels on the 24-column grid without overlaps; every query
    panel and target uses the ${datasource} variable; the instance variable exists;
  * every metric name in a panel expression, a variable query, an alert rule and a rule test's
    input series is served; every label in a selector is one that metric has (plus job/instance);
    label values matched with = are values it serves (closed sets: condition, action, state…);
    grouping labels (by/without/on) exist on some served metric;
  * every alert has a severity, a summary, a description and a runbook pointing at a section of
    docs/observability.md that exists; every alert is tested firing and not firing.
--write-promql-rules writes the dashboard expressions (Grafana variables substituted) as recording
rules, for `promtool check rules` to parse (promtool_test.sh).
"""
import argparse
import json
import re
import subprocess
import sys

import yaml

FREE_LABELS = {"job", "instance"}  # added by the scrape
OPEN_VALUE_LABELS = {"host", "resource", "name", "instance", "job"}  # any value may appear
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
            "offset", "inf", "nan",
            # aggregation operators: `sum by (x) (...)` puts the grouping between the name and "("
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
            "quantile"}
GRAFANA_VARS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "$instance": ".*"}
TOKEN = re.compile(r'\s+|"(?:[^"\\]|\\.)*"|\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*|'
                   r'[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[A-Za-z_:][A-Za-z0-9_:]*|=~|!~|!=|==|>=|<=|.')

errors = []


def fail(where, msg):
    errors.append(f"{where}: {msg}")


def parse_exposition(text):
    """{name: {label: set(values)}} for every sample line; histograms add _bucket/_sum/_count."""
    series = {}
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$')
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = sample.match(line)
        if not m:
            fail("exposition", f"unparsable line {line!r}")
            continue
        labels = series.setdefault(m.group(1), {})
        for k, v in label.findall(m.group(2) or ""):
            labels.setdefault(k, set()).add(v)
    return series


def tokens(expr):
    return [t for t in TOKEN.findall(expr) if not t.isspace()]


def check_expr(where, expr, served):
    """Metric names, selector labels and values, grouping labels of one PromQL expression."""
    all_labels = set(FREE_LABELS) | {"le"}
    for labels in served.values():
        all_labels |= set(labels)
    toks = tokens(expr)
    used = set()
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if t in ("by", "without", "on", "ignoring", "group_left", "group_right") and nxt == "(":
            j = i + 2
            while j < len(toks) and toks[j] != ")":
                if toks[j] != "," and toks[j] not in all_labels:
                    fail(where, f"grouping label '{toks[j]}' is on no served metric")
                j += 1
            i = j + 1
            continue
        if t == "[":  # range or subquery: a duration, never a name
            while i < len(toks) and toks[i] != "]":
                i += 1
            i += 1
            continue
        if re.fullmatch(r"[A-Za-z_:][A-Za-z0-9_:]*", t) and t.lower() not in KEYWORDS and nxt != "(":
            used.add(t)
            if t not in served:
                fail(where, f"metric '{t}' is not served by ironward")
            if nxt == "{":
                j = i + 2
                while j < len(toks) and toks[j] != "}":
                    if toks[j] == ",":
                        j += 1
                        continue
                    name, op, value = toks[j], toks[j + 1], toks[j + 2]
                    value = json.loads(value)
                    have = served.get(t, {})
                    if name not in have and name not in FREE_LABELS and not (name == "le" and t.endswith("_bucket")):
                        fail(where, f"{t} has no label '{name}' (it has: {', '.join(sorted(have)) or 'none'})")
                    elif op == "=" and value and name not in OPEN_VALUE_LABELS and value not in have.get(name, ()):
                        fail(where, f"{t}{{{name}=\"{value}\"}}: ironward serves {sorted(have.get(name, ()))}")
                    j += 3
                i = j + 1
                continue
        i += 1
    return used


def substitute(expr):
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    return expr


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def check_dashboard(path, served):
    try:
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        fail(path, f"does not parse: {e}")
        return []
    for key in ("title", "uid", "panels", "templating", "schemaVersion"):
        if key not in dash:
            fail(path, f"no '{key}'")
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    if variables.get("datasource", {}).get("type") != "datasource" or variables["datasource"].get("query") != "prometheus":
        fail(path, "no 'datasource' variable of type datasource for prometheus")
    exprs = []
    if "instance" not in variables:
        fail(path, "no 'instance' variable")
    else:
        if variables["instance"].get("datasource", {}).get("uid") != "${datasource}":
            fail(path, "instance variable datasource is not ${datasource}")
        q = variables["instance"].get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", q or "")
        if not m:
            fail(path, f"instance variable query {q!r} is not label_values(metric, label)")
        else:
            exprs.append(("variable instance", m.group(1)))
    ids, boxes = set(), []
    for p in walk_panels(dash.get("panels", [])):
        where = f"{path}: panel {p.get('id')} '{p.get('title')}'"
        if p.get("id") in ids:
            fail(where, "duplicate id")
        ids.add(p.get("id"))
        if not p.get("title"):
            fail(where, "no title")
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] < 0 or g["x"] + g["w"] > 24 or g["w"] <= 0:
            fail(where, f"gridPos {g} is not on the 24-column grid")
            continue
        for other_where, o in boxes:
            if g["x"] < o["x"] + o["w"] and o["x"] < g["x"] + g["w"] and g["y"] < o["y"] + o["h"] and o["y"] < g["y"] + g["h"]:
                fail(where, f"overlaps {other_where}")
        boxes.append((where, g))
        if p.get("type") == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            fail(where, "panel datasource is not ${datasource}")
        targets = p.get("targets", [])
        if not targets:
            fail(where, "no query")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs):
            fail(where, f"duplicate refId in {refs}")
        for t in targets:
            if t.get("datasource", {}).get("uid") != "${datasource}":
                fail(where, f"target {t.get('refId')} datasource is not ${{datasource}}")
            if not t.get("expr"):
                fail(where, f"target {t.get('refId')} has no expr")
                continue
            expr = substitute(t["expr"])
            if "$" in expr:
                fail(where, f"unknown Grafana variable in {t['expr']!r}")
            exprs.append((f"{where} {t.get('refId')}", expr))
    return exprs


def check_rules(path, tests_path, doc_path, served):
    with open(path, encoding="utf-8") as f:
        rules = yaml.safe_load(f)
    with open(doc_path, encoding="utf-8") as f:
        headings = {m.lower() for m in re.findall(r"^#+\s+(\S+)\s*$", f.read(), re.M)}
    alerts = {}
    for group in rules.get("groups", []):  # recorded series are served to the rules after them
        for r in group.get("rules", []):
            if "record" in r:
                served.setdefault(r["record"], {})
    for group in rules.get("groups", []):
        for r in group.get("rules", []):
            name = r.get("alert") or r.get("record")
            where = f"{path}: {name}"
            check_expr(where, r.get("expr", ""), served)
            if "alert" not in r:
                continue
            alerts[name] = r
            if r.get("labels", {}).get("severity") not in ("warning", "critical"):
                fail(where, "severity must be warning or critical")
            ann = r.get("annotations", {})
            for key in ("summary", "description", "runbook"):
                if not ann.get(key):
                    fail(where, f"no {key} annotation")
            anchor = ann.get("runbook", "").partition("#")[2]
            if anchor != name.lower() or anchor not in headings:
                fail(where, f"runbook anchor '#{anchor}' is not a section '{name}' of {doc_path}")
    with open(tests_path, encoding="utf-8") as f:
        tests = yaml.safe_load(f)
    fired, quiet = set(), set()
    for test in tests.get("tests", []):
        for s in test.get("input_series", []):
            where = f"{tests_path}: '{test.get('name')}' series {s['series']}"
            check_expr(where, s["series"], served)
        for case in test.get("alert_rule_test", []):
            name = case.get("alertname")
            if name not in alerts:
                fail(tests_path, f"'{test.get('name')}' tests unknown alert {name}")
            (fired if case.get("exp_alerts") else quiet).add(name)
    for name in alerts:
        if name not in fired:
            fail(tests_path, f"no test where {name} fires")
        if name not in quiet:
            fail(tests_path, f"no test where {name} must not fire")
    return alerts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--write-promql-rules")
    args = ap.parse_args()
    src = args.source.rstrip("/")
    text = subprocess.run([args.sample], check=True, capture_output=True, text=True).stdout
    served = parse_exposition(text)
    served["up"] = {}  # Prometheus' own per-target series
    exprs = check_dashboard(f"{src}/packaging/grafana-dashboard.json", served)
    used = set()
    for where, expr in exprs:
        used |= check_expr(where, expr, served)
    alerts = check_rules(f"{src}/packaging/prometheus-rules.yaml", f"{src}/tests/monitoring/prometheus-rules.test.yaml",
                         f"{src}/docs/observability.md", served)
    if args.write_promql_rules:
        rules = [{"record": f"dashboard:expr_{i}", "expr": e} for i, (_, e) in enumerate(exprs)]
        with open(args.write_promql_rules, "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard-expressions", "rules": rules}]}, f, sort_keys=False)
    for e in errors:
        print(f"FAIL: {e}")
    if errors:
        return 1
    print(f"ok: {len(exprs)} dashboard expressions over {len(used)} metrics, {len(alerts)} alerts, "
          f"{len(served) - 1} served metric names")
    return 0


if __name__ == "__main__":
    sys.exit(main())
