#!/usr/bin/env python3
"""Imitates a run that floods its log (a chatty training loop or a data dump).
Writes --lines lines as fast as Python can; each is --bytes long with its newline
and starts with its 12-digit line number and a space, so order and gaps show.
"""
import argparse
import sys

PREFIX = 13  # "%012d " before the filler
BATCH = 2048  # lines joined into one write


def main() -> None:
    ap = argparse.ArgumentParser(description="numbered lines, as fast as possible")
    ap.add_argument("--lines", type=int, default=100_000, help="how many lines")
    ap.add_argument("--bytes", type=int, default=100, help="length of each line, newline included")
    args = ap.parse_args()

    filler = b"x" * max(0, args.bytes - PREFIX - 1)
    out = sys.stdout.buffer
    end = args.lines + 1
    for first in range(1, end, BATCH):
        out.write(b"".join(b"%012d %s\n" % (n, filler) for n in range(first, min(first + BATCH, end))))
    out.flush()


if __name__ == "__main__":
    main()
