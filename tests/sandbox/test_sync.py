"""The WebSocket sync protocol served by the sandbox, driven frame by frame (reference §10)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
import pytest

from tests.sandbox.sync_harness import ZERO_VERSION, Sandbox, SyncClient, no_message, sync_sandbox
from tui.convex.validators import v
from tui.sandbox import sync
from tui.sandbox.context import ConvexError, QueryCtx
from tui.sandbox.http_auth import BAD_ADMIN_KEY
from tui.sandbox.sync_protocol import NO_PROVIDERS, decode_u64, encode_u64

__all__ = ["sync_sandbox"]
pytestmark = pytest.mark.timeout(30)

TASKS: tuple[str, dict[str, Any]] = ("tasks:list", {})
MESSAGES: tuple[str, dict[str, Any]] = ("messages:list", {})


async def _authed(sync_sandbox: Sandbox, **kwargs: Any) -> SyncClient:
    client = await sync_sandbox.open(**kwargs)
    await client.connect()
    await client.send(type="Authenticate", tokenType="Admin", value=sync_sandbox.key, baseVersion=0)
    return client


async def test_first_transition_answers_modify_query_set_not_connect(sync_sandbox: Sandbox) -> None:
    client = await sync_sandbox.open()
    await client.connect()
    await client.send(
        type="ModifyQuerySet",
        baseVersion=0,
        newVersion=1,
        modifications=[
            {"type": "Add", "queryId": 0, "udfPath": "tasks:list", "args": [{}]},
            {"type": "Add", "queryId": 1, "udfPath": "messages:list", "args": [{}]},
        ],
    )
    first = await client.recv()  # the first frame answers ModifyQuerySet: Connect has no reply
    assert first["type"] == "Transition"
    assert first["startVersion"] == ZERO_VERSION
    client.apply(first)
    assert first["endVersion"]["querySet"] == 1 and first["endVersion"]["identity"] == 0
    assert client.ts == sync_sandbox.server.deployment.current_ts > 0
    assert first["clientClockSkew"] is not None
    mods = {m["queryId"]: m for m in first["modifications"]}
    assert set(mods) == {0, 1}
    assert mods[0]["type"] == "QueryUpdated" and mods[0]["journal"] is None
    assert isinstance(mods[0]["value"], list) and mods[0]["value"]
    assert {"_id", "_creationTime", "title", "status"} <= set(mods[0]["value"][0])
    assert isinstance(mods[0]["logLines"], list)


async def test_versions_chain_across_query_set_and_identity_changes(sync_sandbox: Sandbox) -> None:
    client = await _authed(sync_sandbox)
    await client.subscribe({0: TASKS, 1: MESSAGES})
    assert client.version["identity"] == 1 and client.version["querySet"] == 1
    await client.send(
        type="ModifyQuerySet",
        baseVersion=1,
        newVersion=2,
        modifications=[
            {"type": "Remove", "queryId": 0},
            {"type": "Add", "queryId": 2, "udfPath": "debug:checkEnv", "args": [{}]},
        ],
    )
    (step,) = await client.until_version(2, 1)
    assert [(m["type"], m["queryId"]) for m in step["modifications"]] == [
        ("QueryRemoved", 0),
        ("QueryUpdated", 2),
    ]
    # Re-authenticating bumps the identity version and re-runs every query; results that
    # did not change are not sent again.
    await client.send(type="Authenticate", tokenType="None", baseVersion=1)
    (step,) = await client.until_version(2, 2)
    assert step["modifications"] == []
    # A query-set change with no modifications is still a version step.
    await client.send(type="ModifyQuerySet", baseVersion=2, newVersion=3, modifications=[])
    (step,) = await client.until_version(3, 2)
    assert step["modifications"] == []


async def test_mutation_response_then_transition_reaching_its_ts(sync_sandbox: Sandbox) -> None:
    client = await _authed(sync_sandbox)
    await client.subscribe({0: TASKS, 1: MESSAGES})
    await client.send(
        type="Mutation", requestId=0, udfPath="tasks:create", args=[{"title": "From the socket"}]
    )
    response = await client.recv()
    assert response["type"] == "MutationResponse"
    assert response["requestId"] == 0 and response["success"] is True
    assert isinstance(response["result"], str)
    assert response["logLines"] and "Created task" in response["logLines"][0]
    ts = decode_u64(response["ts"])
    changed: set[int] = set()
    while client.ts < ts:
        step = await client.transition()
        changed |= {m["queryId"] for m in step["modifications"]}
    assert changed == {0}, "only the tasks query read the written table"
    assert response["result"] in [t["_id"] for t in client.results[0]["value"]]


async def test_failed_mutation_has_null_ts_and_error_data(sync_sandbox: Sandbox) -> None:
    client = await _authed(sync_sandbox)
    await client.subscribe({0: TASKS})
    await client.send(type="Mutation", requestId=7, udfPath="tasks:create", args=[{"title": " "}])
    response = await client.reply()
    assert response["type"] == "MutationResponse" and response["success"] is False
    assert response["ts"] is None
    assert response["result"].startswith("[Request ID: ")
    assert "Uncaught ConvexError" in response["result"]
    assert response["errorData"] == {
        "code": "EMPTY_TITLE",
        "message": "Task title must not be empty",
    }
    await client.send(type="Mutation", requestId=8, udfPath="tasks:nope", args=[{}])
    response = await client.reply()
    assert response["success"] is False and "errorData" not in response
    assert "Could not find public function for 'tasks:nope'" in response["result"]


async def test_mutations_on_one_socket_run_in_order(sync_sandbox: Sandbox) -> None:
    client = await _authed(sync_sandbox)
    await client.subscribe({1: MESSAGES})
    for i in range(6):
        await client.send(
            type="Mutation",
            requestId=i,
            udfPath="messages:send",
            args=[{"body": f"m{i}", "author": "sync"}],
        )
    responses: list[dict[str, Any]] = []
    while len(responses) < 6:
        message = await client.recv()
        if message["type"] == "Transition":
            client.apply(message)
        else:
            responses.append(message)
    assert [r["requestId"] for r in responses] == list(range(6))
    stamps = [decode_u64(r["ts"]) for r in responses]
    assert stamps == sorted(stamps) and len(set(stamps)) == 6
    while client.ts < stamps[-1]:
        await client.transition()
    bodies = [m["body"] for m in client.results[1]["value"]]
    assert bodies[-6:] == [f"m{i}" for i in range(6)]


async def test_action_response(sync_sandbox: Sandbox) -> None:
    client = await _authed(sync_sandbox)
    await client.send(
        type="Action", requestId=3, udfPath="rag:searchWithRAG", args=[{"query": "convex"}]
    )
    response = await client.reply()
    assert response["type"] == "ActionResponse", response
    assert response["requestId"] == 3 and response["success"] is True
    assert "ts" not in response
    assert isinstance(response["result"], list)


async def test_http_mutation_updates_only_the_queries_that_read_it(sync_sandbox: Sandbox) -> None:
    client = await _authed(sync_sandbox)
    await client.subscribe({0: TASKS, 1: MESSAGES, 2: ("debug:checkEnv", {})})
    before = client.ts
    body = await sync_sandbox.mutation("messages:send", {"body": "over HTTP", "author": "peer"})
    assert body["status"] == "success"
    step = await client.transition()
    assert client.ts > before
    assert [m["queryId"] for m in step["modifications"]] == [1]
    assert client.results[1]["value"][-1]["body"] == "over HTTP"
    # An env var change re-runs only the query that read the environment.
    await sync_sandbox.server.deployment.update_env([("SYNC_TEST", "1")])
    step = await client.transition()
    assert [m["queryId"] for m in step["modifications"]] == [2]


async def test_query_failed_carries_error_data(sync_sandbox: Sandbox) -> None:
    def picky(ctx: QueryCtx, args: dict[str, Any]) -> None:
        ctx.console.log("checking")
        raise ConvexError({"reason": "picky", "n": 3})

    sync_sandbox.server.deployment.registry.query("syncTest:picky", args=v.object())(picky)
    client = await _authed(sync_sandbox)
    steps = await client.subscribe({0: ("syncTest:picky", {}), 1: ("debug:fail", {})})
    mods = {m["queryId"]: m for s in steps for m in s["modifications"]}
    assert mods[0]["type"] == "QueryFailed"
    assert mods[0]["errorData"] == {"reason": "picky", "n": 3}
    assert "Uncaught ConvexError" in mods[0]["errorMessage"]
    assert mods[0]["logLines"] == ["[LOG] 'checking'"] and mods[0]["journal"] is None
    assert mods[1]["type"] == "QueryFailed" and "errorData" not in mods[1]


async def test_acting_as_user_reaches_functions(sync_sandbox: Sandbox) -> None:
    tasks = await (await _authed(sync_sandbox)).subscribe({0: TASKS})
    owned = [t for t in tasks[-1]["modifications"][0]["value"] if t.get("userId")]
    assert owned, "the demo seed assigns tasks to users"
    user_id = owned[0]["userId"]
    client = await sync_sandbox.open()
    await client.connect()
    await client.subscribe({0: ("tasks:getUserTasks", {})})
    assert client.results[0]["value"] == []
    await client.send(
        type="Authenticate",
        tokenType="Admin",
        value=sync_sandbox.key,
        baseVersion=0,
        impersonating={"subject": f"{user_id}|session", "issuer": "https://sync_sandbox.test"},
    )
    (step,) = await client.until_version(1, 1)
    mine = step["modifications"][0]["value"]
    assert mine and all(t["userId"] == user_id for t in mine)


async def test_bad_admin_key_is_an_auth_error_then_close(sync_sandbox: Sandbox) -> None:
    client = await sync_sandbox.open()
    await client.connect()
    await client.send(
        type="Authenticate", tokenType="Admin", value="convex-self-hosted|01bad", baseVersion=0
    )
    assert await client.recv() == {
        "type": "AuthError",
        "error": BAD_ADMIN_KEY,
        "baseVersion": 0,
        "authUpdateAttempted": True,
    }
    await client.closed()


async def test_user_jwt_fails_without_auth_providers(sync_sandbox: Sandbox) -> None:
    claims = base64.urlsafe_b64encode(json.dumps({"iss": "https://x", "sub": "u"}).encode())
    token = "e30." + claims.decode().rstrip("=") + ".sig"
    client = await sync_sandbox.open()
    await client.connect()
    await client.send(type="Authenticate", tokenType="User", value=token, baseVersion=0)
    message = await client.recv()
    assert message["type"] == "AuthError" and message["error"] == NO_PROVIDERS
    await client.closed()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("{not json", "Received Invalid JSON on websocket: "),
        ('{"type": "Subscribe"}', "Received Invalid JSON on websocket: unknown variant"),
        ('{"type": "Mutation", "requestId": 1, "args": [{}]}', "missing field `udfPath`"),
        (
            '{"type": "ModifyQuerySet", "baseVersion": 1, "newVersion": 2, "modifications": []}',
            "Base version 1 passed up doesn't match the current version 0",
        ),
        (
            '{"type": "Authenticate", "tokenType": "None", "baseVersion": 3}',
            "Identity base version 3 doesn't match the current version 0",
        ),
    ],
)
async def test_fatal_error_then_close(sync_sandbox: Sandbox, frame: str, error: str) -> None:
    client = await sync_sandbox.open()
    await client.connect()
    await client.ws.send_str(frame)
    message = await client.recv()
    assert message["type"] == "FatalError" and error in message["error"]
    await client.closed()


async def test_reconnect_starts_a_fresh_session(sync_sandbox: Sandbox) -> None:
    first = await _authed(sync_sandbox)
    await first.subscribe({0: TASKS})
    await first.send(type="Mutation", requestId=0, udfPath="tasks:create", args=[{"title": "x"}])
    ts = decode_u64((await first.reply())["ts"])
    await first.ws.close()
    again = await sync_sandbox.open()
    again.session_id = first.session_id
    await again.connect(connection_count=1, maxObservedTimestamp=encode_u64(ts))
    await again.send(type="Authenticate", tokenType="Admin", value=sync_sandbox.key, baseVersion=0)
    await again.send(
        type="Mutation", requestId=1, udfPath="tasks:create", args=[{"title": "retried"}]
    )
    # Versions start from zero again on the new socket; the retried mutation is answered.
    await again.send(
        type="ModifyQuerySet",
        baseVersion=0,
        newVersion=1,
        modifications=[{"type": "Add", "queryId": 0, "udfPath": "tasks:list", "args": [{}]}],
    )
    response = await again.reply()
    assert response["type"] == "MutationResponse" and response["success"] is True
    await again.until_version(1, 1)
    while again.ts < decode_u64(response["ts"]):
        await again.transition()
    assert "retried" in [t["title"] for t in again.results[0]["value"]]
    # A client that saw a newer timestamp than the server knows cannot be served.
    ahead = await sync_sandbox.open()
    future = sync_sandbox.server.deployment.current_ts + 10**12
    await ahead.connect(connection_count=2, maxObservedTimestamp=encode_u64(future))
    message = await ahead.recv()
    assert message["type"] == "FatalError" and "ahead of the backend" in message["error"]


async def test_ping_after_silence(sync_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "PING_INTERVAL", 0.2)
    client = await sync_sandbox.open()
    await client.connect()
    await client.send(type="Event", eventType="ClientConnect", event={"marks": []})
    assert await client.recv() == {"type": "Ping"}


async def test_websocket_pings_and_client_timeout(
    sync_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "WS_PING_INTERVAL", 0.05)
    monkeypatch.setattr(sync, "CLIENT_TIMEOUT", 0.4)
    client = await sync_sandbox.open(autoping=False)
    await client.connect()
    msg = await client.ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.PING
    # This client never answers: the server drops it once the timeout has passed.
    while msg.type == aiohttp.WSMsgType.PING:
        msg = await client.ws.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_pongs_keep_a_quiet_client_alive(
    sync_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "WS_PING_INTERVAL", 0.05)
    monkeypatch.setattr(sync, "CLIENT_TIMEOUT", 0.3)
    client = await sync_sandbox.open()  # aiohttp answers pings with pongs
    await client.connect()
    await no_message(client, 0.8)
    await client.subscribe({0: MESSAGES})


async def test_burst_of_commits_converges(sync_sandbox: Sandbox) -> None:
    client = await _authed(sync_sandbox)
    await client.subscribe({1: MESSAGES})
    await asyncio.gather(
        *(
            sync_sandbox.mutation("messages:send", {"body": f"b{i}", "author": "burst"})
            for i in range(10)
        )
    )
    target = sync_sandbox.server.deployment.current_ts
    steps = 0
    while client.ts < target:
        await client.transition()
        steps += 1
    assert 1 <= steps <= 10
    bodies = {m["body"] for m in client.results[1]["value"]}
    assert {f"b{i}" for i in range(10)} <= bodies
