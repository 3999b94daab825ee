#!/usr/bin/env python3
"""Imitates a run that logs at a steady pace, like an eval reporting each result.
Prints --count lines at --rate lines/s, each `tick SEQ SEND_NS` with SEND_NS the
time.time_ns() taken just before the write, so a viewer can measure latency.
"""
import argparse
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser(description="timestamped lines at a fixed rate")
    ap.add_argument("--rate", type=float, default=100.0, help="lines per second")
    ap.add_argument("--count", type=int, default=500, help="how many lines")
    args = ap.parse_args()

    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    t0 = time.monotonic()
    for seq in range(1, args.count + 1):
        # Deadlines from the start, so a late wake-up does not shift the rest.
        wait = t0 + seq * interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        sys.stdout.write("tick %d %d\n" % (seq, time.time_ns()))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
