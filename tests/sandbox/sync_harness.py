"""A raw sync-protocol client and a sandbox fixture for the sync tests."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from tui.sandbox.server import SandboxServer
from tui.sandbox.sync_protocol import decode_u64

ZERO_VERSION = {"querySet": 0, "identity": 0, "ts": "AAAAAAAAAAA="}
TIMEOUT = 10.0


@dataclass
class SyncClient:
    """Speaks the protocol frame by frame and checks that Transitions chain exactly."""

    ws: aiohttp.ClientWebSocketResponse
    version: dict[str, Any] = field(default_factory=lambda: dict(ZERO_VERSION))
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    auth_sent: int = 0  # identity version the server should reach

    async def send(self, **message: Any) -> None:
        if message.get("type") == "Authenticate":
            self.auth_sent += 1
        await self.ws.send_str(json.dumps(message))

    async def connect(self, connection_count: int = 0, **extra: Any) -> None:
        await self.send(
            type="Connect",
            sessionId=self.session_id,
            connectionCount=connection_count,
            lastCloseReason="InitialConnect" if connection_count == 0 else "Reconnect",
            clientTs=1,
            **extra,
        )

    async def recv(self) -> dict[str, Any]:
        # wait_for, not receive(timeout=): aiohttp restarts that timeout after every Ping.
        msg = await asyncio.wait_for(self.ws.receive(), TIMEOUT)
        assert msg.type == aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg!r}"
        data = json.loads(msg.data)
        assert isinstance(data, dict)
        return data

    async def closed(self) -> aiohttp.WSMessage:
        msg = await asyncio.wait_for(self.ws.receive(), TIMEOUT)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
        return msg

    async def reply(self) -> dict[str, Any]:
        """The next message that is not a Transition (Transitions are applied on the way)."""
        while True:
            message = await self.recv()
            if message["type"] != "Transition":
                return message
            self.apply(message)

    async def transition(self) -> dict[str, Any]:
        message = await self.recv()
        assert message["type"] == "Transition", message
        self.apply(message)
        return message

    def apply(self, message: dict[str, Any]) -> None:
        assert message["startVersion"] == self.version, (message["startVersion"], self.version)
        assert decode_u64(message["endVersion"]["ts"]) >= decode_u64(self.version["ts"])
        assert isinstance(message["serverTs"], int)
        self.version = message["endVersion"]
        for mod in message["modifications"]:
            if mod["type"] == "QueryRemoved":
                self.results.pop(mod["queryId"], None)
            else:
                self.results[mod["queryId"]] = mod

    async def until_version(self, query_set: int, identity: int = 0) -> list[dict[str, Any]]:
        """Transitions until the client has seen the given query-set and identity versions."""
        seen = []
        while (self.version["querySet"], self.version["identity"]) != (query_set, identity):
            seen.append(await self.transition())
        return seen

    async def subscribe(
        self, queries: dict[int, tuple[str, dict[str, Any]]], base: int = 0
    ) -> list[dict[str, Any]]:
        await self.send(
            type="ModifyQuerySet",
            baseVersion=base,
            newVersion=base + 1,
            modifications=[
                {"type": "Add", "queryId": qid, "udfPath": path, "args": [args], "journal": None}
                for qid, (path, args) in queries.items()
            ],
        )
        return await self.until_version(base + 1, self.auth_sent)

    @property
    def ts(self) -> int:
        return decode_u64(self.version["ts"])


@dataclass
class Sandbox:
    server: SandboxServer
    http: aiohttp.ClientSession
    ws_base: str

    @property
    def key(self) -> str:
        return self.server.admin_key

    async def open(self, path: str = "/api/1.48.0/sync", **kwargs: Any) -> SyncClient:
        ws = await self.http.ws_connect(self.ws_base + path, **kwargs)
        return SyncClient(ws)

    async def mutation(self, path: str, args: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(
            self.server.url + "/api/mutation",
            json={"path": path, "args": args, "format": "json"},
            headers={"Authorization": f"Convex {self.key}"},
        ) as resp:
            body = await resp.json()
            assert resp.status == 200, body
            assert isinstance(body, dict)
            return body


@pytest.fixture
async def sync_sandbox(sandbox: SandboxServer) -> AsyncIterator[Sandbox]:
    """The shared ``sandbox`` fixture (tests/sandbox_fixtures.py) plus an HTTP session."""
    async with aiohttp.ClientSession() as http:
        yield Sandbox(sandbox, http, sandbox.url)


async def no_message(client: SyncClient, seconds: float = 0.3) -> None:
    """Assert that nothing arrives for a short while (absence can only be bounded)."""
    try:
        msg = await asyncio.wait_for(client.ws.receive(), seconds)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message {msg!r}")
