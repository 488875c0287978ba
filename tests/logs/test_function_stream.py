"""The function log stream's edges, against the sandbox: its ring overflowing between two polls
shows a "lines lost" marker where the gap is; `logs --follow` (no history) shows the entries
that end a held first poll, whenever they come (the former 1 s blind window); the pane's
stream (on the console's loop) has its next poll on the wire before it hands an answer over,
stops at once, says a refused key once and a lost server once, and survives a server that
closes each connection after its answer."""

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
from tui.convex.logcursor import BACKEND_RING, HELD_SLACK_S, PATH
from tui.logs.function_loop import FunctionLogsOnLoop
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
    gate, reached = asyncio.Event(), asyncio.Event()
    polls = [0]
    real_send = FunctionLogsOnLoop._send

    def held_second_poll(self: FunctionLogsOnLoop, path: str, params: Any = None) -> None:
        if path == PATH:
            polls[0] += 1
            if polls[0] == 2:  # sent only after the burst
                reached.set()

                async def later() -> None:
                    await gate.wait()
                    real_send(self, path, params)

                held.append(asyncio.get_running_loop().create_task(later()))
                return
        real_send(self, path, params)

    held: list[asyncio.Task[None]] = []
    monkeypatch.setattr(FunctionLogsOnLoop, "_send", held_second_poll)
    rows: list[Record] = []
    stream = FunctionLogsOnLoop(sandbox.url, Secret(sandbox.admin_key), rows.extend).start()
    try:
        await until(reached.is_set, "the first answer (the backlog)")
        for i in range(BACKEND_RING + 100):  # more than the ring holds, nobody polling
            await echo(sandbox, f"burst-{i}")
        gate.set()
        await until(lambda: any(f"burst-{BACKEND_RING + 99}" in r.text for r in rows),
                    "the burst's last line")  # fmt: skip
    finally:
        gate.set()
        stream.stop()
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
    stream = FunctionLogsOnLoop(sandbox.url, Secret(sandbox.admin_key), rows.extend).start()
    try:
        for i in range(50):
            await echo(sandbox, f"calm-{i}")
        await until(lambda: any("calm-49" in r.text for r in rows), "the last line")
    finally:
        stream.stop()
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
    The hand-over here blocks (the console's loop, as a paint does) until the server has that
    poll; without it, it never comes."""

    def polls() -> int:
        return sum(1 for _, path, _ in empty_log.request_log if "stream_function_logs" in path)

    seen: list[tuple[str, int]] = []

    def hand_over(rows: list[Record]) -> None:
        answered = len(seen) + 1
        deadline = time.monotonic() + 5
        while polls() <= answered and time.monotonic() < deadline:
            time.sleep(0.002)
        seen.extend((r.text, polls()) for r in rows[:1])

    async def one(value: str) -> None:
        answered = len(seen)
        await until(lambda: polls() > answered, "the stream waiting on the server")
        done = asyncio.run_coroutine_threadsafe(echo(empty_log.server, value), empty_log.loop)
        await asyncio.wrap_future(done)
        await until(lambda: any(value in text for text, _ in seen), f"{value!r} handed over")

    async def follow() -> None:
        stream = FunctionLogsOnLoop(empty_log.url, Secret(empty_log.admin_key), hand_over)
        stream.start()
        try:
            await one("one")
            await one("two")
        finally:
            stream.stop()

    asyncio.run(follow())
    assert [n for _, n in seen] == [2, 3]  # each answer's next poll was already at the server


def test_stopping_cuts_a_held_poll_short(empty_log: SandboxThread) -> None:
    """The server holds an empty log's poll for 30 s here; stop() ends the stream at once: its
    connection is closed and nothing is left scheduled on the loop."""

    async def follow() -> FunctionLogsOnLoop:
        stream = FunctionLogsOnLoop(empty_log.url, Secret(empty_log.admin_key), lambda _: None)
        stream.start()
        deadline = time.monotonic() + 10
        while not any("stream_function_logs" in path for _, path, _ in empty_log.request_log):
            assert time.monotonic() < deadline, "no poll"
            await asyncio.sleep(0.01)
        wire = stream._wire
        assert wire is not None and not wire.closed
        stream.stop()
        assert wire.closed and stream._timer is None
        await asyncio.sleep(0.05)  # the transport closes on the next turn of the loop
        assert wire._transport is not None and wire._transport.is_closing()
        return stream

    started = time.monotonic()
    asyncio.run(follow())
    assert time.monotonic() - started < 5.0


async def test_a_refused_key_is_said_once_and_not_retried(sandbox: SandboxServer) -> None:
    rows: list[Record] = []
    failures: list[BaseException] = []
    stream = FunctionLogsOnLoop(sandbox.url, Secret("not-the-key"), rows.extend,
                                on_error=failures.append).start()  # fmt: skip
    try:
        await until(lambda: bool(failures), "the refusal")
        await asyncio.sleep(0.3)  # no retry follows
    finally:
        stream.stop()
    assert len(failures) == 1 and "not-the-key" not in str(failures[0])
    (row,) = rows
    assert row.kind == MARKER and row.text.startswith("function logs stopped:")
    assert "not-the-key" not in row.text
    polls = [p for _, p, _ in sandbox.request_log if "stream_function_logs" in p]
    assert len(polls) == 1


async def test_a_dead_server_is_said_once_while_retrying() -> None:
    """Nothing listens: one "lost" marker, then quiet retries with backoff."""
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rows: list[Record] = []
    stream = FunctionLogsOnLoop(f"http://127.0.0.1:{port}", Secret("k"), rows.extend).start()
    try:
        await until(lambda: stream.reconnects >= 2, "two failed tries")
    finally:
        stream.stop()
    assert [r.kind for r in rows] == [MARKER]
    assert "function log stream lost" in rows[0].text and "reconnecting" in rows[0].text


async def test_a_server_that_comes_back_is_said_at_once_before_its_rows() -> None:
    """The stream lost its server; when one listens again, "resumed" is said as soon as the
    stream is connected, though the server holds its poll (an empty log), and before the
    first rows that come."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rows: list[Record] = []
    stream = FunctionLogsOnLoop(f"http://127.0.0.1:{port}", Secret("k"), rows.extend).start()
    server = SandboxServer(memory=True, seed="empty", port=port, admin_key="k")
    try:
        await until(lambda: stream.reconnects >= 1, "a failed try")
        await server.start()
        await until(lambda: any("resumed" in r.text for r in rows), "the resumed marker")
        assert [r.kind for r in rows] == [MARKER, MARKER]  # no row came: the poll is held
        await echo(server, "came-back-1")
        await until(lambda: any("came-back-1" in r.text for r in rows), "the first row after")
    finally:
        stream.stop()
        await server.stop()
    texts = [r.text for r in rows]
    assert texts.index("function log stream resumed") < next(
        i for i, t in enumerate(texts) if "came-back-1" in t
    )


async def test_a_server_that_closes_after_each_answer_is_followed_without_a_marker() -> None:
    """`Connection: close` after each answer (a proxy may do it; the sandbox never does, hence
    this small server), the last one without a length (its body ends with the connection):
    each next poll goes out on a new connection, and nothing is said."""
    answers = [b'{"entries": [], "newCursor": 5.0}', _entries("first", 6.0),
               _entries("second", 7.0)]  # fmt: skip
    connections = [0]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections[0] += 1
        await reader.readuntil(b"\r\n\r\n")
        body = answers.pop(0) if answers else None
        if body is None:
            await reader.read()  # held, as an empty log's poll, until the stream stops
            return
        # The last answer has no length: its body ends where the connection does.
        length = b"Content-Length: %d\r\n" % len(body) if answers else b""
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"%s\r\n%s" % (length, body))  # fmt: skip
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    rows: list[Record] = []
    stream = FunctionLogsOnLoop(f"http://127.0.0.1:{port}", Secret("k"), rows.extend).start()
    try:
        await until(lambda: any("second" in r.text for r in rows), "the second answer")
    finally:
        stream.stop()
        server.close()
    assert [r.text for r in rows if r.kind != MARKER] == [r.text for r in rows]
    assert connections[0] >= 3


def _entries(text: str, ts: float) -> bytes:
    import json

    entry = {"udfType": "Mutation", "identifier": "a:b", "timestamp": ts,
             "logLines": [text], "kind": "Completion", "executionTime": 0.001, "success": None,
             "requestId": f"r{ts}", "executionId": f"e{ts}", "cachedResult": False}  # fmt: skip
    return json.dumps({"entries": [entry], "newCursor": ts * 1000}).encode()
