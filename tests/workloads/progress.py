#!/usr/bin/env python3
"""Imitates an evaluation's terminal: a tqdm-style bar on stderr redrawn with `\\r`,
ANSI-coloured status lines, and `logging` records of every level on stdout.
The last stdout line is `done: STEPS steps`.
"""
import argparse
import logging
import sys
import time

BAR_WIDTH = 30


def bar(i: int, steps: int) -> str:
    total = max(steps, 1)
    filled = BAR_WIDTH * i // total
    cells = "\u2588" * filled + " " * (BAR_WIDTH - filled)
    return "samples: %3d%%|%s| %d/%d" % (100 * i // total, cells, i, steps)


def main() -> None:
    ap = argparse.ArgumentParser(description="a progress bar and log levels")
    ap.add_argument("--steps", type=int, default=200, help="bar steps")
    ap.add_argument("--delay", type=float, default=0.01, help="seconds between redraws")
    args = ap.parse_args()

    logging.basicConfig(
        stream=sys.stdout,
        level=logging.DEBUG,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    log = logging.getLogger("eval")

    log.info("starting evaluation with %d samples", args.steps)
    print("\x1b[1;32mSUCCESS\x1b[0m connected to \x1b[36mmodel endpoint\x1b[0m", flush=True)

    warn_every = max(args.steps // 4, 1)
    for i in range(args.steps + 1):
        sys.stderr.write("\r" + bar(i, args.steps))
        sys.stderr.flush()
        if i > 0 and i % warn_every == 0:
            log.warning("sample %d: tool call arguments were not valid JSON", i)
        time.sleep(args.delay)
    sys.stderr.write("\n")
    sys.stderr.flush()

    log.error("sample 7 FAILED: ProviderError[openai]: rate limited")
    log.debug("retry budget exhausted after 3 attempts")
    print("\x1b[31mERROR\x1b[0m 1 sample failed; \x1b[33mWARNING\x1b[0m 4 warnings", flush=True)
    print("done: %d steps" % args.steps, flush=True)


if __name__ == "__main__":
    main()
