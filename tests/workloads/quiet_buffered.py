#!/usr/bin/env python3
"""Imitates a script that prints progress with plain print() and never flushes:
ten lines `buffered line N`, one a second. Its lines show up live only when the
launcher makes Python unbuffered (PYTHONUNBUFFERED) or gives it a pty.
"""
import time


def main() -> None:
    for n in range(1, 11):
        print("buffered line %d" % n)
        time.sleep(1)


if __name__ == "__main__":
    main()
