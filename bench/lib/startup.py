"""Process start-up: `ironward --version`, next to a C program's (/bin/true: this machine's floor)
and the Python CLI floor (python3 importing yaml, ssl and urllib: the least the predecessor hermes
CLI did before any work), each a fresh process, interleaved so load changes hit all three alike.

Usage: startup.py IRONWARD RUNS
Each run is os.posix_spawn + wait4 (stdout to /dev/null): wall time from perf_counter (the spawn
itself is in every figure, the same for all three) and the child's CPU time (user + system) from
its rusage, which a busy machine inflates much less than wall time. The Python floor runs Debian's
/usr/bin/python3 (the one python3-yaml belongs to), not a python3 of $PATH with its own site hooks.
Prints medians; with $BENCH_RESULTS set also appends key<TAB>value lines for bench/lib/report.py.
"""
import os
import statistics
import subprocess
import sys
import time

iw, runs = sys.argv[1], int(sys.argv[2])
commands = {
    "ironward": [iw, "--version"],
    "true": ["/bin/true"],
    "python": ["/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable, "-c",
               "import yaml, ssl, urllib.request"],
}
# Each must work before it is timed: a failing command would start fast and prove nothing.
for name, argv in commands.items():
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)

devnull = os.open(os.devnull, os.O_WRONLY)
actions = [(os.POSIX_SPAWN_DUP2, devnull, 1)]


def once(argv):
    """(wall ms, CPU ms) of one fresh process."""
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"startup: {' '.join(argv)} exited {os.waitstatus_to_exitcode(status)}")
    return elapsed * 1000, (usage.ru_utime + usage.ru_stime) * 1000


samples = {name: [] for name in commands}
for _ in range(runs):
    for name, argv in commands.items():
        samples[name].append(once(argv))
med = {name: statistics.median(w for w, _ in s) for name, s in samples.items()}
cpu = {name: statistics.median(c for _, c in s) for name, s in samples.items()}

# The libraries the dynamic loader maps at start (ldd counts the vdso and the loader too).
ldd = subprocess.run(["ldd", iw], check=True, capture_output=True, text=True).stdout
libs = [line.split()[0] for line in ldd.splitlines() if line.strip()]

for name, label in (("ironward", "ironward --version"), ("true", "/bin/true"),
                    ("python", "python3 importing yaml, ssl, urllib")):
    print(f"startup: {label:36} {med[name]:8.2f} ms wall, {cpu[name]:7.2f} ms CPU (medians of {runs})")
print(f"startup: Python floor / ironward = {med['python'] / med['ironward']:.1f} x (wall)")
print(f"startup: {len(libs)} shared objects at start (ldd): {' '.join(libs)}")
if os.environ.get("BENCH_RESULTS"):
    with open(os.environ["BENCH_RESULTS"], "a") as f:
        f.write(f"startup_runs\t{runs}\nstartup_ms\t{med['ironward']:.2f}\nstartup_true_ms\t{med['true']:.2f}\n")
        f.write(f"startup_python_ms\t{med['python']:.2f}\nstartup_libs\t{len(libs)}\n")
        for name in commands:
            f.write(f"startup_{name}_cpu_ms\t{cpu[name]:.2f}\n")
