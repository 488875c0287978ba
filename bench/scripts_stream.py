"""The Scripts runner's cost: a chatty child's output read through `ProcessRun` (line split,
sanitizer keeping colours, admin-key scrub, listeners) beside a plain `subprocess.run` capture,
in one run. Prints medians and the ratio.

Usage: python bench/scripts_stream.py [--lines 200000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time

from tui.config.secret import Secret
from tui.scripts.runner import make_run

KEY = "convex-self-hosted|01" + "ab" * 40


def child(lines: int) -> list[str]:
    # Coloured lines, like a CLI with FORCE_COLOR: the slow path of the sanitizer.
    return ["sh", "-c", f"seq 1 {lines} | sed 's/.*/\\x1b[32m✔\\x1b[39m line &/'"]


def plain(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - start


def through_runner(argv: list[str]) -> tuple[float, int]:
    run = make_run("bench", argv, "/", "http://127.0.0.1:3210", Secret(KEY))
    seen = 0

    def count(_run: object, new: list[str]) -> None:
        nonlocal seen
        seen += len(new)

    run.on_output(count)
    start = time.perf_counter()
    asyncio.run(run.run())
    return time.perf_counter() - start, seen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    argv = child(args.lines)
    raw, ours = [], []
    for _ in range(args.runs):  # interleaved: both see the same machine load
        raw.append(plain(argv))
        took, seen = through_runner(argv)
        ours.append(took)
    r, o = statistics.median(raw), statistics.median(ours)
    print(f"{args.lines} coloured lines, median of {args.runs}")
    print(f"  subprocess.run capture : {r * 1000:8.1f} ms")
    print(f"  ProcessRun (streamed)  : {o * 1000:8.1f} ms  ({args.lines / o:,.0f} lines/s)")
    print(f"  ratio runner / plain   : {o / r:.2f}x  (lines seen: {seen})")


if __name__ == "__main__":
    main()
