"""Timing driver for bench/daemon_heal.sh (see there). Prints a table of medians.

Usage: daemon_heal.py IRONWARD TMPDIR GATEWAY_YAML RUNS METRICS_PORT BUILD_TYPE
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

IW, TMP, GATEWAY, RUNS, METRICS, BUILD_TYPE = (sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]),
                                               int(sys.argv[5]), sys.argv[6])
SECRET = "bench-not-a-real-key"  # the demo provider's env value (not a real secret)
HEALTHZ = f"http://127.0.0.1:{METRICS}/healthz"


def healthy():
    try:
        with urllib.request.urlopen(HEALTHZ, timeout=0.2) as r:
            return r.status == 200
    except OSError:
        return False


def wait_healthy(timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy():
            return time.monotonic()
        time.sleep(0.002)
    raise SystemExit(f"daemon_heal: {HEALTHZ} not 200 within {timeout}s")


def wait_down(pid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[-1].startswith("Z"):
                    return
        except OSError:
            return
        time.sleep(0.005)
    raise SystemExit(f"daemon_heal: pid {pid} still alive")


def ironward(state, *args):
    env = dict(os.environ, IRONWARD_STATE_DIR=state, OPENROUTER_API_KEY=SECRET)
    r = subprocess.run([IW, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise SystemExit(f"daemon_heal: ironward {' '.join(args)} exited {r.returncode}:\n{r.stdout}")
    return r.stdout


def proxy_pid(state):
    return json.load(open(os.path.join(state, "iron-proxy.pid")))["pid"]


def bare_start(state):
    """The proxy ironward installed, started by hand with the config ironward rendered."""
    config = os.path.join(state, "proxy.yaml")
    key_env = re.search(r"api_key_env:\s*\"?([A-Za-z_][A-Za-z0-9_]*)", open(config).read()).group(1)
    home = os.path.join(TMP, "bare-home")
    os.makedirs(home, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "OPENROUTER_API_KEY": SECRET,
           key_env: open(os.path.join(state, "management.key")).read().strip()}
    t0 = time.monotonic()
    p = subprocess.Popen([os.path.join(state, "bin", "iron-proxy"), "-config", config], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = wait_healthy()
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    return t1 - t0


cold, heal, bare = [], [], []
for i in range(RUNS):
    state = os.path.join(TMP, f"state{i}")
    t0 = time.monotonic()
    ironward(state, "reconcile", "-f", GATEWAY)
    cold.append(wait_healthy() - t0)

    pid = proxy_pid(state)
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    ironward(state, "reconcile", "-f", GATEWAY)
    heal.append(wait_healthy() - t0)
    assert proxy_pid(state) != pid, "ironward did not start a new proxy"

    pid = proxy_pid(state)
    os.kill(pid, signal.SIGTERM)
    wait_down(pid)
    while healthy():
        time.sleep(0.005)
    bare.append(bare_start(state))
    shutil.rmtree(state)

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
print(f"iron-proxy double 0.39.0 via ironward ({BUILD_TYPE} build), {RUNS} runs each")
print(f"machine: {cpu}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
print(f"  {'measure':<44} {'median ms':>10} {'min ms':>9} {'max ms':>9}")
rows = [("bare start: spawn -> /healthz 200", bare),
        ("kill -9 -> healthy (ironward reconcile)", heal),
        ("cold converge: empty state dir -> Ready", cold)]
for name, xs in rows:
    print(f"  {name:<44} {ms(xs):>10.1f} {min(xs) * 1000:>9.1f} {max(xs) * 1000:>9.1f}")
print(f"  {'ratio heal / bare start':<44} {ms(heal) / ms(bare):>10.1f}")
print("  (a first crash is restarted without a back-off: the heal is detection + start + readiness)")

# Machine-readable medians for bench/run.sh (one "key<TAB>value" per line).
if os.environ.get("BENCH_RESULTS"):
    with open(os.environ["BENCH_RESULTS"], "a") as f:
        f.write(f"heal_runs\t{RUNS}\n")
        f.write(f"bare_ms\t{ms(bare):.1f}\nheal_ms\t{ms(heal):.1f}\ncold_ms\t{ms(cold):.1f}\n")
        f.write(f"heal_ratio\t{ms(heal) / ms(bare):.2f}\n")
