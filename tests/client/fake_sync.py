"""A scripted sync-protocol server (reference §10) with knobs for faults."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.client.scripted import Scripted


def ts64(n: int) -> str:
    return base64.b64encode(n.to_bytes(8, "little")).decode()


@dataclass
class Conn:
    ws: web.WebSocketResponse
    index: int
    received: list[dict[str, Any]] = field(default_factory=list)
    query_set: int = 0
    identity: int = 0
    ts: int = 0
    queries: dict[int, str] = field(default_factory=dict)

    def version(self) -> dict[str, Any]:
        return {"querySet": self.query_set, "identity": self.identity, "ts": ts64(self.ts)}


@dataclass
class FakeSync:
    server: Scripted
    values: dict[str, Any] = field(default_factory=dict)
    conns: list[Conn] = field(default_factory=list)
    clock: int = 1000
    wrong_start_once: bool = False  # next pushed transition gets a bogus startVersion
    drop_after_first_transition: bool = False
    auth_error: bool = False
    connected: asyncio.Condition = field(default_factory=asyncio.Condition)
    headers: list[dict[str, str]] = field(default_factory=list)

    def install(self) -> None:
        self.server.on("GET", "/api/sync", self._handle)

    @property
    def live(self) -> list[Conn]:
        return [c for c in self.conns if not c.ws.closed]

    async def _handle(self, req: web.Request) -> web.StreamResponse:
        self.headers.append(dict(req.headers))
        ws = web.WebSocketResponse()
        await ws.prepare(req)
        conn = Conn(ws, len(self.conns))
        self.conns.append(conn)
        async with self.connected:
            self.connected.notify_all()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            conn.received.append(data)
            await self._on_message(conn, data)
        return ws

    async def _on_message(self, conn: Conn, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        if kind == "Authenticate":
            if self.auth_error:
                await conn.ws.send_json(
                    {
                        "type": "AuthError",
                        "error": "bad key",
                        "baseVersion": 0,
                        "authUpdateAttempted": True,
                    }
                )
                await conn.ws.close()
                return
            await self.transition(conn, identity=conn.identity + 1)
        elif kind == "ModifyQuerySet":
            assert msg["baseVersion"] == conn.query_set, "client skipped a query-set version"
            mods = []
            for m in msg["modifications"]:
                if m["type"] == "Add":
                    conn.queries[m["queryId"]] = m["udfPath"]
                    mods.append(self._update(m["queryId"], m["udfPath"]))
                else:
                    conn.queries.pop(m["queryId"], None)
                    mods.append({"type": "QueryRemoved", "queryId": m["queryId"]})
            await self.transition(conn, mods, query_set=msg["newVersion"])
            if self.drop_after_first_transition and conn.index == 0:
                await conn.ws.close()
        elif kind == "Mutation":
            path = msg["udfPath"]
            if path.endswith(":fail"):
                await conn.ws.send_json(
                    {
                        "type": "MutationResponse",
                        "requestId": msg["requestId"],
                        "success": False,
                        "result": "Uncaught Error: no",
                        "ts": None,
                        "logLines": [],
                    }
                )
                return
            target, value = msg["args"][0]["path"], msg["args"][0]["value"]
            self.clock += 10
            commit = self.clock
            self.values[target] = value
            await conn.ws.send_json(
                {
                    "type": "MutationResponse",
                    "requestId": msg["requestId"],
                    "success": True,
                    "result": None,
                    "ts": ts64(commit),
                    "logLines": ["[LOG] 'set'"],
                }
            )
            await self.push(target)

    def _update(self, qid: int, path: str) -> dict[str, Any]:
        value = self.values.get(path)
        if isinstance(value, Exception):
            return {
                "type": "QueryFailed",
                "queryId": qid,
                "errorMessage": str(value),
                "logLines": [],
                "journal": None,
                "errorData": {"why": "x"},
            }
        return {
            "type": "QueryUpdated",
            "queryId": qid,
            "value": value,
            "logLines": [],
            "journal": None,
        }

    async def transition(
        self,
        conn: Conn,
        mods: list[dict[str, Any]] | None = None,
        *,
        query_set: int | None = None,
        identity: int | None = None,
    ) -> None:
        start = conn.version()
        if self.wrong_start_once and mods and conn.queries and query_set is None:
            self.wrong_start_once = False
            start = {**start, "querySet": start["querySet"] + 7}
        conn.query_set = conn.query_set if query_set is None else query_set
        conn.identity = conn.identity if identity is None else identity
        self.clock += 1
        conn.ts = self.clock
        await conn.ws.send_json(
            {
                "type": "Transition",
                "startVersion": start,
                "endVersion": conn.version(),
                "modifications": mods or [],
                "clientClockSkew": None,
                "serverTs": conn.ts,
            }
        )

    async def push(self, path: str) -> None:
        """Send updates for ``path`` to every connection subscribed to it."""
        for conn in self.live:
            mods = [self._update(qid, p) for qid, p in conn.queries.items() if p == path]
            if mods:
                await self.transition(conn, mods)

    async def wait_conns(self, n: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self.connected:
            await self.connected.wait_for(lambda: len(self.conns) >= n)
