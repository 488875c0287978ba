"""The function log stream's edges, against the sandbox: its ring overflowing between two polls
shows a "lines lost" marker where the gap is; `logs --follow` (no history) shows the entries
that end a held first poll, whenever they come (the former 1 s blind window); the pane's
stream has its next poll on the wire before it hands an answer over; stopping it cuts a held
poll short."""

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
from tui.convex.logcursor import BACKEND_RING, HELD_SLACK_S
from tui.convex.logtail import LogTail
from tui.logs.function_thread import FunctionLogs
from tui.logs.record import MARKER, Record
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
    gate, reached = threading.Event(), threading.Event()
    polls = [0]
    real_begin = LogTail._begin

    def held_second_poll(self: LogTail, timeout: float) -> Any:  # waits for the burst
        polls[0] += 1
        if polls[0] == 2:
            reached.set()
            assert gate.wait(30)
        return real_begin(self, timeout)

    monkeypatch.setattr(LogTail, "_begin", held_second_poll)
    rows: list[Record] = []
    stream = FunctionLogs(sandbox.url, Secret(sandbox.admin_key), rows.extend).start()
    try:
        await until(reached.is_set, "the first answer (the backlog)")
        for i in range(BACKEND_RING + 100):  # more than the ring holds, nobody polling
            await echo(sandbox, f"burst-{i}")
        gate.set()
        await until(lambda: any(f"burst-{BACKEND_RING + 99}" in r.text for r in rows),
                    "the burst's last line")  # fmt: skip
    finally:
        gate.set()
        await asyncio.to_thread(stream.stop)
    assert any("before" in r.text for r in rows)
    lost = [r for r in rows if r.kind == MARKER and "lines lost" in r.text]
    assert len(lost) == 1 and lost[0].level == "WARN"
    assert f"{BACKEND_RING:,} executions arrived" in lost[0].text
    burst = [r for r in rows if "burst-" in r.text]
    assert not any(r.text.endswith("'burst-0'") for r in burst)  # the first ones were dropped
    after = rows[rows.index(lost[0]) + 1 :]
    assert after and all(r.time > lost[0].time for r in after)  # the marker sits at the gap


async def test_no_lost_marker_without_an_overflow(sandbox: SandboxServer) -> None:
    rows: list[Record] = []
    stream = FunctionLogs(sandbox.url, Secret(sandbox.admin_key), rows.extend).start()
    try:
        for i in range(50):
            await echo(sandbox, f"calm-{i}")
        await until(lambda: any("calm-49" in r.text for r in rows), "the last line")
    finally:
        await asyncio.to_thread(stream.stop)
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


def test_the_next_poll_is_on_the_wire_before_an_answer_is_handed_over(
    empty_log: SandboxThread,
) -> None:
    """While the pane paints one answer, the server already holds the stream's next poll: an
    execution that ends meanwhile (a scheduled follow-up) is answered at once, not a poll late.
    The hand-over here blocks until the server has that poll; without it, it never comes."""

    def polls() -> int:
        return sum(1 for _, path, _ in empty_log.request_log if "stream_function_logs" in path)

    seen: list[tuple[str, int]] = []

    def hand_over(rows: list[Record]) -> None:
        answered = len(seen) + 1
        deadline = time.monotonic() + 5
        while polls() <= answered and time.monotonic() < deadline:
            time.sleep(0.002)
        seen.extend((r.text, polls()) for r in rows[:1])

    stream = FunctionLogs(empty_log.url, Secret(empty_log.admin_key), hand_over).start()
    try:
        for value in ("one", "two"):
            while polls() <= len(seen):  # the stream is waiting on the server
                time.sleep(0.005)
            asyncio.run_coroutine_threadsafe(echo(empty_log.server, value), empty_log.loop).result(
                10
            )
            deadline = time.monotonic() + 10
            while not any(value in text for text, _ in seen):
                assert time.monotonic() < deadline, f"{value!r} not handed over: {seen}"
                time.sleep(0.005)
    finally:
        stream.stop()
    assert [n for _, n in seen] == [2, 3]  # each answer's next poll was already at the server


def test_stopping_cuts_a_held_poll_short(empty_log: SandboxThread) -> None:
    """The server holds an empty log's poll for 30 s here; stop() ends the stream at once."""
    stream = FunctionLogs(empty_log.url, Secret(empty_log.admin_key), lambda rows: None).start()
    deadline = time.monotonic() + 10
    while not any("stream_function_logs" in path for _, path, _ in empty_log.request_log):
        assert time.monotonic() < deadline, "no poll"
        time.sleep(0.01)
    started = time.monotonic()
    stream.stop(timeout=5)
    assert not stream._thread.is_alive()
    assert time.monotonic() - started < 1.0
