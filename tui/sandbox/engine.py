"""The sandbox deployment: runs functions against SQLite without blocking the event loop.

Queries run on a small reader pool (one connection per thread, one snapshot per query);
mutations run one at a time on a dedicated writer thread, one transaction each, committed
(fsynced) before the caller hears about it. Actions and HTTP actions run on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aiohttp import web

from tui.convex import values
from tui.sandbox import env as env_store
from tui.sandbox.context import (
    ActionCtx,
    Console,
    ConvexError,
    MutationCtx,
    QueryCtx,
)
from tui.sandbox.db import Reader, Tracker, Writer
from tui.sandbox.files import FileStore
from tui.sandbox.logs import LogRing
from tui.sandbox.outcome import (
    NONE as NONE,
)
from tui.sandbox.outcome import (
    SYSTEM,
    ArgError,
    Exec,
    Identity,
    NestedFailure,
    Outcome,
    failure,
    make_outcome,
    server_error,
)
from tui.sandbox.registry import BadPath, FunctionDef, Kind, Registry, bad_path_message
from tui.sandbox.registry import parse_udf_path as parse_udf_path
from tui.sandbox.scheduler import JobGone, Scheduler
from tui.sandbox.storage import Storage

__all__ = [
    "DEPLOYMENT_KEY",
    "NONE",
    "SYSTEM",
    "Deployment",
    "Identity",
    "Outcome",
    "parse_udf_path",
    "server_error",
]
log = logging.getLogger(__name__)
T = TypeVar("T")
ENV_TABLE = "_environment_variables"
VERSION = "1.27.0-sandbox"


class Deployment:
    """One sandbox deployment. Create, ``await start()``, use, ``await stop()``."""

    def __init__(
        self,
        storage: Storage,
        registry: Registry,
        *,
        admin_key: str,
        instance_name: str = "convex-self-hosted",
        cloud_url: str = "",
        site_url: str = "",
        readers: int = 4,
    ) -> None:
        self.storage = storage
        self.registry = registry
        self.instance_name = instance_name
        self.cloud_url = cloud_url
        self.site_url = site_url
        self.logs = LogRing()
        self._admin_key = admin_key
        self._current_ts = storage.initial_ts
        self._listeners: list[Callable[[int, frozenset[str]], None]] = []
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sandbox-writer")
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="sandbox-reader")
        self.scheduler = Scheduler(self)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.env: dict[str, str] = {}
        self.files = FileStore(storage)

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.write(lambda _conn: self.files.setup())
        self.env = await self.write(env_store.load)
        await self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        with self._conns_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()

    # --- public surface --------------------------------------------------------------------

    def check_admin_key(self, key: str) -> bool:
        return secrets.compare_digest(key.encode(), self._admin_key.encode())

    @property
    def current_ts(self) -> int:
        return self._current_ts

    def add_commit_listener(self, cb: Callable[[int, frozenset[str]], None]) -> Callable[[], None]:
        """``cb(ts, written_tables)`` runs on the event loop after every commit, in ts order,
        before the committing ``run_function``/``update_env`` call returns."""
        self._listeners.append(cb)

        def unsubscribe() -> None:
            if cb in self._listeners:
                self._listeners.remove(cb)

        return unsubscribe

    def _committed(self, ts: int, tables: frozenset[str]) -> None:
        if ts > self._current_ts:
            self._current_ts = ts
        for cb in list(self._listeners):
            try:
                cb(ts, tables)
            except Exception:
                log.exception("commit listener failed")

    # --- thread plumbing ---------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.storage.connect()
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` on the writer thread (it manages its own transaction)."""
        return await asyncio.get_running_loop().run_in_executor(
            self._writer, lambda: fn(self._conn())
        )

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._readers, lambda: fn(self._conn())
        )

    async def transact(
        self, fn: Callable[[Writer], T], after_commit: Callable[[T], None] | None = None
    ) -> T:
        """Run ``fn(writer)`` in one write transaction (seeding, tooling), then notify.
        ``after_commit(value)`` runs on the writer thread before any other write can start."""

        def body(conn: sqlite3.Connection) -> tuple[T, int, Tracker]:
            tracker = Tracker()
            conn.execute("BEGIN IMMEDIATE")
            try:
                value = fn(Writer(self.storage, conn, tracker, self._schemas()))
                ts = self.storage.clock.tick()
                Storage.write_ts(conn, ts)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                self.files.finish(tracker, committed=False)
                raise
            self.files.finish(tracker, committed=True)
            self.storage.publish_tables(tracker.created_tables)
            if after_commit is not None:
                after_commit(value)
            return value, ts, tracker

        value, ts, tracker = await self.write(body)
        self._committed(ts, frozenset(tracker.written_tables | set(tracker.created_tables)))
        return value

    async def bulk_insert(self, table: str, docs: list[dict[str, Any]]) -> None:
        ts = await self.write(lambda conn: self.storage.bulk_insert(conn, table, docs))
        self._committed(ts, frozenset({table}))

    # --- env vars ---------------------------------------------------------------------------

    def _env_get(self, tracker: Tracker) -> Callable[[str], str | None]:
        def get(name: str) -> str | None:
            if name == "CONVEX_CLOUD_URL":  # built-ins: the deployment's own URLs
                return self.cloud_url or None
            if name == "CONVEX_SITE_URL":
                return self.site_url or None
            tracker.read_tables.add(ENV_TABLE)
            return self.env.get(name)

        return get

    async def update_env(self, changes: list[tuple[str, str | None]]) -> None:
        """Apply validated changes in one transaction, then notify listeners."""
        ts = self.storage.clock
        new_ts, new_env = await self.write(lambda c: env_store.apply(c, changes, ts))
        self.env = new_env
        self._committed(new_ts, frozenset({ENV_TABLE}))

    async def env_docs(self) -> list[dict[str, Any]]:
        return await self.read(env_store.docs)

    # --- running functions ---------------------------------------------------------------------

    def resolve(self, path: str) -> FunctionDef | None:
        try:
            return self.registry.lookup(*parse_udf_path(path))
        except BadPath:
            return None

    async def run_function(
        self,
        path: str,
        args: dict[str, Any],
        *,
        identity: Identity,
        kind: Kind | None,
        caller: str,
        request_id: str | None = None,
        parent_execution_id: str | None = None,
        trusted: bool = False,
        job: str | None = None,
        journal: str | None = None,
    ) -> Outcome:
        """Run one function; function errors come back as ``success=False``, never raised.

        ``trusted`` lets actions call internal functions whatever their identity. ``job`` is
        the scheduled job a mutation runs for: marked success in the mutation's transaction.
        ``journal`` is what the query's previous run left (a subscription's page end).
        """
        rid = request_id or secrets.token_hex(8)
        try:
            module, name = parse_udf_path(path)
        except BadPath:
            return failure(rid, bad_path_message(path))
        fn = self.registry.lookup(module, name)
        stripped = module if name == "default" else f"{module}:{name}"
        visible = fn is not None and (
            identity.privileged or trusted or (not fn.internal and not fn.system)
        )
        if fn is None or not visible:
            if kind is None:  # /api/function and /api/run answer like `any_udf`
                return failure(
                    rid,
                    f"Could not find function for '{stripped}'. Did you forget to run "
                    "`npx convex dev`?",
                )
            return failure(
                rid,
                f"Could not find public function for '{stripped}'. Did you forget to run "
                "`npx convex dev` or `npx convex deploy`?",
            )
        if kind is not None and fn.kind != kind:
            return failure(
                rid,
                f"Trying to execute {module}.js:{name} as {kind.capitalize()}, but it is "
                f"defined as {fn.udf_type}.",
                udf_type=fn.udf_type,
            )
        started = time.time()
        execution_id = str(uuid.uuid4())
        result = Exec()
        console = Console()
        if fn.args is not None:
            try:
                fn.args.check(args)
            except Exception as exc:
                result.error = ArgError(str(exc))
        if result.error is None:
            if fn.kind == "query":
                result = await asyncio.get_running_loop().run_in_executor(
                    self._readers, self._run_query_sync, fn, args, identity, console, journal
                )
            elif fn.kind == "mutation":
                result = await asyncio.get_running_loop().run_in_executor(
                    self._writer, self._run_mutation_sync, fn, args, identity, console, job
                )
                if isinstance(result.error, JobGone):  # canceled before it ran: no execution
                    return failure(rid, "The scheduled function was canceled")
            else:
                result = await self._run_action(fn, args, identity, console, rid, execution_id)
        if result.ts is not None and fn.kind == "mutation" and result.error is None:
            self._committed(result.ts, frozenset(result.tracker.written_tables))
            for job_id, when in result.scheduled:
                self.scheduler.arm(job_id, when)
        outcome = make_outcome(fn, rid, result, [ln.plain() for ln in console.lines])
        if not fn.system:  # like the backend, system functions stay out of the log stream
            self.logs.record(
                fn, outcome, result.tracker, tuple(console.lines), caller, started,
                execution_id, parent_execution_id, identity,
            )  # fmt: skip
        return outcome

    def _run_query_sync(
        self,
        fn: FunctionDef,
        args: dict[str, Any],
        identity: Identity,
        console: Console,
        journal: str | None = None,
    ) -> Exec:
        conn = self._conn()
        result = Exec()
        result.tracker.journal_in = journal
        conn.execute("BEGIN")
        try:
            result.ts = Storage.read_ts(conn)  # also pins the snapshot
            ctx = QueryCtx(
                Reader(self.storage, conn, result.tracker),
                identity.user,
                console,
                self._env_get(result.tracker),
                lambda: dict(self.env),
            )
            result.value = fn.handler(ctx, args)
            values.encode(result.value)
        except Exception as exc:
            result.error = exc
        finally:
            conn.execute("ROLLBACK")
        return result

    def _run_mutation_sync(
        self,
        fn: FunctionDef,
        args: dict[str, Any],
        identity: Identity,
        console: Console,
        job: str | None = None,
    ) -> Exec:
        conn = self._conn()
        result = Exec()
        conn.execute("BEGIN IMMEDIATE")
        try:
            writer = Writer(self.storage, conn, result.tracker, self._schemas())
            if job is not None:
                self.scheduler.claim(writer, job)
            ctx = MutationCtx(
                writer,
                identity.user,
                console,
                self._env_get(result.tracker),
                lambda: dict(self.env),
                lambda delay, path, a: self.scheduler.schedule(
                    writer, result.scheduled, delay, path, a
                ),
            )
            result.value = fn.handler(ctx, args)
            values.encode(result.value)
            if job is not None:
                self.scheduler.succeed(writer, job)
            ts = self.storage.clock.tick()
            Storage.write_ts(conn, ts)
            conn.execute("COMMIT")
            result.ts = ts
            self.files.finish(result.tracker, committed=True)
            self.storage.publish_tables(result.tracker.created_tables)
        except Exception as exc:
            conn.execute("ROLLBACK")
            self.files.finish(result.tracker, committed=False)
            result.error = exc
            result.scheduled.clear()
        return result

    def _schemas(self) -> dict[str, Any]:
        return {name: t.document for name, t in self.registry.tables.items()}

    async def _run_action(
        self,
        fn: FunctionDef,
        args: dict[str, Any],
        identity: Identity,
        console: Console,
        rid: str,
        execution_id: str,
    ) -> Exec:
        result = Exec()
        udf_type = fn.udf_type

        def progress(line: Any) -> None:
            # Actions stream their console output as Progress entries (§7.2).
            self.logs.push(
                time.time(),
                {
                    "kind": "Progress",
                    "udfType": udf_type,
                    "componentPath": None,
                    "identifier": fn.identifier,
                    "requestId": rid,
                    "executionId": execution_id,
                },
                (line,),
            )

        console.on_line = progress

        def runner(kind: Kind) -> Callable[[str, dict[str, Any]], Any]:
            async def run(path: str, a: dict[str, Any]) -> Any:
                out = await self.run_function(
                    path,
                    a,
                    identity=identity,
                    kind=kind,
                    caller="Action",
                    request_id=rid,
                    parent_execution_id=execution_id,
                    trusted=True,
                )
                if not out.success:
                    if out.has_error_data:
                        raise ConvexError(out.error_data)
                    raise NestedFailure(out)
                return out.value

            return run

        ctx = ActionCtx(
            identity.user,
            console,
            self._env_get(result.tracker),
            runner("query"),
            runner("mutation"),
            runner("action"),
            self.scheduler.schedule_now,
        )
        try:
            result.value = await fn.handler(ctx, args)
            values.encode(result.value)
        except Exception as exc:
            result.error = exc
        return result


DEPLOYMENT_KEY: web.AppKey[Deployment] = web.AppKey("deployment", Deployment)
