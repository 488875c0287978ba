"""Subscriptions over the sandbox's WebSocket: updates, sharing, mutations, restarts."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.client.scripted import wait_for
from tui.config.secret import Secret
from tui.convex.backoff import Backoff
from tui.convex.client import ConvexClient
from tui.convex.models import ConnectionState

pytest.importorskip("tui.sandbox.sync")
SandboxServer = pytest.importorskip("tui.sandbox.server").SandboxServer


def fast() -> Backoff:
    return Backoff(initial=0.02, maximum=0.2)


@pytest.fixture
async def sandbox() -> AsyncIterator[Any]:
    async with SandboxServer(host="127.0.0.1", port=0, memory=True, seed="demo") as server:
        yield server


@pytest.fixture
async def client(sandbox: Any) -> AsyncIterator[ConvexClient]:
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key), backoff=fast) as c:
        yield c


async def nxt(sub: Any, timeout: float = 5.0) -> Any:
    async with asyncio.timeout(timeout):
        return await sub.__anext__()


async def http_send(url: str, body: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        resp = await http.post(
            "/api/mutation",
            json={
                "path": "messages:send",
                "args": [{"body": body, "author": "other"}],
                "format": "convex_encoded_json",
            },
        )
        assert resp.json()["status"] == "success"


async def test_updates_from_another_client_share_one_socket(
    sandbox: Any, client: ConvexClient
) -> None:
    messages = client.subscribe("messages:list")
    tasks = client.subscribe("tasks:list", {"status": "pending"})
    before = await nxt(messages)
    pending = await nxt(tasks)
    assert all(t["status"] == "pending" for t in pending)
    await http_send(sandbox.url, "hello from httpx")
    after = await nxt(messages)
    assert len(after) == len(before) + 1 and after[-1]["body"] == "hello from httpx"
    assert client.sync.connection_count == 1 and client.state.ws_state == "connected"
    await messages.aclose()
    await tasks.aclose()


@pytest.mark.peers
async def test_update_from_pypi_convex_client(sandbox: Any, client: ConvexClient) -> None:
    pytest.importorskip("convex")
    messages = client.subscribe("messages:list")
    before = await nxt(messages)
    # Its own process: the Rust-backed client holds the GIL while it waits on the network.
    code = (
        "import convex, sys\n"
        "c = convex.ConvexClient(sys.argv[1])\n"
        "c.mutation('messages:send', {'body': 'from pypi', 'author': 'py'})\n"
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code, sandbox.url)
    async with asyncio.timeout(30):
        assert await proc.wait() == 0
    after = await nxt(messages, timeout=10)
    assert len(after) == len(before) + 1 and after[-1]["body"] == "from pypi"


async def test_mutation_over_socket_and_query_errors(client: ConvexClient) -> None:
    messages = client.subscribe("messages:list")
    before = await nxt(messages)
    result = await client.mutation_ws("messages:send", {"body": "over ws", "author": "me"})
    assert isinstance(result.value, str)
    # resolved only after the transition carrying the write was applied
    assert messages.latest[-1]["_id"] == result.value and len(messages.latest) == len(before) + 1
    failing = client.subscribe("debug:fail")
    from tui.convex.errors import FunctionError

    with pytest.raises(FunctionError, match="throws on purpose"):
        await nxt(failing)
    with pytest.raises(FunctionError):
        await client.mutation_ws("tasks:create", {"title": ""})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_reconnect_after_restart_on_same_port() -> None:
    port = free_port()
    first = SandboxServer(host="127.0.0.1", port=port, memory=True, seed="empty")
    await first.start()
    key = first.admin_key
    second = None
    states: list[ConnectionState] = []
    try:
        async with ConvexClient(first.url, Secret(key), backoff=fast) as client:
            client.on_state(states.append)
            messages = client.subscribe("messages:list")
            notes = client.subscribe("debug:echo", {"value": "still here"})
            assert await nxt(messages) == []
            assert await nxt(notes) == "still here"
            await http_send(first.url, "before restart")
            assert [m["body"] for m in await nxt(messages)] == ["before restart"]
            await first.stop()
            await wait_for(lambda: client.state.ws_state == "reconnecting")
            second = SandboxServer(
                host="127.0.0.1", port=port, memory=True, seed="empty", admin_key=key
            )
            await second.start()
            # The fresh (in-memory) deployment is empty: the re-added query says so...
            assert await nxt(messages, timeout=10) == []
            await http_send(second.url, "after restart")
            # ...and keeps receiving updates on the new socket.
            assert [m["body"] for m in await nxt(messages)] == ["after restart"]
            assert client.sync.connection_count >= 2
            assert notes.latest == "still here"
    finally:
        await first.stop()
        if second is not None:
            await second.stop()
    kinds = [s.ws_state for s in states]
    assert "reconnecting" in kinds and "connected" in kinds[kinds.index("reconnecting") :]
