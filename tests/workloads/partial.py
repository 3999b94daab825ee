#!/usr/bin/env python3
"""Imitates a status line built up in place ("loading model... done"): pieces of
one line are written and flushed with pauses between them, the newline only at
the end, then one more line. The full output is `loading model... done` + `next line`.
"""
import sys
import time

PIECES = ("loading model", ".", ".", ".", " done")
PAUSE = 0.5  # seconds after each piece


def main() -> None:
    for piece in PIECES:
        sys.stdout.write(piece)
        sys.stdout.flush()
        time.sleep(PAUSE)
    sys.stdout.write("\nnext line\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
