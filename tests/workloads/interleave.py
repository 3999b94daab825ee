#!/usr/bin/env python3
"""Imitates a program that talks on both streams: lines alternate between stdout
(`out N`, odd N) and stderr (`err N`, even N), each flushed on its own, so a
reader can check that every line arrives and that each stream keeps its order.
"""
import argparse
import sys


def main() -> None:
    ap = argparse.ArgumentParser(description="alternating stdout/stderr lines")
    ap.add_argument("--lines", type=int, default=1000, help="lines over both streams")
    args = ap.parse_args()

    for n in range(1, args.lines + 1):
        stream, tag = (sys.stdout, "out") if n % 2 == 1 else (sys.stderr, "err")
        stream.write("%s %d\n" % (tag, n))
        stream.flush()


if __name__ == "__main__":
    main()
