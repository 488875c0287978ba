"""Indexed queries in pushed code: the same query on a table of 100 vs 100,000 documents.

    .venv/bin/python bench/sandbox_indexes.py [--calls 200] [--big 100000]

The example workspace (tests/workspace) is pushed to an in-process sandbox with the real CLI;
its `items` table (index `by_bucket_rank`) is filled with 100 documents (one bucket), then
grown to 100,000 (100 per bucket, loaded through the sandbox's bulk path, which maintains the
index; the measured bucket is loaded last, so a scan for it reads the whole table).
Each query below runs over keep-alive HTTP against the pushed TypeScript; medians of
`--calls` calls, side by side. The indexed ones return the same rows at both sizes and should
stay within 3x; the filtered scan and the full `collect()` read the whole table and scale.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "tests" / "workspace"
sys.path.insert(0, str(ROOT))
BUCKET = 500  # the bucket every query reads; it holds 100 items at both sizes
QUERIES: list[tuple[str, str, dict[str, Any], bool]] = [
    (
        "range: eq + gte/lt, take 10",
        "items:range",
        {"bucket": BUCKET, "min": 40, "max": 50, "limit": 10},
        True,
    ),
    ("first(), desc", "items:first", {"bucket": BUCKET, "order": "desc"}, True),
    ("unique()", "items:at", {"bucket": BUCKET, "rank": 77}, True),
    (
        "paginate, 10 per page",
        "items:page",
        {"bucket": BUCKET, "paginationOpts": {"numItems": 10, "cursor": None}},
        True,
    ),
    ("collect() of a bucket (100)", "items:count", {"bucket": BUCKET}, True),
    ("filter scan, take 10", "items:scan", {"bucket": BUCKET, "limit": 10}, False),
    ("collect() of the table", "items:total", {}, False),
]


def call(c: httpx.Client, path: str, args: dict[str, Any]) -> Any:
    body = c.post("/api/query", json={"path": path, "args": args, "format": "json"}).json()
    if body["status"] != "success":
        raise SystemExit(body)
    return body["value"]


def median_ms(c: httpx.Client, calls: int, path: str, args: dict[str, Any]) -> float:
    for _ in range(min(5, calls)):
        call(c, path, args)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        call(c, path, args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def runs(calls: int, indexed: bool) -> int:
    """Whole-table reads take seconds at 100,000 documents: fewer of them."""
    return calls if indexed else max(3, calls // 40)


def items(buckets: range) -> list[dict[str, Any]]:
    return [
        {"bucket": float(b), "rank": float(r), "label": f"b{b}-r{r}"}
        for b in buckets
        for r in range(100)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--big", type=int, default=100_000)
    args = parser.parse_args()
    if shutil.which("node") is None or not (WORKSPACE / "node_modules").exists():
        raise SystemExit("needs node and `(cd tests/workspace && npm ci)`")
    from tui.sandbox.project import cli_path
    from tui.sandbox.server import SandboxThread

    with tempfile.TemporaryDirectory() as tmp, SandboxThread(memory=True, seed="empty") as sb:
        project = Path(tmp) / "app"
        shutil.copytree(
            WORKSPACE / "convex", project / "convex", ignore=lambda _d, n: ["_generated"]
        )
        shutil.copy(WORKSPACE / "package.json", project / "package.json")
        (project / "node_modules").symlink_to(WORKSPACE / "node_modules")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CONVEX_")},
            "CI": "1",
            "CONVEX_SELF_HOSTED_URL": sb.url,
            "CONVEX_SELF_HOSTED_ADMIN_KEY": sb.admin_key,
        }
        subprocess.run([str(cli_path(project)), "dev", "--once"], cwd=project, env=env,
                       check=True, capture_output=True)  # fmt: skip
        dep = sb.deployment

        def load(docs: list[dict[str, Any]]) -> float:
            t0 = time.perf_counter()
            asyncio.run_coroutine_threadsafe(dep.bulk_insert("items", docs), sb.loop).result(600)
            return time.perf_counter() - t0

        with httpx.Client(base_url=sb.url, timeout=120) as c:
            load(items(range(BUCKET, BUCKET + 1)))
            small = {label: median_ms(c, runs(args.calls, i), p, a) for label, p, a, i in QUERIES}
            # The measured bucket moves to the end of the table (creation order), so the
            # filtered scan has to read everything before it.
            with httpx.Client(base_url=sb.url, timeout=120) as w:
                w.post("/api/mutation", json={"path": "items:clear", "args": {"bucket": BUCKET}})
            rest = [b for b in range(args.big // 100 + 1) if b != BUCKET][: args.big // 100 - 1]
            seconds = load([d for b in rest for d in items(range(b, b + 1))])
            seconds += load(items(range(BUCKET, BUCKET + 1)))
            assert call(c, "items:total", {}) == args.big
            big = {label: median_ms(c, runs(args.calls, i), p, a) for label, p, a, i in QUERIES}
        print(f"## pushed query, median of {args.calls} HTTP calls (whole-table reads: "
              f"{runs(args.calls, False)}): 100 vs {args.big:,} documents")  # fmt: skip
        print(f"(bulk load of {args.big:,} documents with their index: {seconds:.1f} s)")
        print(f"{'query':<32}{'100 docs ms':>13}{f'{args.big:,} ms':>13}{'ratio':>9}")
        for label, _p, _a, indexed in QUERIES:
            ratio = big[label] / small[label]
            note = "" if indexed else "  (reads the whole table)"
            print(f"{label:<32}{small[label]:13.2f}{big[label]:13.2f}{ratio:8.2f}x{note}")


if __name__ == "__main__":
    main()
