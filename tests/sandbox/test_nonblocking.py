"""SQLite work runs off the event loop: slow functions never stall cheap requests."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx

from tui.convex.validators import v
from tui.sandbox.context import MutationCtx, QueryCtx
from tui.sandbox.server import SandboxServer


async def test_slow_functions_do_not_stall_version(sandbox: SandboxServer) -> None:
    reg = sandbox.deployment.registry
    release = threading.Event()
    started = threading.Semaphore(0)

    @reg.query("slow:scan", args=v.object())
    def slow_scan(ctx: QueryCtx, args: dict[str, Any]) -> float:
        started.release()
        release.wait(10)  # a long SQLite scan, as far as the event loop can tell
        return float(len(ctx.db.query("tasks")))

    @reg.mutation("slow:write", args=v.object())
    def slow_write(ctx: MutationCtx, args: dict[str, Any]) -> None:
        started.release()
        release.wait(10)
        ctx.db.insert("messages", {"body": "slow", "author": "test"})

    async with httpx.AsyncClient(base_url=sandbox.url, timeout=20) as c:
        calls = [
            asyncio.create_task(c.post(route, json={"path": path, "args": {}}))
            for route, path in [("/api/query", "slow:scan")] * 4 + [("/api/mutation", "slow:write")]
        ]
        for _ in range(5):  # every reader thread and the writer are now busy
            assert await asyncio.to_thread(started.acquire, True, 10)
        t0 = time.perf_counter()
        for _ in range(20):
            r = await c.get("/version")
            assert r.status_code == 200
        elapsed = time.perf_counter() - t0
        release.set()
        results = [r.json() for r in await asyncio.gather(*calls)]
    assert all(r["status"] == "success" for r in results), results
    # Queued behind the busy functions they would take the 10 s the functions are held; a
    # loaded machine takes a while for 20 round trips, so the bound is far from both.
    assert elapsed < 5.0, f"20 /version calls took {elapsed:.2f}s while functions were busy"
