"""A tiny loopback server whose answers each test scripts (aiohttp, 127.0.0.1, port 0)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass
class Scripted:
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def on(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def json(self, method: str, path: str, body: Any, status: int = 200) -> None:
        async def handler(_: web.Request) -> web.StreamResponse:
            return web.json_response(body, status=status)

        self.on(method, path, handler)

    def udf(self, path: str, value: Any, endpoint: str = "/api/query") -> None:
        """Answer a function call on ``endpoint`` for ``path`` (other paths: not found)."""
        self.udf_table.setdefault(endpoint, {})[path] = value

        async def handler(req: web.Request) -> web.StreamResponse:
            body = await req.json()
            table = self.udf_table[endpoint]
            if body["path"] not in table:
                return web.json_response(
                    {
                        "status": "error",
                        "errorMessage": f"Could not find public function for '{body['path']}'.",
                    }
                )
            answer = table[body["path"]]
            if callable(answer):
                answer = answer(body)
            return web.json_response({"status": "success", "value": answer})

        self.on("POST", endpoint, handler)

    def __post_init__(self) -> None:
        self.udf_table: dict[str, dict[str, Any]] = {}

    async def _dispatch(self, req: web.Request) -> web.StreamResponse:
        raw = await req.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        self.seen.append(Seen(req.method, req.path, dict(req.headers), dict(req.query), body))
        handler = self.routes.get((req.method, req.path))
        if handler is None:
            return web.Response(status=404)
        return await handler(req)

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def wait_for(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    """Bounded polling for state that has no event to await (e.g. a server-side counter)."""
    async with asyncio.timeout(timeout):
        while not pred():  # noqa: ASYNC110 - nothing to await for these
            await asyncio.sleep(0.01)
