"""Client latency against the sandbox, side by side with reference clients.

    .venv/bin/python bench/client_latency.py [--n 200] [--runs 10] [--subs 40] [--json]

Three ratios (lower is better; goals from issue 4):
1. ``client.query`` vs a raw ``httpx`` POST of the same request, same process   (≤ 1.2×)
2. ``convex-tui run`` as a process vs ``npx convex run`` on the same sandbox      (≤ 0.4×)
3. subscription latency mutation → update vs the npm ``ConvexClient``            (≤ 1.3×)

The sandbox runs in its own process so that the server does not share our event loop.
The npm parts use the pinned convex package in tests/peers/node_modules; they are skipped
(and reported as such) when node or that package is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from sandbox_process import start_sandbox  # noqa: E402

PEERS = ROOT / "tests" / "peers"
QUERY: tuple[str, dict[str, object]] = ("messages:list", {})


NODE_SUB = """
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import WebSocket from "ws";
const [url, n] = [process.argv[2], Number(process.argv[3])];
const client = new ConvexClient(url, { webSocketConstructor: WebSocket });
const http = new ConvexHttpClient(url);
let resolveNext = null;
let last = -1;
client.onUpdate(anyApi.messages.list, {}, (v) => {
  if (v.length !== last) { last = v.length; if (resolveNext) { const r = resolveNext; resolveNext = null; r(); } }
});
const wait = () => new Promise((r) => { resolveNext = r; });
await new Promise((r) => setTimeout(r, 300));
const times = [];
for (let i = 0; i < n; i++) {
  const next = wait();
  const t0 = performance.now();
  await http.mutation(anyApi.messages.send, { body: `npm ${i}`, author: "bench" });
  await next;
  times.push(performance.now() - t0);
}
console.log(JSON.stringify(times));
await client.close();
process.exit(0);
"""


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0 if samples else float("nan")


async def bench_query(url: str, key: str, n: int) -> tuple[float, float]:
    from tui.config.secret import Secret
    from tui.convex.client import ConvexClient
    from tui.convex.http import client_header

    ours: list[float] = []
    raw: list[float] = []
    headers = {"Convex-Client": client_header(), "Authorization": f"Convex {key}"}
    body = {"path": QUERY[0], "args": [QUERY[1]], "format": "convex_encoded_json"}
    async with (
        ConvexClient(url, Secret(key)) as client,
        httpx.AsyncClient(base_url=url, headers=headers) as http,
    ):
        for _ in range(10):  # warm both connections
            await client.query(*QUERY)
            (await http.post("/api/query", json=body)).json()
        for _ in range(n):  # interleaved so drift hits both equally
            t0 = time.perf_counter()
            await client.query(*QUERY)
            t1 = time.perf_counter()
            resp = await http.post("/api/query", json=body)
            resp.raise_for_status()
            resp.json()
            t2 = time.perf_counter()
            ours.append(t1 - t0)
            raw.append(t2 - t1)
    return median_ms(ours), median_ms(raw)


def time_process(cmd: list[str], env: dict[str, str], cwd: Path, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
        samples.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {done.stderr[-400:]}")
    return median_ms(samples)


def bench_processes(url: str, key: str, runs: int) -> tuple[float, float | None]:
    env = {**os.environ, "CONVEX_SELF_HOSTED_URL": url, "CONVEX_SELF_HOSTED_ADMIN_KEY": key}
    exe = shutil.which("convex-tui", path=str(Path(sys.executable).parent)) or "convex-tui"
    with tempfile.TemporaryDirectory() as tmp:
        ours = (
            time_process([exe, "--url", url, "run", "messages:list", "{}"], env, Path(tmp), runs)
            if _has_url_flag(exe)
            else time_process([exe, "run", "messages:list", "{}"], env, Path(tmp), runs)
        )
    npx = shutil.which("npx")
    if not npx or not (PEERS / "node_modules" / "convex").exists():
        return ours, None
    theirs = time_process([npx, "convex", "run", "messages:list", "{}"], env, PEERS, runs)
    return ours, theirs


def _has_url_flag(exe: str) -> bool:
    try:
        out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return False
    return "--url" in out


async def bench_subscription(url: str, key: str, n: int) -> float:
    from tui.config.secret import Secret
    from tui.convex.client import ConvexClient

    samples: list[float] = []
    async with ConvexClient(url, Secret(key)) as client, httpx.AsyncClient(base_url=url) as http:
        sub = client.subscribe(*QUERY)
        last = len(await sub.__anext__())
        for i in range(n):
            t0 = time.perf_counter()
            resp = await http.post(
                "/api/mutation",
                json={
                    "path": "messages:send",
                    "args": [{"body": f"py {i}", "author": "bench"}],
                    "format": "convex_encoded_json",
                },
            )
            resp.raise_for_status()
            while True:
                value = await sub.__anext__()
                if len(value) != last:
                    last = len(value)
                    break
            samples.append(time.perf_counter() - t0)
        await sub.aclose()
    return median_ms(samples)


def bench_npm_subscription(url: str, n: int) -> float | None:
    node = shutil.which("node")
    if not node or not (PEERS / "node_modules" / "convex").exists():
        return None
    script = PEERS / ".bench_sub.mjs"
    script.write_text(NODE_SUB)
    try:
        done = subprocess.run(
            [node, str(script), url, str(n)], cwd=PEERS, capture_output=True, text=True, timeout=300
        )
    finally:
        script.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"node subscription bench failed: {done.stderr[-400:]}")
    times = json.loads(done.stdout.strip().splitlines()[-1])
    return float(statistics.median(times))


def ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="query round trips per side")
    parser.add_argument("--runs", type=int, default=10, help="process launches per side")
    parser.add_argument("--subs", type=int, default=40, help="mutation→update samples per side")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    opts = parser.parse_args()
    proc, url, key = start_sandbox()
    try:
        q_ours, q_raw = asyncio.run(bench_query(url, key, opts.n))
        p_ours, p_npx = bench_processes(url, key, opts.runs)
        s_ours = asyncio.run(bench_subscription(url, key, opts.subs))
        s_npm = bench_npm_subscription(url, opts.subs)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    rows: list[tuple[str, float, float | None, str, str]] = [
        ("query round trip (ms)", q_ours, q_raw, "raw httpx", "≤ 1.2×"),
        ("run as a process (ms)", p_ours, p_npx, "npx convex run", "≤ 0.4×"),
        ("mutation → update (ms)", s_ours, s_npm, "npm ConvexClient", "≤ 1.3×"),
    ]
    if opts.json:
        out: dict[str, Any] = {
            r[0]: {"ours": r[1], "reference": r[2], "ratio": ratio(r[1], r[2])} for r in rows
        }
        print(json.dumps(out, indent=2))
        return 0
    print(f"{'measure':<24}{'convex-tui':>12}{'reference':>12}  {'ratio':>7}  goal    reference")
    for name, ours, ref, who, goal in rows:
        ref_s = f"{ref:12.2f}" if ref is not None else f"{'n/a':>12}"
        print(f"{name:<24}{ours:12.2f}{ref_s}  {ratio(ours, ref):>7}  {goal:<7} {who}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
