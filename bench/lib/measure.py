#!/usr/bin/env python3
"""Measurements bench/run takes outside the load generator, printed as JSON.

  measure.py exec CMD...        runs CMD; its wall time and its peak RSS (of the process tree)
  measure.py start LOG URL CMD... starts CMD in the background (output to LOG) and polls URL every
                                2 ms until it answers 200: the server's pid and ms from exec to ready
  measure.py rss PID            a process's resident memory now, in MiB
"""
import json
import resource
import subprocess
import sys
import time
import urllib.request


def run(cmd):
    started = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.PIPE)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout.decode(errors="replace"))
        sys.exit(done.returncode)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mib": round(peak_kib / 1024, 1),
                      "output": json.loads(done.stdout or b"null")}))


def start(log, url, cmd):
    with open(log, "ab") as out:
        started = time.monotonic()
        server = subprocess.Popen(cmd, stdout=out, stderr=out, start_new_session=True)
    deadline = started + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    ready_ms = (time.monotonic() - started) * 1000
                    print(json.dumps({"pid": server.pid, "ready_ms": round(ready_ms, 1)}))
                    return
        except OSError:
            pass
        time.sleep(0.002)
    server.kill()
    sys.exit(f"{url} did not answer 200 within 60 s")


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                print(round(int(line.split()[1]) / 1024, 1))
                return
    sys.exit("no VmRSS")


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "exec":
        run(args)
    elif what == "start":
        start(args[0], args[1], args[2:])
    elif what == "rss":
        rss(args[0])
    else:
        sys.exit(__doc__)
