"""The sandbox server: API port + site port, in-process (async) or on a thread."""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiohttp import web
from platformdirs import user_data_dir

from tui.sandbox.deploy import Pushes
from tui.sandbox.deploy_routes import PUSHES_KEY, add_deploy_routes
from tui.sandbox.engine import DEPLOYMENT_KEY, Deployment
from tui.sandbox.files_routes import add_storage_routes
from tui.sandbox.functions import build_registry
from tui.sandbox.functions.demo_misc import bulk_docs, seed_demo
from tui.sandbox.http_routes import (
    LOG_POLL_KEY,
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


def private_files(data_dir: Path, db_file: str) -> None:
    """The database holds deployment env values: 0600 files in a 0700 directory, like the admin
    key file (issue 9, defect 13). SQLite gives its -wal/-shm files the database's mode."""
    os.chmod(data_dir, 0o700)
    db = data_dir / db_file
    os.close(os.open(db, os.O_CREAT | os.O_WRONLY, 0o600))
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            os.chmod(path, 0o600)


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
        self.url = ""
        self.site_url = ""
        self.admin_key = ""
        self.deployment: Deployment
        # Every API request as (method, URL path, function path or ""), newest last: tests
        # assert on it (e.g. that invalid arguments were never sent).
        self.request_log: collections.deque[tuple[str, str, str]] = collections.deque(maxlen=2000)
        self.pushes: Pushes
        self.pushed = False

    @web.middleware
    async def _log_request(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        udf = ""
        # Uploads stream to disk: never buffer (or size-limit) their bodies here.
        upload = request.path.startswith("/api/storage/")
        if (
            request.method == "POST"
            and request.path.startswith("/api/")
            and request.can_read_body
            and not upload
        ):
            try:  # aiohttp caches the body: the handler reads it again
                body = json.loads(await request.read() or b"null")
                udf = str(body.get("path") or "") if isinstance(body, dict) else ""
            except (ValueError, RecursionError):  # malformed bodies are the handler's to refuse
                pass
        self.request_log.append((request.method, request.path, udf))
        return await handler(request)

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
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_files(data_dir, DB_FILE)
        self.data_dir = data_dir
        self.admin_key = self._admin_key or load_or_create_key(data_dir)
        storage = await asyncio.to_thread(Storage, data_dir / DB_FILE, durable=not self.memory)
        registry = build_registry()
        self.deployment = Deployment(
            storage, registry, admin_key=self.admin_key, instance_name=INSTANCE_NAME
        )
        await self.deployment.start()
        self.pushes = Pushes(self.deployment, data_dir, build_registry)
        self.pushed = await self.pushes.restore()
        await self._prepare_data(storage)

        api = web.Application(middlewares=[errors_middleware, self._log_request])
        api[DEPLOYMENT_KEY] = self.deployment
        api[LOG_POLL_KEY] = self.log_poll_seconds
        api[PUSHES_KEY] = self.pushes
        add_api_routes(api)
        add_deploy_routes(api)
        add_storage_routes(api)
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
        schema_tables = list(dep.registry.tables)
        # Fresh = none of the app's tables exist yet (not "ts 0": starting writes system rows).
        fresh = not any(t in storage.tables for t in schema_tables)
        seed = fresh and self.seed == "demo"

        def prepare(w: Any) -> None:
            for t in schema_tables:
                w.ensure_table(t)
            if seed:
                seed_demo(w)

        # One transaction: a kill -9 in the middle leaves the directory fresh, so the
        # next start seeds it again, never "tables made, demo data missing" (issue 9, defect 11).
        await dep.transact(prepare)
        for table, count in self.bulk.items():
            have = await dep.read(functools.partial(_count, storage, table=table))
            if count > have:
                await dep.bulk_insert(table, bulk_docs(table, count - have))

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
        if hasattr(self, "pushes"):
            self.pushes.close()
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
    def request_log(self) -> collections.deque[tuple[str, str, str]]:
        return self.server.request_log

    @property
    def deployment(self) -> Deployment:
        return self.server.deployment

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
