"""The PyPI `convex.ConvexClient` (Rust sync client over the WebSocket) against the sandbox."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from convex import ConvexClient, ConvexError, ConvexInt64

from tests.peers.conftest import Sandbox
from tui.convex.ids import is_id

pytestmark = [pytest.mark.peers, pytest.mark.timeout(90)]
STEP_TIMEOUT = 15


def bounded(fn: Callable[[], Any], what: str, timeout: int = STEP_TIMEOUT) -> Any:
    """Run a blocking client call on the main thread under a SIGALRM deadline.

    The Rust client blocks while holding the GIL, so a watchdog *thread* could never fire; but
    every blocking call (including `QuerySubscription.__next__`) runs Python signal handlers
    once a second, so an alarm interrupts a hang with a clear failure.
    """

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"python client: {what} did not finish within {timeout}s")

    # Share ITIMER_REAL with pytest-timeout (signal method): restore its timer afterwards.
    previous = signal.signal(signal.SIGALRM, expire)
    outer, interval = signal.setitimer(signal.ITIMER_REAL, timeout)
    started = time.monotonic()
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:
            left = max(outer - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, interval)


def admin_client(sandbox: Sandbox) -> ConvexClient:
    client = ConvexClient(sandbox.url)
    client.set_admin_auth(sandbox.admin_key)
    return client


def test_query_mutation_and_values(peer_sandbox: Sandbox) -> None:
    client = admin_client(peer_sandbox)
    task_id = bounded(
        lambda: client.mutation("tasks:create", {"title": "python peer", "priority": 3.0}), "create"
    )
    assert isinstance(task_id, str) and is_id(task_id)
    task = bounded(lambda: client.query("tasks:get", {"id": task_id}), "get")
    assert (
        task["title"] == "python peer" and task["status"] == "pending" and task["priority"] == 3.0
    )
    assert isinstance(task["_creationTime"], float)

    listed = bounded(lambda: client.query("tasks:list", {"status": "pending"}), "list")
    assert listed[0]["_id"] == task_id, "newest first"

    value: dict[str, Any] = {
        "n": ConvexInt64(2**62 + 9),
        "b": b"\x00\xffpeer",
        "f": 2.5,
        "l": [1.0, "x", None],
    }
    echoed = bounded(lambda: client.query("debug:echo", {"value": value}), "echo")
    assert echoed["n"] == ConvexInt64(2**62 + 9) or echoed["n"] == 2**62 + 9
    assert echoed["b"] == b"\x00\xffpeer" and echoed["f"] == 2.5 and echoed["l"] == [1.0, "x", None]

    # Internal functions run with admin auth over the socket too.
    vector = bounded(
        lambda: client.action("rag:generateQueryEmbedding", {"query": "python"}), "action"
    )
    assert isinstance(vector, list) and len(vector) == 8


def test_convex_error_and_plain_error(peer_sandbox: Sandbox) -> None:
    client = admin_client(peer_sandbox)
    with pytest.raises(ConvexError) as info:
        bounded(lambda: client.mutation("tasks:create", {"title": ""}), "ConvexError")
    assert info.value.data == {"code": "EMPTY_TITLE", "message": "Task title must not be empty"}

    with pytest.raises(Exception) as plain:
        bounded(lambda: client.query("debug:fail"), "plain error")
    assert not isinstance(plain.value, ConvexError)
    assert "Something went wrong" in str(plain.value) and "Server Error" in str(plain.value)


def test_subscribe_receives_update_from_another_client(peer_sandbox: Sandbox) -> None:
    watcher = admin_client(peer_sandbox)
    writer = admin_client(peer_sandbox)
    subscription: Any = watcher.subscribe("messages:list", {})
    first = bounded(lambda: next(subscription), "first subscription result")
    assert isinstance(first, list) and first and all("body" in m for m in first)

    body = f"python-peer-{time.time_ns()}"
    message_id = bounded(
        lambda: writer.mutation("messages:send", {"body": body, "author": "python"}), "send"
    )
    # Results the subscription buffered meanwhile are consumed until the new message shows up.
    updated = first
    for _ in range(5):
        updated = bounded(lambda: next(subscription), "subscription update")
        if any(m["body"] == body for m in updated):
            break
    assert any(m["body"] == body for m in updated), (
        "the subscription never saw the other client's mutation"
    )
    assert updated[-1]["_id"] == message_id and updated[-1]["author"] == "python"
    assert len(updated) == len(first) + 1
    subscription.unsubscribe()
