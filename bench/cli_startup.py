"""`convex-tui --help` / `--version` wall time beside a bare `python -c pass`, in one run.

Prints medians and the ratio; the issue's goal is "well under half a second".
Usage: python bench/cli_startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def median_ms(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    exe = shutil.which("convex-tui") or f"{sys.prefix}/bin/convex-tui"
    bare = median_ms([sys.executable, "-c", "pass"], runs)
    help_ms = median_ms([exe, "--help"], runs)
    version_ms = median_ms([exe, "--version"], runs)
    print(f"python -c pass        {bare:7.1f} ms")
    print(f"convex-tui --help     {help_ms:7.1f} ms  ({help_ms / bare:.2f}x bare python)")
    print(f"convex-tui --version  {version_ms:7.1f} ms  ({version_ms / bare:.2f}x bare python)")


if __name__ == "__main__":
    main()
