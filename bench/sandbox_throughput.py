"""Sandbox throughput: queries/s and mutations/s over keep-alive HTTP, --bulk load time, and
page latency on a large table.

    .venv/bin/python bench/sandbox_throughput.py [--seconds 3] [--docs 1000000] [--durable]

The sandbox runs in a child process (`python -m tui sandbox`) so the client does not
share a GIL with it, exactly as a real client would not.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx


def start(extra: list[str]) -> tuple[subprocess.Popen[str], str, str, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "sandbox", "--port", "0", "--site-port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    url = ""
    while not url:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit("sandbox failed to start")
        if line.startswith("API URL:"):
            url = line.split(":", 1)[1].strip()
    key = proc.stdout.readline().strip()
    return proc, url, key, time.perf_counter() - t0


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(30)


def call(c: httpx.Client, route: str, path: str, args: dict[str, Any]) -> Any:
    r = c.post(route, json={"path": path, "args": args, "format": "convex_encoded_json"})
    body = r.json()
    if body["status"] != "success":
        raise SystemExit(body)
    return body["value"]


def rate(c: httpx.Client, seconds: float, route: str, path: str, args: dict[str, Any]) -> float:
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        call(c, route, path, args)
        n += 1
    return n / (time.perf_counter() - t0)


async def concurrent_rate(
    url: str, key: str, seconds: float, route: str, path: str, args: dict[str, Any], workers: int
) -> float:
    count = 0
    headers = {"Authorization": f"Convex {key}"}
    limits = httpx.Limits(max_keepalive_connections=workers, max_connections=workers)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as c:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal count
            while time.perf_counter() < deadline:
                r = await c.post(route, json={"path": path, "args": args})
                assert r.json()["status"] == "success"
                count += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        return count / (time.perf_counter() - t0)


def throughput(seconds: float, durable: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        where = ["--data", str(Path(tmp) / "data")] if durable else ["--memory"]
        proc, url, key, _ = start([*where, "--seed", "demo"])
        try:
            with httpx.Client(base_url=url, headers={"Authorization": f"Convex {key}"}) as c:
                label = "durable (fsync per commit)" if durable else "memory"
                print(f"## keep-alive HTTP, one client, {label}")
                print(
                    f"queries/s   (messages:list)  {rate(c, seconds, '/api/query', 'messages:list', {}):8.0f}"
                )
                print(
                    f"queries/s   (tasks:get)      "
                    f"{rate(c, seconds, '/api/query', 'tasks:get', {'id': call(c, '/api/mutation', 'tasks:create', {'title': 'x'})}):8.0f}"
                )
                print(
                    f"mutations/s (messages:send)  "
                    f"{rate(c, seconds, '/api/mutation', 'messages:send', {'body': 'b', 'author': 'a'}):8.0f}"
                )
            q8 = asyncio.run(
                concurrent_rate(url, key, seconds, "/api/query", "messages:list", {}, 8)
            )
            m8 = asyncio.run(
                concurrent_rate(
                    url,
                    key,
                    seconds,
                    "/api/mutation",
                    "messages:send",
                    {"body": "b", "author": "a"},
                    8,
                )
            )
            print(f"queries/s   8 concurrent     {q8:8.0f}")
            print(f"mutations/s 8 concurrent     {m8:8.0f}")
        finally:
            stop(proc)


def bulk(docs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base_proc, *_rest, base = start(["--data", str(Path(tmp) / "base"), "--seed", "empty"])
        stop(base_proc)
        proc, url, key, elapsed = start(
            ["--data", str(Path(tmp) / "bulk"), "--seed", "empty", "--bulk", f"tasks={docs}"]
        )
        try:
            print(f"## --bulk tasks={docs}")
            print(f"startup without bulk         {base:8.2f} s")
            print(f"startup with bulk            {elapsed:8.2f} s  (load ≈ {elapsed - base:.2f} s)")
            with httpx.Client(base_url=url, headers={"Authorization": f"Convex {key}"}) as c:

                def page(filters: str | None, cursor: str | None = None) -> tuple[float, Any]:
                    t0 = time.perf_counter()
                    value = call(
                        c,
                        "/api/query",
                        "_system/frontend/paginatedTableDocuments",
                        {
                            "table": "tasks",
                            "filters": filters,
                            "paginationOpts": {"numItems": 25, "cursor": cursor},
                        },
                    )
                    return (time.perf_counter() - t0) * 1000, value

                cold, first = page(None)
                warm = [page(None)[0] for _ in range(20)]
                deep = first
                for _ in range(40):
                    _, deep = page(None, deep["continueCursor"])
                nxt = [page(None, deep["continueCursor"])[0] for _ in range(20)]
                status = base64.b64encode(
                    json.dumps(
                        {"clauses": [{"op": "eq", "field": "status", "value": "completed"}]}
                    ).encode()
                ).decode()
                filtered = [page(status)[0] for _ in range(20)]
                t0 = time.perf_counter()
                size = call(c, "/api/query", "_system/frontend/tableSize", {"tableName": "tasks"})
                count_ms = (time.perf_counter() - t0) * 1000
                print(f"first page (25, desc) cold   {cold:8.1f} ms")
                print(f"first page warm, median      {statistics.median(warm):8.1f} ms")
                print(f"page 42 via cursor, median   {statistics.median(nxt):8.1f} ms")
                print(f"filtered first page, median  {statistics.median(filtered):8.1f} ms")
                print(f"tableSize ({int(size)} docs)      {count_ms:8.1f} ms")
        finally:
            stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--durable", action="store_true", help="also measure with fsync on disk")
    args = parser.parse_args()
    throughput(args.seconds, durable=False)
    if args.durable:
        throughput(args.seconds, durable=True)
    bulk(args.docs)


if __name__ == "__main__":
    main()
