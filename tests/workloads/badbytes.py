#!/usr/bin/env python3
"""Imitates output that is not clean text: invalid UTF-8, a NUL and a tab, a
multi-byte character split across two writes, then one line of --long-mb MiB of
`y` (like a model dumping a huge blob), then `after the long line`.
"""
import argparse
import sys

MIB = 1 << 20
ROCKET = "\U0001F680".encode("utf-8")  # 4 bytes


def main() -> None:
    ap = argparse.ArgumentParser(description="bytes that are not clean UTF-8 text")
    ap.add_argument("--long-mb", type=int, default=10, help="MiB in the long line")
    args = ap.parse_args()
    out = sys.stdout.buffer

    # \xff\xfe: not UTF-8 at all; \xc3 then "(": a lead byte without its continuation.
    out.write(b"before \xff\xfe invalid utf-8 \xc3( and a NUL \x00 and a\ttab\n")

    # The second rocket is cut in two, with a flush between its halves.
    out.write(b"emoji " + ROCKET + b" split across writes: " + ROCKET[:2])
    out.flush()
    out.write(ROCKET[2:] + b" ok\n")

    chunk = b"y" * MIB
    for _ in range(args.long_mb):
        out.write(chunk)
    out.write(b"\nafter the long line\n")
    out.flush()


if __name__ == "__main__":
    main()
