#!/usr/bin/env python3
"""Imitates a run that spawns workers which outlive a polite stop: starts
--children grandchildren that ignore SIGTERM and print `grandchild PID alive`
forever; it prints `pids P1 P2 ...` and ignores SIGTERM too. Stop must kill all.
"""
import argparse
import os
import signal
import subprocess
import sys
import time


def grandchild() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        print("grandchild %d alive" % os.getpid(), flush=True)
        time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description="a process tree that ignores SIGTERM")
    ap.add_argument("--children", type=int, default=3, help="grandchildren to start")
    ap.add_argument("--grandchild", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.grandchild:
        grandchild()
        return

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    me = os.path.abspath(__file__)
    workers = [
        subprocess.Popen([sys.executable, me, "--grandchild"]) for _ in range(args.children)
    ]
    print("pids " + " ".join(str(w.pid) for w in workers), flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
