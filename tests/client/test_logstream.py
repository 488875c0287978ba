"""The log long-poll: cursor, history, retries with backoff, no duplicates, fatal errors."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web

from tests.client.scripted import Scripted
from tui.config.secret import Secret
from tui.convex import errors
from tui.convex.backoff import Backoff
from tui.convex.client import ConvexClient
from tui.convex.commands import logs_main
from tui.convex.models import LogEntry

KEY = Secret("convex-self-hosted|01" + "12" * 40)


def entry(ts: float, ident: str = "m:f", kind: str = "Completion", **kw: Any) -> dict[str, Any]:
    base = {
        "kind": kind,
        "udfType": "Query",
        "identifier": ident,
        "timestamp": ts,
        "logLines": [f"[LOG] 'at {ts}'"],
        "requestId": f"r{ts}",
        "executionId": f"e{ts}",
        "componentPath": None,
    }
    if kind == "Completion":
        base.update(
            executionTime=0.002, cachedResult=False, caller="HttpApi", error=None, success=None
        )
    base.update(kw)
    return base


class LogServer:
    def __init__(self, server: Scripted) -> None:
        self.ring: list[dict[str, Any]] = []
        self.faults: list[str] = []
        self.changed = asyncio.Condition()
        self.cursors: list[float] = []
        server.on("GET", "/api/stream_function_logs", self.handle)

    async def add(self, *entries: dict[str, Any]) -> None:
        self.ring.extend(entries)
        async with self.changed:
            self.changed.notify_all()

    async def polled(self, count: int) -> None:
        """Wait (bounded) until ``count`` polls have reached the server."""
        async with asyncio.timeout(10):
            while len(self.cursors) < count:  # noqa: ASYNC110 - requests arrive on the loop
                await asyncio.sleep(0.005)

    async def handle(self, req: web.Request) -> web.StreamResponse:
        cursor = float(req.query["cursor"])
        self.cursors.append(cursor)
        if self.faults:
            fault = self.faults.pop(0)
            if fault == "500":
                return web.json_response(
                    {"code": "InternalServerError", "message": "x"}, status=500
                )
            if fault == "garbage":
                return web.Response(text="<html>")
            if fault == "403":
                return web.json_response({"code": "BadDeployKey", "message": "no"}, status=403)
            if fault == "drop":
                assert req.transport is not None
                req.transport.abort()
                return web.Response()

        def fresh() -> list[dict[str, Any]]:
            return [e for e in self.ring if e["timestamp"] * 1000 > cursor]

        try:
            async with asyncio.timeout(2.0), self.changed:
                await self.changed.wait_for(lambda: bool(fresh()))
        except TimeoutError:
            return web.json_response({"entries": [], "newCursor": cursor})
        got = fresh()
        return web.json_response({"entries": got, "newCursor": got[-1]["timestamp"] * 1000})


@pytest.fixture
def logs(scripted: Scripted) -> LogServer:
    return LogServer(scripted)


@pytest.fixture
async def client(scripted: Scripted) -> AsyncIterator[ConvexClient]:
    async with ConvexClient(scripted.url, KEY, backoff=lambda: Backoff(0.01, 0.05)) as c:
        yield c


async def take(it: AsyncIterator[LogEntry], n: int) -> list[LogEntry]:
    out: list[LogEntry] = []
    async with asyncio.timeout(5):
        while len(out) < n:
            out.append(await it.__anext__())
    return out


async def test_history_is_opt_in_and_entries_are_typed(
    logs: LogServer, client: ConvexClient
) -> None:
    await logs.add(entry(1.0), entry(2.0, kind="Progress", udfType="Action"))
    tail = aiter(client.stream_logs())
    waiter = asyncio.create_task(take(tail, 1))
    await logs.polled(2)  # the first answer (backlog) is dropped, the next poll now waits
    await logs.add(entry(3.0, error="Uncaught Error: boom"))
    (got,) = await waiter
    assert got.timestamp == 3.0 and got.error == "Uncaught Error: boom" and not got.success
    assert got.execution_time == 0.002 and got.caller == "HttpApi" and got.type_letter == "Q"
    assert got.log_lines[0].message == "'at 3.0'"
    hist = await take(aiter(client.stream_logs(history=True)), 3)
    assert [e.kind for e in hist] == ["Completion", "Progress", "Completion"]
    last = await take(aiter(client.stream_logs(history=1)), 1)
    assert last[0].timestamp == 3.0


async def test_retries_and_no_duplicates_across_restart(
    logs: LogServer, client: ConvexClient
) -> None:
    await logs.add(entry(1.0), entry(2.0))
    stream = client.stream_logs(history=True)
    it = aiter(stream)
    assert [e.timestamp for e in await take(it, 2)] == [1.0, 2.0]
    # The backend "restarts": a few failed polls, then a ring that still holds old entries
    # (an overlap must not be yielded twice) plus new ones.
    logs.faults = ["drop", "500", "garbage"]
    logs.ring = [entry(2.0), entry(2.5), entry(4.0)]
    got = await take(it, 2)
    assert [e.timestamp for e in got] == [2.5, 4.0]
    assert stream.reconnects == 3
    assert stream.cursor == 4000.0
    # A restarted server reporting a smaller cursor never moves ours back.
    assert all(c >= 2000.0 for c in logs.cursors[2:])


async def test_duplicate_entries_in_overlapping_batches(
    logs: LogServer, client: ConvexClient
) -> None:
    stream = client.stream_logs(cursor=0.5)  # resuming: no first-batch skipping
    await logs.add(entry(1.0), entry(1.0, kind="Progress"))
    got = await take(aiter(stream), 2)
    assert {e.kind for e in got} == {"Completion", "Progress"}
    accepted = stream._accept([LogEntry.from_json(entry(1.0))], 1000.0)
    assert accepted == []


async def test_permission_denied_is_fatal(logs: LogServer, client: ConvexClient) -> None:
    logs.faults = ["403"]
    with pytest.raises(errors.PermissionDenied):
        await take(aiter(client.stream_logs()), 1)


async def test_logs_command_snapshot(logs: LogServer, scripted: Scripted) -> None:
    await logs.add(entry(1.0), entry(2.0, error="bad"), entry(3.0, logLines=[]))
    settings = SimpleNamespace(url=scripted.url, admin_key=KEY)
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(
        logs_main, SimpleNamespace(history=2, jsonl=False, follow=False), settings, out=out, err=err
    )
    assert code == 0, err.getvalue()
    lines = out.getvalue().splitlines()
    assert "[CONVEX Q(m:f)] [LOG] 'at 2.0'" in lines[0]
    assert lines[1].endswith("[ERROR] bad")
    assert "Function executed in 2 ms" in lines[2]
    out = io.StringIO()
    code = await asyncio.to_thread(
        logs_main,
        SimpleNamespace(history=None, jsonl=True, follow=False),
        settings,
        out=out,
        err=err,
    )
    assert code == 0 and len(out.getvalue().splitlines()) == 3
