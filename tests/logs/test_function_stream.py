"""The function log stream's two edges, against the sandbox: its ring overflowing between two
polls shows a "lines lost" marker where the gap is; and `logs --follow` (no history) shows the
entries that end a held first poll, whenever they come (the former 1 s blind window)."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tui.config.secret import Secret
from tui.convex import commands
from tui.convex.client import ConvexClient
from tui.convex.logcursor import BACKEND_RING, HELD_SLACK_S
from tui.convex.logstream import LogStream
from tui.logs.record import MARKER, Record
from tui.logs.sources import follow_functions
from tui.sandbox.outcome import Identity
from tui.sandbox.server import SandboxServer, SandboxThread

ADMIN = Identity("admin")


async def until(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def echo(server: SandboxServer, value: str) -> None:
    await server.deployment.run_function(
        "debug:echo", {"value": value}, identity=ADMIN, kind="query", caller="HttpApi"
    )


async def test_a_ring_overflow_between_two_polls_shows_a_lines_lost_marker(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await echo(sandbox, "before")
    gate = asyncio.Event()
    polls = [0]
    real_fetch = LogStream.fetch

    async def slow_consumer(self: LogStream) -> Any:  # the second poll waits for the burst
        polls[0] += 1
        if polls[0] == 2:
            await gate.wait()
        return await real_fetch(self)

    monkeypatch.setattr(LogStream, "fetch", slow_consumer)
    rows: list[Record] = []
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key)) as client:
        task = asyncio.create_task(follow_functions(client, rows.extend))
        try:
            await until(lambda: any("before" in r.text for r in rows), "the backlog")
            for i in range(BACKEND_RING + 100):  # more than the ring holds, nobody polling
                await echo(sandbox, f"burst-{i}")
            gate.set()
            await until(lambda: any(f"burst-{BACKEND_RING + 99}" in r.text for r in rows),
                        "the burst's last line")  # fmt: skip
        finally:
            task.cancel()
    lost = [r for r in rows if r.kind == MARKER and "lines lost" in r.text]
    assert len(lost) == 1 and lost[0].level == "WARN"
    assert f"{BACKEND_RING:,} executions arrived" in lost[0].text
    burst = [r for r in rows if "burst-" in r.text]
    assert not any(r.text.endswith("'burst-0'") for r in burst)  # the first ones were dropped
    after = rows[rows.index(lost[0]) + 1 :]
    assert after and all(r.time > lost[0].time for r in after)  # the marker sits at the gap


async def test_no_lost_marker_without_an_overflow(sandbox: SandboxServer) -> None:
    rows: list[Record] = []
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key)) as client:
        task = asyncio.create_task(follow_functions(client, rows.extend))
        try:
            for i in range(50):
                await echo(sandbox, f"calm-{i}")
            await until(lambda: any("calm-49" in r.text for r in rows), "the last line")
        finally:
            task.cancel()
    assert not any("lines lost" in r.text for r in rows)


@pytest.fixture
def empty_log() -> Any:
    with SandboxThread(memory=True, seed="empty", log_poll_seconds=30) as server:
        yield server


def test_logs_follow_shows_what_ends_a_held_first_poll(empty_log: SandboxThread) -> None:
    """Entries that come right after the first poll reached the server (a few round trips, not
    a second) are printed: the poll was held, so they are new, not backlog."""
    out, err = io.StringIO(), io.StringIO()
    settings = SimpleNamespace(url=empty_log.url, admin_key=Secret(empty_log.admin_key))
    args = SimpleNamespace(history=None, jsonl=False, follow=True)
    runner = threading.Thread(
        target=commands.logs_main, args=(args, settings), kwargs={"out": out, "err": err},
        daemon=True,
    )  # fmt: skip
    runner.start()

    def polls() -> int:
        return sum(1 for _, path, _ in empty_log.request_log if "stream_function_logs" in path)

    deadline = time.monotonic() + 15
    while polls() < 1:  # the first poll reached the server (and is held: the log is empty)
        assert time.monotonic() < deadline, "no poll"
        time.sleep(0.01)
    held_at = time.monotonic()
    while time.monotonic() - held_at < 2 * HELD_SLACK_S:  # past the classification slack
        time.sleep(0.005)
    asyncio.run_coroutine_threadsafe(
        echo(empty_log.server, "first-after-poll"), empty_log.loop
    ).result(10)
    deadline = time.monotonic() + 10
    while "first-after-poll" not in out.getvalue():
        assert time.monotonic() < deadline, f"not printed: {out.getvalue()!r} {err.getvalue()!r}"
        time.sleep(0.02)
    assert time.monotonic() - held_at < 5  # long before the 30 s hold would have ended


async def test_the_stream_knows_when_its_poll_is_on_the_wire(sandbox: SandboxServer) -> None:
    """follow_functions sends the next poll before handing rows over; it waits for this."""
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key)) as client:
        stream = client.stream_logs(history=True)
        await echo(sandbox, "wire")
        await stream.fetch()
        pending = asyncio.ensure_future(stream.fetch())
        try:
            assert await stream.wait_sent(5.0) and stream.sent_seen
        finally:
            pending.cancel()
