#!/usr/bin/env python3
"""Run one service process per deploy directory without an init system (Code Monkeys' deploy.yml).

    servicectl.py restart --dir D -- ARGV...   stop the running one (service.pid), start ARGV detached
    servicectl.py stop --dir D [--unlink]       stop it (and remove D/current)
    servicectl.py status --dir D                exit 0 when the recorded process is alive

The process runs in D/current with PYTHONPATH=D/current, its output in D/service.log.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time


def _pid(d):
    try:
        with open(os.path.join(d, "service.pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _alive(pid):
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def stop(d):
    pid = _pid(d)
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.unlink(os.path.join(d, "service.pid"))


def start(d, argv):
    cwd = os.path.join(d, "current")
    env = dict(os.environ, PYTHONPATH=cwd, PYTHONDONTWRITEBYTECODE="1")
    with open(os.path.join(d, "service.log"), "ab") as log:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    with open(os.path.join(d, "service.pid"), "w") as f:
        f.write(str(proc.pid))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["restart", "stop", "status"])
    p.add_argument("--dir", required=True)
    p.add_argument("--unlink", action="store_true")
    args = sys.argv[1:]
    argv = args[args.index("--") + 1 :] if "--" in args else []
    args = args[: args.index("--")] if "--" in args else args
    a = p.parse_args(args)
    a.argv = argv
    if a.command == "status":
        sys.exit(0 if _alive(_pid(a.dir)) else 1)
    stop(a.dir)
    if a.command == "stop" and a.unlink:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(a.dir, "current"))
    if a.command == "restart":
        start(a.dir, a.argv)


if __name__ == "__main__":
    main()
