"""Sync protocol message shapes: parsing like the backend's serde structs, u64s, chunks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sandbox.sync_harness import Sandbox, sync_sandbox
from tui.sandbox import sync_protocol as proto

__all__ = ["sync_sandbox"]
SESSION = "2f6e1a4c-5a0b-4a53-9d4e-2a7d7f3c9b10"


def test_u64_is_little_endian_base64() -> None:
    assert proto.encode_u64(0) == "AAAAAAAAAAA="
    assert proto.encode_u64(1) == "AQAAAAAAAAA="
    assert proto.decode_u64("AQAAAAAAAAA=") == 1
    with pytest.raises(proto.ProtocolError):
        proto.decode_u64("AQAA")


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_u64_round_trip(value: int) -> None:
    assert proto.decode_u64(proto.encode_u64(value)) == value


def test_parses_what_the_js_client_sends() -> None:
    connect = proto.parse_client_message(
        json.dumps(
            {
                "type": "Connect",
                "sessionId": SESSION,
                "connectionCount": 2,
                "lastCloseReason": "InitialConnect",
                "clientTs": 1700000000000,
                "maxObservedTimestamp": proto.encode_u64(42),
            }
        )
    )
    assert connect == proto.Connect(SESSION, 2, "InitialConnect", 42, 1700000000000)
    mqs = proto.parse_client_message(
        json.dumps(
            {
                "type": "ModifyQuerySet",
                "baseVersion": 0,
                "newVersion": 1,
                "modifications": [
                    {"type": "Add", "queryId": 3, "udfPath": "tasks:list", "args": [{}]},
                    {"type": "Remove", "queryId": 1},
                ],
            }
        )
    )
    assert mqs == proto.ModifyQuerySet(
        0, 1, (proto.AddQuery(3, "tasks:list", [{}], None, None), proto.RemoveQuery(1))
    )
    auth = proto.parse_client_message(
        json.dumps(
            {
                "type": "Authenticate",
                "tokenType": "Admin",
                "value": "k",
                "baseVersion": 0,
                "impersonating": {"issuer": "https://i", "subject": "s"},
            }
        )
    )
    assert isinstance(auth, proto.Authenticate)
    assert auth.acting_as == {
        "issuer": "https://i",
        "subject": "s",
        "tokenIdentifier": "https://i|s",
    }


@pytest.mark.parametrize(
    ("message", "needle"),
    [
        ({"type": "Connect", "sessionId": "nope", "connectionCount": 0}, "invalid sessionId"),
        ({"type": "Connect", "sessionId": SESSION}, "missing field `connectionCount`"),
        ({"type": "Mutation", "requestId": -1, "udfPath": "a:b", "args": []}, "u32"),
        ({"type": "Action", "requestId": 1, "udfPath": "a:b"}, "missing field `args`"),
        ({"type": "Mutation", "requestId": 1, "udfPath": "a.ts:b", "args": []}, "path"),
        ({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1}, "`modifications`"),
        ({"type": "Authenticate", "baseVersion": 0, "tokenType": "Bearer"}, "unknown variant"),
        (
            {
                "type": "Authenticate",
                "baseVersion": 0,
                "tokenType": "Admin",
                "value": "k",
                "acting_as": {"name": "no subject"},
            },
            "tokenIdentifier",
        ),
        ({"type": "Event", "eventType": "x"}, "missing field `event`"),
        ([1, 2], "expected an object"),
    ],
)
def test_rejects_malformed_messages(message: Any, needle: str) -> None:
    with pytest.raises(proto.ProtocolError, match=None) as info:
        proto.parse_client_message(json.dumps(message))
    assert needle in str(info.value)


def test_server_message_shapes() -> None:
    ok = proto.request_response("mutation", 4, True, "id", 7, ["[LOG] 'x'"], None, False)
    assert ok == {
        "type": "MutationResponse",
        "requestId": 4,
        "success": True,
        "result": "id",
        "ts": proto.encode_u64(7),
        "logLines": ["[LOG] 'x'"],
    }
    failed = proto.request_response("action", 5, False, "boom", None, [], {"a": 1}, True)
    assert failed == {
        "type": "ActionResponse",
        "requestId": 5,
        "success": False,
        "result": "boom",
        "logLines": [],
        "errorData": {"a": 1},
    }
    assert proto.query_failed(1, "m", [], None, False) == {
        "type": "QueryFailed",
        "queryId": 1,
        "errorMessage": "m",
        "logLines": [],
        "journal": None,
    }


def test_split_transition_keeps_utf8_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proto, "MAX_MESSAGE_SIZE", 7)
    text = json.dumps({"s": "é€😀" * 5}, ensure_ascii=False)
    chunks = proto.split_transition(text)
    assert len(chunks) > 1
    assert "".join(c["chunk"] for c in chunks) == text
    assert all(len(c["chunk"].encode()) <= 7 for c in chunks)
    assert [c["partNumber"] for c in chunks] == list(range(len(chunks)))
    assert {c["transitionId"] for c in chunks} == {str(len(text.encode()))}


async def _first_frames(sync_sandbox: Sandbox, path: str) -> list[dict[str, Any]]:
    client = await sync_sandbox.open(path)
    await client.connect()
    await client.send(
        type="ModifyQuerySet",
        baseVersion=0,
        newVersion=1,
        modifications=[{"type": "Add", "queryId": 0, "udfPath": "tasks:list", "args": [{}]}],
    )
    frames = [await client.recv()]
    while frames[-1]["type"] == "TransitionChunk" and (
        frames[-1]["partNumber"] + 1 < frames[-1]["totalParts"]
    ):
        frames.append(await client.recv())
    await client.ws.close()
    return frames


async def test_large_transitions_are_chunked_for_new_npm_clients_only(
    sync_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proto, "MAX_MESSAGE_SIZE", 4096)
    chunked = await _first_frames(sync_sandbox, "/api/1.48.0/sync")
    assert len(chunked) > 1 and {f["type"] for f in chunked} == {"TransitionChunk"}
    whole = json.loads("".join(f["chunk"] for f in chunked))
    assert whole["type"] == "Transition" and whole["endVersion"]["querySet"] == 1
    for path in ("/api/1.27.0/sync", "/api/sync"):
        (plain,) = await _first_frames(sync_sandbox, path)
        assert plain["type"] == "Transition"


async def test_bad_client_version_in_path_is_a_400(sync_sandbox: Sandbox) -> None:
    async with sync_sandbox.http.get(sync_sandbox.server.url + "/api/banana/sync") as resp:
        assert resp.status == 400
        assert (await resp.json())["code"] == "InvalidClientVersion"
