"""Stops every iron-proxy a bench run left behind under DIR (state*/iron-proxy.pid): SIGTERM."""
import glob
import json
import os
import signal
import sys

for pidfile in glob.glob(os.path.join(sys.argv[1], "state*", "iron-proxy.pid")):
    try:
        pid = json.load(open(pidfile))["pid"]
        if pid > 0:
            os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError, KeyError):
        pass
