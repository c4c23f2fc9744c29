"""Turns the key<TAB>value lines the bench scripts append to $BENCH_RESULTS into the one report table
of bench/run.sh (markdown), each figure next to its target from issue #8.

Usage: report.py RESULTS MACHINE REVISION DATE MODE
The notes in bench/lib/benchmarks_notes.md (why a figure misses its target, how it is measured) are
appended as they are; the table itself is computed here from the measured values only.
"""
import os
import sys

results_path, machine, rev, date, mode = sys.argv[1:6]
r = {}
with open(results_path) as f:
    for line in f:
        if "\t" in line:
            k, v = line.rstrip("\n").split("\t", 1)
            r[k] = v


def num(key):
    if key not in r:
        raise SystemExit(f"report: the benchmarks produced no '{key}' (see the output above)")
    return float(r[key])


missed_keys = []


def row(metric, value, unit, target, ok, runs, key=None):
    """One table line; `key` names the metric's "### miss:<key>" note, printed only if it missed."""
    verdict = "n/a" if ok is None else ("met" if ok else "missed")
    if ok is False and key and key not in missed_keys:
        missed_keys.append(key)
    return f"| {metric} | {f'{value} {unit}'.rstrip()} | {target} | {verdict} | {runs} |"


idle_cpu_pct = num("idle_cpu_ms") / (num("idle_s") * 1000) * 100
rows = [
    row("process start, `ironward --version`", f"{num('startup_ms'):.1f}", "ms", "≤ 3 ms", num("startup_ms") <= 3,
        f"median of {r['startup_runs']}, CPU {num('startup_ironward_cpu_ms'):.1f} ms", "startup"),
    row("  shared objects loaded at start (`ldd \\| wc -l`)", f"{num('startup_libs'):.0f}", "", "—", None,
        "52 at b0daf3d"),
    row("  `/bin/true` start (this machine's floor)", f"{num('startup_true_ms'):.1f}", "ms", "—", None,
        f"median of {r['startup_runs']}, CPU {num('startup_true_cpu_ms'):.1f} ms"),
    row("Python CLI floor: python3 importing yaml, ssl, urllib", f"{num('startup_python_ms'):.1f}", "ms", "—", None,
        f"median of {r['startup_runs']}, CPU {num('startup_python_cpu_ms'):.1f} ms"),
    row("  ratio Python floor / ironward start", f"{num('startup_python_ms') / num('startup_ms'):.1f}", "×", "—",
        None, "same run, interleaved"),
    row("no-op `reconcile --dry-run`, full example, 50 sandboxes", f"{num('dry_run_ms'):.1f}", "ms", "≤ 20 ms",
        num("dry_run_ms") <= 20, f"median of {r['dry_run_runs']}", "dry_run"),
    row("full sandboxes pass, 10 sandboxes in sync", f"{num('sync_ms_10'):.1f}", "ms", "—", None,
        f"median of {r['sync_passes_10']}, {r['sync_calls_10']} API calls"),
    row("full sandboxes pass, 100 sandboxes in sync", f"{num('sync_ms_100'):.1f}", "ms", "—", None,
        f"median of {r['sync_passes_100']}, {r['sync_calls_100']} API calls"),
    row("full sandboxes pass, 500 sandboxes in sync", f"{num('sync_ms_500'):.1f}", "ms", "≤ 1000 ms",
        num("sync_ms_500") <= 1000, f"median of {r['sync_passes_500']}, {r['sync_calls_500']} API calls", "sync_500"),
    row("  500 in sync, `run` between drift checks (list-proven)", f"{num('listed_ms_500'):.1f}", "ms", "—", None,
        f"median of {r['sync_passes_500']}, 1 API call, ironward's CPU {num('listed_cpu_ms_500'):.1f} ms"),
    row("create 500 sandboxes from nothing", f"{num('create_s_500'):.1f}", "s", "≤ 40 s", num("create_s_500") <= 40,
        "1, 4 at a time (spec.reconcile.parallelism)", "create_500"),
    row("cold converge (empty state dir → healthy proxy)", f"{num('cold_ms'):.0f}", "ms", "—", None,
        f"median of {r['heal_runs']}"),
    row("cold converge, full example + 50 sandboxes", f"{num('full_cold_ms'):.0f}", "ms", "—", None, "1"),
    row("proxy bare start (spawn → /healthz 200)", f"{num('bare_ms'):.1f}", "ms", "—", None,
        f"median of {r['heal_runs']}"),
    row("kill -9 → healthy, `ironward reconcile`", f"{num('heal_ms'):.1f}", "ms",
        f"≤ 1.5 × bare = {1.5 * num('bare_ms'):.0f} ms", num("heal_ratio") <= 1.5, f"median of {r['heal_runs']}", "heal"),
    row("  ratio heal / bare start", f"{num('heal_ratio'):.2f}", "×", "≤ 1.5", num("heal_ratio") <= 1.5, "", "heal"),
    row("kill -9 → healthy under `ironward run` (first crash)", f"{num('run_heal_first_ms'):.0f}", "ms",
        f"≤ 1.5 × bare = {1.5 * num('bare_ms'):.0f} ms", num("run_heal_first_ms") <= 1.5 * num("bare_ms"),
        f"rounds: {r['run_heal_all_ms']} ms", "run_heal"),
    row("edit → applied under `ironward run`", f"{num('edit_ms'):.0f}", "ms", "≤ 50 ms", num("edit_ms") <= 50,
        f"median of {r['edit_runs']}", "edit"),
    row("idle RSS of `ironward run`", f"{num('idle_rss_kb') / 1024:.1f}", "MiB", "≤ 12 MB",
        num("idle_rss_kb") * 1024 <= 12e6, f"{r['idle_threads']} threads", "idle_rss"),
    row("  of which anonymous (heap, stacks)", f"{num('idle_rss_anon_kb') / 1024:.1f}", "MiB", "—", None, ""),
    row("  of which file-backed (binary, shared libraries)", f"{num('idle_rss_file_kb') / 1024:.1f}", "MiB", "—",
        None, ""),
    row("idle PSS of `ironward run` (shared pages split among their users)",
        f"{num('idle_pss_kb') / 1024:.1f}" if "idle_pss_kb" in r else "—", "MiB", "—", None, ""),
    row("idle CPU of `ironward run`", f"{idle_cpu_pct:.3f}", "%", "≤ 0.05 %", idle_cpu_pct <= 0.05,
        f"over {r['idle_s']} s", "idle_cpu"),
]
missed = sum(1 for x in rows if x.split("|")[4].strip() == "missed")
out = [
    "# Benchmarks",
    "",
    "Generated by `bench/run.sh` — do not edit by hand; rerun it. Notes below the table are kept in",
    "`bench/lib/benchmarks_notes.md`.",
    "",
    f"- machine: {machine}",
    f"- build: Release (`build-release`), revision {rev}, {date}, mode {mode.lstrip('-')}",
    "- chain: the project's iron-proxy test double installed from a file:// release, a private dockerd,",
    "  nftables; every figure is a fresh process unless it says `run`",
    "",
    "| metric | measured | target | | runs |",
    "|---|---|---|---|---|",
    *rows,
    "",
    f"Targets missed: {missed}.",
]
# Where the dry run's time goes (one extra dry run at debug level), when the bench recorded it.
profile = [p.split("=", 1) for p in r.get("dry_run_profile", "").split(",") if "=" in p]
if profile:
    total = sum(float(ms) for _, ms in profile)
    out += ["", "## Where a no-op dry run spends its time", "",
            f"One extra dry run at `--log-level debug` (the engine logs each resource's observe + plan); "
            f"the resources add up to {total:.1f} ms of the {num('dry_run_ms'):.1f} ms median, the rest is "
            "process start-up, loading and validating the file, and printing.", "",
            "| resource | observe + plan |", "|---|---|"]
    out += [f"| {name} | {float(ms):.1f} ms |" for name, ms in profile]
# The notes: the measurement section always; of the "### miss:<key>" blocks only those of metrics
# that missed in this run, so the text never explains a miss that did not happen.
notes_path = os.path.join(os.path.dirname(__file__), "benchmarks_notes.md")
text = open(notes_path).read() if os.path.exists(notes_path) else ""
general, _, why = text.partition("## Why figures miss their targets")
blocks = {}
for chunk in why.split("### miss:")[1:]:
    key, _, body = chunk.partition("\n")
    blocks[key.strip()] = body.strip("\n")
if general.strip():
    out += ["", general.rstrip("\n")]
if missed_keys:
    out += ["", "## Why figures miss their targets", ""]
    for key in missed_keys:
        out += [blocks.get(key, f"- **{key}**: missed, and no explanation is recorded in "
                                "bench/lib/benchmarks_notes.md yet: investigate."), ""]
print("\n".join(out).rstrip("\n"))
