"""Durability: restarts keep data, env vars and the key; kill -9 loses no acknowledged write."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tui.sandbox.server import SandboxServer

KEY_HEADER = "Authorization"


async def fn(c: httpx.AsyncClient, key: str, route: str, path: str, args: dict[str, Any]) -> Any:
    r = await c.post(
        route,
        headers={KEY_HEADER: f"Convex {key}"},
        json={"path": path, "args": args, "format": "convex_encoded_json"},
    )
    body = r.json()
    assert body["status"] == "success", body
    return body["value"]


async def test_restart_keeps_data_env_and_key(tmp_path: Path) -> None:
    async with SandboxServer(data_dir=tmp_path) as first:
        key = first.admin_key
        async with httpx.AsyncClient(base_url=first.url) as c:
            task_id = await fn(c, key, "/api/mutation", "tasks:create", {"title": "survive"})
            r = await c.post(
                "/api/update_environment_variables",
                headers={KEY_HEADER: f"Convex {key}"},
                json={"changes": [{"name": "KEEP", "value": "me"}]},
            )
            assert r.status_code == 200
            messages = await fn(c, key, "/api/query", "messages:list", {})
    assert (tmp_path / "admin_key").stat().st_mode & 0o777 == 0o600
    async with SandboxServer(data_dir=tmp_path) as second:
        assert second.admin_key == key
        async with httpx.AsyncClient(base_url=second.url) as c:
            doc = await fn(c, key, "/api/query", "tasks:get", {"id": task_id})
            assert doc["title"] == "survive"
            env = (
                await c.get(
                    "/api/list_environment_variables", headers={KEY_HEADER: f"Convex {key}"}
                )
            ).json()
            assert env["environmentVariables"] == {"KEEP": "me"}
            # The demo seed runs once per data directory, not on every start.
            assert len(await fn(c, key, "/api/query", "messages:list", {})) == len(messages)
            created = await fn(c, key, "/api/mutation", "tasks:create", {"title": "later"})
            later = await fn(c, key, "/api/query", "tasks:get", {"id": created})
            assert later["_creationTime"] > doc["_creationTime"]


def _start_child(data: Path) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui",
            "sandbox",
            "--data",
            str(data),
            "--port",
            "0",
            "--site-port",
            "0",
            "--seed",
            "empty",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None and proc.stdout is not None
    url = ""
    deadline = time.monotonic() + 30
    while not url and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith("API URL:"):
            url = line.split(":", 1)[1].strip()
    key = proc.stdout.readline().strip()
    if not url or not key:
        proc.kill()
        raise AssertionError(f"sandbox child did not start: {proc.stderr.read()}")
    return proc, url, key


async def test_kill_9_loses_no_acknowledged_mutation(tmp_path: Path) -> None:
    proc, url, key = await asyncio.to_thread(_start_child, tmp_path)
    acked: list[str] = []
    enough = asyncio.Event()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as c:

            async def writer(worker: int) -> None:
                for i in range(10_000):
                    try:
                        r = await c.post(
                            "/api/mutation",
                            headers={KEY_HEADER: f"Convex {key}"},
                            json={
                                "path": "messages:send",
                                "args": {"body": f"{worker}-{i}", "author": "w"},
                            },
                        )
                    except httpx.HTTPError:
                        return  # the server died mid-request: not acknowledged
                    if r.status_code == 200 and r.json()["status"] == "success":
                        acked.append(r.json()["value"])
                        if len(acked) >= 150:
                            enough.set()

            tasks = [asyncio.create_task(writer(w)) for w in range(4)]
            await asyncio.wait_for(enough.wait(), 30)
            os.kill(proc.pid, signal.SIGKILL)
            await asyncio.gather(*tasks)
    finally:
        proc.kill()
        proc.wait(10)
    assert len(acked) >= 150
    async with SandboxServer(data_dir=tmp_path, seed="empty") as again:
        assert again.admin_key == key
        async with httpx.AsyncClient(base_url=again.url) as c:
            size = await fn(
                c, key, "/api/query", "_system/frontend/tableSize", {"tableName": "messages"}
            )
            assert size >= len(acked)
            for doc_id in acked:
                assert (
                    await fn(c, key, "/api/query", "_system/frontend/getById", {"id": doc_id})
                    is not None
                ), doc_id
