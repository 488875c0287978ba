"""Deployment events: the sandbox writes `_deployment_audit_log` entries for env changes and
data edits and serves `_system/frontend/paginatedDeploymentEvents`; the Logs source follows it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tui.config.secret import Secret
from tui.convex.client import ConvexClient
from tui.logs.function_loop import FunctionLogsOnLoop
from tui.logs.record import EVENTS, MARKER, Record
from tui.logs.sources import EVENTS_PATH, follow_events
from tui.sandbox.audit import append_audit


async def test_env_changes_and_data_edits_are_audited_and_paginated(sandbox: Any) -> None:
    start = time.time() * 1000
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key)) as client:
        await client.set_env({"A_VAR": "1"})
        await client.set_env({"A_VAR": "2"})
        await client.set_env({"A_VAR": None})
        await client.add_documents(
            "tasks", [{"title": "t1", "status": "pending"}, {"title": "t2", "status": "pending"}]
        )
        for i in range(60):
            append_audit(sandbox.deployment, "push_config_with_components", {"n": i})
        args: dict[str, Any] = {
            "paginationOpts": {"numItems": 50, "cursor": None},
            "filters": {"minDate": start},
        }
        page = (await client.query(EVENTS_PATH, args)).value
        assert len(page["page"]) == 50 and not page["isDone"]
        args["paginationOpts"]["cursor"] = page["continueCursor"]
        rest = (await client.query(EVENTS_PATH, args)).value
        docs = page["page"] + rest["page"]
        assert rest["isDone"] and len(docs) == 64
        actions = [d["action"] for d in reversed(docs)]  # newest first on the wire
        assert actions[:4] == [
            "create_environment_variable",
            "update_environment_variable",
            "delete_environment_variable",
            "add_documents",
        ]
        assert docs[-1]["metadata"] == {"variable_name": "A_VAR"}
        assert docs[-4]["metadata"] == {"table": "tasks", "count": 2}
        only = {"paginationOpts": {"numItems": 50, "cursor": None},
                "filters": {"minDate": start, "actions": ["add_documents"]}}  # fmt: skip
        assert [d["action"] for d in (await client.query(EVENTS_PATH, only)).value["page"]] == [
            "add_documents"
        ]


async def test_event_source_emits_each_event_once(sandbox: Any) -> None:
    rows: list[Record] = []
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key)) as client:
        task = asyncio.create_task(
            follow_events(client, rows.extend, since_ms=time.time() * 1000, poll=0.05)
        )
        await client.set_env({"B_VAR": "x"})
        for _ in range(100):
            if rows:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # more polls: nothing new, nothing repeated
        task.cancel()
    assert [(r.source, r.text) for r in rows] == [
        (EVENTS, 'create_environment_variable {"variable_name": "B_VAR"}')
    ]


async def test_function_stream_marks_an_outage_and_resumes_after_a_restart() -> None:
    from tui.sandbox.server import SandboxServer

    rows: list[Record] = []
    server = SandboxServer(memory=True, seed="demo", log_poll_seconds=1.0)
    await server.start()
    port, key = server.url.rsplit(":", 1)[1], server.admin_key
    client = ConvexClient(server.url, Secret(key))
    stream = FunctionLogsOnLoop(server.url, Secret(key), rows.extend).start()
    try:
        await client.mutation("tasks:create", {"title": "before"})
        await _wait(rows, lambda: any("before" in r.text for r in rows))
        await server.stop()
        await _wait(rows, lambda: any(r.kind == MARKER and "lost" in r.text for r in rows))
        server = SandboxServer(memory=True, seed="demo", log_poll_seconds=1.0, port=int(port),
                               admin_key=key)  # fmt: skip
        await server.start()
        await _wait(rows, lambda: any("resumed" in r.text for r in rows), timeout=20)
        await client.mutation("tasks:create", {"title": "after"})
        await _wait(rows, lambda: any("after" in r.text for r in rows))
    finally:
        stream.stop()
        await client.close()
        await server.stop()
    texts = [r.text for r in rows]
    assert len([t for t in texts if "title: 'before'" in t]) == 1  # no duplicate after resume


async def _wait(rows: list[Record], check: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; rows: {[r.text for r in rows][-6:]}")
        await asyncio.sleep(0.05)
