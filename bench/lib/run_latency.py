"""The timed parts of bench/run_latency.sh, each in one Python process (a bash loop spawning a
process per poll added its own milliseconds: ~38 ms per edit round on a machine where a process
start costs 2.5 ms). Prints the rounds' times in ms, space-separated.

Usage:
  run_latency.py heal PIDFILE PROXY_YAML ROUNDS
      kill -9 the proxy, then until a new pid is in the pid file and the proxy's own /healthz
      answers 200 (only the new process can: the old one is dead; ironward's /readyz can still say
      200 from before the kill)
  run_latency.py edit DESIRED_DIR PROXY_YAML HOST...
      rename DESIRED_DIR/.gateway.yaml.new.<i> (written beforehand) onto gateway.yaml, then until
      the rendered proxy.yaml names HOST <i>
"""
import json
import os
import re
import signal
import sys
import time
import urllib.request

POLL_S = 0.002
GIVE_UP_S = 30
PAUSE_S = 0.5  # between rounds


def timed(start, done, what):
    """Runs start(), then polls done() every 2 ms; the elapsed ms from just before start()."""
    t0 = time.monotonic()
    start()
    while not done():
        if time.monotonic() - t0 > GIVE_UP_S:
            sys.exit(f"{what} not done in {GIVE_UP_S} s")
        time.sleep(POLL_S)
    return round((time.monotonic() - t0) * 1000)


def heal(pidfile, config, rounds):
    metrics = re.search(r"^metrics:\s*\n\s+listen:\s*(\S+)", open(config).read(), re.M).group(1)

    def pid():
        try:
            return json.load(open(pidfile))["pid"]
        except (OSError, ValueError, KeyError):
            return 0

    def healthy():
        try:
            with urllib.request.urlopen(f"http://{metrics}/healthz", timeout=0.5) as r:
                return r.status == 200
        except OSError:
            return False

    out = []
    for _ in range(int(rounds)):
        old = pid()

        def healed():
            new = pid()
            return new not in (0, old) and os.path.exists(f"/proc/{new}") and healthy()

        out.append(timed(lambda: os.kill(old, signal.SIGKILL), healed, "heal"))
        time.sleep(PAUSE_S)
    return out


def edit(desired, config, *hosts):
    def names(host):
        try:
            with open(config) as f:
                return host in f.read()
        except OSError:
            return False

    out = []
    for i, host in enumerate(hosts, start=1):
        new = os.path.join(desired, f".gateway.yaml.new.{i}")
        out.append(timed(lambda: os.rename(new, os.path.join(desired, "gateway.yaml")), lambda: names(host), "edit"))
        time.sleep(PAUSE_S)
    return out


if __name__ == "__main__":
    commands = {"heal": heal, "edit": edit}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    print(" ".join(map(str, commands[sys.argv[1]](*sys.argv[2:]))))
