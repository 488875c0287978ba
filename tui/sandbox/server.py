"""The sandbox server: API port + site port, in-process (async) or on a thread."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Literal

from aiohttp import web
from platformdirs import user_data_dir

from tui.sandbox.engine import DEPLOYMENT_KEY, Deployment
from tui.sandbox.functions import build_registry
from tui.sandbox.functions.demo_misc import bulk_docs, seed_demo
from tui.sandbox.http_routes import (
    LOG_POLL_KEY,
    Handler,
    add_api_routes,
    add_site_routes,
    errors_middleware,
)
from tui.sandbox.storage import Storage

log = logging.getLogger(__name__)
INSTANCE_NAME = "convex-self-hosted"
KEY_FILE = "admin_key"
DB_FILE = "db.sqlite3"
__all__ = ["DEPLOYMENT_KEY", "SandboxServer", "SandboxThread", "default_data_dir"]


def default_data_dir() -> Path:
    return Path(user_data_dir("convex-tui")) / "sandbox"


def generate_admin_key(instance_name: str = INSTANCE_NAME) -> str:
    """Shaped like a real self-hosted key: ``<name>|01<hex>``."""
    return f"{instance_name}|01{secrets.token_hex(48)}"


def load_or_create_key(data_dir: Path) -> str:
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    key = generate_admin_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def parse_bulk(items: list[str] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items or []:
        table, sep, count = item.partition("=")
        if not sep or not count.isdigit():
            raise ValueError(f"--bulk expects TABLE=N, got {item!r}")
        out[table] = int(count)
    return out


class SandboxServer:
    """A whole sandbox deployment on loopback ports. ``async with SandboxServer() as s: ...``"""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        site_port: int = 0,
        data_dir: Path | None = None,
        memory: bool = False,
        admin_key: str | None = None,
        seed: Literal["demo", "empty"] = "demo",
        bulk: dict[str, int] | None = None,
        log_poll_seconds: float = 60.0,
    ) -> None:
        self.host = host
        self._port = port
        self._site_port = site_port
        self.memory = memory
        self.data_dir = data_dir
        self._admin_key = admin_key
        self.seed = seed
        self.bulk = bulk or {}
        self.log_poll_seconds = log_poll_seconds
        self._tmp: Path | None = None
        self._runners: list[web.AppRunner] = []
        # (method, path) of every API request, oldest first: tests assert what was (not) sent.
        self.request_log: list[tuple[str, str]] = []
        self.url = ""
        self.site_url = ""
        self.admin_key = ""
        self.deployment: Deployment

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        if self.memory:
            self._tmp = Path(tempfile.mkdtemp(prefix="convex-sandbox-"))
            data_dir = self._tmp
        else:
            data_dir = self.data_dir or default_data_dir()
            data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.admin_key = self._admin_key or load_or_create_key(data_dir)
        storage = await asyncio.to_thread(Storage, data_dir / DB_FILE, durable=not self.memory)
        registry = build_registry()
        self.deployment = Deployment(
            storage, registry, admin_key=self.admin_key, instance_name=INSTANCE_NAME
        )
        await self.deployment.start()
        await self._prepare_data(storage)

        api = web.Application(middlewares=[self._log_request, errors_middleware])
        api[DEPLOYMENT_KEY] = self.deployment
        api[LOG_POLL_KEY] = self.log_poll_seconds
        add_api_routes(api)
        site = web.Application(middlewares=[errors_middleware])
        site[DEPLOYMENT_KEY] = self.deployment
        add_site_routes(site)
        api_port = await self._serve(api, self._port)
        site_port = await self._serve(site, self._site_port)
        self.url = f"http://{self.host}:{api_port}"
        self.site_url = f"http://{self.host}:{site_port}"
        self.deployment.cloud_url = self.url
        self.deployment.site_url = self.site_url
        registry.info.update(cloud_url=self.url, site_url=self.site_url)

    async def _prepare_data(self, storage: Storage) -> None:
        dep = self.deployment
        fresh = storage.initial_ts == 0
        schema_tables = list(dep.registry.tables)
        await dep.transact(lambda w: [w.ensure_table(t) for t in schema_tables])
        if fresh and self.seed == "demo":
            await dep.transact(seed_demo)
        for table, count in self.bulk.items():
            have = await dep.read(functools.partial(_count, storage, table=table))
            if count > have:
                await dep.bulk_insert(table, bulk_docs(table, count - have))

    @web.middleware
    async def _log_request(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.request_log.append((request.method, request.path))
        return await handler(request)

    async def _serve(self, app: web.Application, port: int) -> int:
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, self.host, port)
        await site.start()
        # One site per runner, so its address holds the port the OS picked for port=0.
        return int(runner.addresses[0][1])

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        if hasattr(self, "deployment"):
            await self.deployment.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _count(storage: Storage, conn: sqlite3.Connection, table: str) -> int:
    number = storage.table_number(table)
    if number is None:
        return 0
    return int(conn.execute("SELECT count(*) FROM documents WHERE tbl=?", (number,)).fetchone()[0])


class SandboxThread:
    """A :class:`SandboxServer` on its own event loop thread, for synchronous code and tests."""

    def __init__(self, **kwargs: object) -> None:
        self.server = SandboxServer(**kwargs)  # type: ignore[arg-type]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sandbox", daemon=True)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def site_url(self) -> str:
        return self.server.site_url

    @property
    def admin_key(self) -> str:
        return self.server.admin_key

    @property
    def deployment(self) -> Deployment:
        return self.server.deployment

    @property
    def request_log(self) -> list[tuple[str, str]]:
        return self.server.request_log

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def start(self) -> SandboxThread:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(60)
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> SandboxThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
