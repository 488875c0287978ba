"""Subscriptions over the sync protocol against a scripted server, including faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.client.fake_sync import FakeSync
from tests.client.scripted import Scripted, wait_for
from tui.config.secret import Secret
from tui.convex import errors
from tui.convex.backoff import Backoff
from tui.convex.client import ConvexClient
from tui.convex.models import ConnectionState

KEY = Secret("convex-self-hosted|01" + "ef" * 40)


def fast() -> Backoff:
    return Backoff(initial=0.01, maximum=0.05)


@pytest.fixture
async def sync(scripted: Scripted) -> FakeSync:
    fake = FakeSync(scripted, values={"a:get": 1, "b:get": "x"})
    fake.install()
    return fake


@pytest.fixture
async def client(scripted: Scripted) -> AsyncIterator[ConvexClient]:
    async with ConvexClient(scripted.url, KEY, backoff=fast) as c:
        yield c


def scripted_path(sync: FakeSync) -> str:
    return next(s.path for s in sync.server.seen if s.path.endswith("/sync"))


def test_backoff_grows_with_jitter_and_caps() -> None:
    b = Backoff(initial=1.0, maximum=8.0, jitter=0.5)
    delays = [b.next_delay() for _ in range(8)]
    for i, d in enumerate(delays):
        base = min(2.0**i, 8.0)
        assert 0.75 * base <= d <= 1.25 * base
    assert len(set(delays)) == len(delays)  # jittered, not lock-step
    b.reset()
    assert b.next_delay() <= 1.25


async def next_value(sub: object, timeout: float = 5.0) -> object:
    async with asyncio.timeout(timeout):
        return await sub.__anext__()  # type: ignore[attr-defined]


async def test_session_order_and_shared_socket(sync: FakeSync, client: ConvexClient) -> None:
    a = client.subscribe("a.js:get")
    assert await next_value(a) == 1.0
    b = client.subscribe("b:get", {})
    assert await next_value(b) == "x"
    a2 = client.subscribe("a:get")  # same query: shares the server-side query
    assert await next_value(a2) == 1.0
    assert len(sync.conns) == 1
    assert sync.headers[0]["Convex-Client"] == "convex-tui-0.1.0"
    assert scripted_path(sync) == "/api/sync"
    first = sync.conns[0].received
    assert [m["type"] for m in first[:3]] == ["Connect", "Authenticate", "ModifyQuerySet"]
    assert first[0]["connectionCount"] == 0 and first[0]["lastCloseReason"] == "InitialConnect"
    assert first[1] == {
        "type": "Authenticate",
        "tokenType": "Admin",
        "value": KEY.reveal(),
        "baseVersion": 0,
    }
    assert first[2]["baseVersion"] == 0 and first[2]["newVersion"] == 1
    assert first[2]["modifications"][0]["udfPath"] == "a:get"
    assert sorted(sync.conns[0].queries.values()) == ["a:get", "b:get"]
    assert client.state.ws_state == "connected"
    # an update from "another client"
    sync.values["a:get"] = 2
    await sync.push("a:get")
    assert await next_value(a) == 2.0 and await next_value(a2) == 2.0
    await a.aclose()
    await a2.aclose()
    await wait_for(lambda: "a:get" not in sync.conns[0].queries.values())


async def test_wrong_start_version_reconnects_and_readds(
    sync: FakeSync, client: ConvexClient
) -> None:
    a = client.subscribe("a:get")
    b = client.subscribe("b:get")
    assert await next_value(a) == 1.0
    assert await next_value(b) == "x"
    sync.wrong_start_once = True
    sync.values["a:get"] = 5
    await sync.push("a:get")
    assert await next_value(a) == 5.0  # delivered by the new connection's first transition
    await sync.wait_conns(2)
    await wait_for(lambda: any(m["type"] == "ModifyQuerySet" for m in sync.conns[1].received))
    second = sync.conns[1].received
    assert second[0]["type"] == "Connect" and second[0]["connectionCount"] == 1
    assert "Invalid start version" in second[0]["lastCloseReason"]
    assert second[0]["sessionId"] == sync.conns[0].received[0]["sessionId"]
    modify = next(m for m in second if m["type"] == "ModifyQuerySet")
    assert (modify["baseVersion"], modify["newVersion"]) == (0, 1)
    assert sorted(m["udfPath"] for m in modify["modifications"]) == ["a:get", "b:get"]
    assert client.sync.reconnects == 1


async def test_dropped_socket_reconnects(sync: FakeSync, client: ConvexClient) -> None:
    states: list[ConnectionState] = []
    client.on_state(states.append)
    sync.drop_after_first_transition = True
    a = client.subscribe("a:get")
    assert await next_value(a) == 1.0
    await sync.wait_conns(2)
    await wait_for(lambda: bool(sync.conns[1].queries))
    sync.values["a:get"] = 9
    await sync.push("a:get")
    assert await next_value(a) == 9.0
    kinds = [s.ws_state for s in states]
    assert "reconnecting" in kinds and kinds[-1] == "connected"
    assert states[-1].reconnects >= 1


async def test_same_value_after_reconnect_is_not_yielded_again(
    sync: FakeSync, client: ConvexClient
) -> None:
    sync.drop_after_first_transition = True
    a = client.subscribe("a:get")
    assert await next_value(a) == 1.0
    await sync.wait_conns(2)
    await wait_for(lambda: client.sync.transitions >= 2)
    with pytest.raises(TimeoutError):
        await next_value(a, timeout=0.2)


async def test_mutation_resolves_after_transition(sync: FakeSync, client: ConvexClient) -> None:
    a = client.subscribe("a:get")
    assert await next_value(a) == 1.0
    result = await client.mutation_ws("w:set", {"path": "a:get", "value": 7})
    # The transition carrying the write was processed before the mutation resolved.
    assert a.latest == 7.0
    assert [str(x) for x in result.log_lines] == ["[LOG] 'set'"]
    with pytest.raises(errors.FunctionError, match="no"):
        await client.mutation_ws("w:fail", {})


async def test_query_failure_keeps_subscription(sync: FakeSync, client: ConvexClient) -> None:
    sync.values["a:get"] = RuntimeError("[Request ID: abc] Server Error\nUncaught Error: boom")
    a = client.subscribe("a:get")
    with pytest.raises(errors.FunctionError) as info:
        await next_value(a)
    assert info.value.request_id == "abc" and info.value.data == {"why": "x"}
    sync.values["a:get"] = 3
    await sync.push("a:get")
    assert await next_value(a) == 3.0


async def test_auth_error_is_fatal(sync: FakeSync, client: ConvexClient) -> None:
    sync.auth_error = True
    a = client.subscribe("a:get")
    with pytest.raises(errors.BadAdminKey):
        await next_value(a)
    assert client.state.ws_state == "closed"
    assert len(sync.conns) == 1  # no reconnect storm


async def test_invalid_json_from_server_reconnects(sync: FakeSync, client: ConvexClient) -> None:
    a = client.subscribe("a:get")
    assert await next_value(a) == 1.0
    await sync.conns[0].ws.send_str("{not json")
    await sync.wait_conns(2)
    await wait_for(lambda: bool(sync.conns[1].received))
    assert "invalid JSON" in sync.conns[1].received[0]["lastCloseReason"]


async def test_close_ends_iteration(sync: FakeSync, client: ConvexClient) -> None:
    a = client.subscribe("a:get")
    assert await next_value(a) == 1.0
    waiter = asyncio.create_task(next_value(a))
    await asyncio.sleep(0)
    await client.close()
    with pytest.raises(StopAsyncIteration):
        await waiter


async def test_dropped_handle_frees_its_query(sync: FakeSync, client: ConvexClient) -> None:
    import gc

    keep = client.subscribe("b:get")
    assert await next_value(keep) == "x"
    dropped = client.subscribe("a:get")
    assert await next_value(dropped) == 1.0
    del dropped
    gc.collect()
    await wait_for(lambda: list(sync.conns[0].queries.values()) == ["b:get"])
