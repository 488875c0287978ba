"""Scheduled functions: the ``_scheduled_functions`` table and the timers that run its jobs.

Jobs are ordinary rows (table number 539, the backend's default for this virtual table) written
in the scheduling mutation's own transaction: a failed mutation schedules nothing, and pending
jobs survive restarts. States follow the backend (``crates/model/src/scheduled_jobs``):
mutations go pending → success (committed with the job's writes) or failed (in a transaction
of its own); actions go pending → inProgress → success | failed; cancel turns pending and
inProgress jobs into canceled. Every terminal state sets ``completedTime``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tui.convex import values
from tui.convex.ids import decode_id, encode_id, new_id
from tui.sandbox.context import QueryCtx, SystemError_
from tui.sandbox.db import Doc, Writer, decode_cursor, encode_cursor
from tui.sandbox.outcome import SYSTEM, Outcome
from tui.sandbox.registry import (
    BadPath,
    FunctionDef,
    Kind,
    Registry,
    bad_path_message,
    parse_udf_path,
)
from tui.sandbox.storage import INSERT_SQL, UPDATE_SQL, Storage, index_keys

if TYPE_CHECKING:
    from tui.sandbox.outcome import Identity

T = TypeVar("T")


class Host(Protocol):
    """What the scheduler needs of its deployment (the engine's ``Deployment``): a protocol,
    so the engine can own a Scheduler without the two modules importing each other."""

    registry: Registry
    storage: Storage

    def resolve(self, path: str) -> FunctionDef | None: ...

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

    async def transact(self, fn: Callable[[Writer], T]) -> T: ...

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
    ) -> Outcome: ...


log = logging.getLogger(__name__)
TABLE = "_scheduled_functions"
TABLE_NUMBER = 539  # DefaultTableNumber::ScheduledJobsVirtual: 512 + 27
JOBS_TABLE = "_scheduled_jobs"
JOBS_TABLE_NUMBER = 530  # DefaultTableNumber::ScheduledJobs: 512 + 18
ACTIVE = ("pending", "inProgress")
TRANSIENT = "Transient error while executing action"
MAX_DELAY_MS = 5 * 366 * 86_400_000
MAX_PAGE = 1000


class JobGone(Exception):
    """The job stopped being pending (canceled) before its mutation could run."""


def canonical(path: str) -> str:
    """``tasks:processTask`` → ``tasks.js:processTask`` (how jobs name their function)."""
    module, name = parse_udf_path(path)
    return f"{module}.js:{name}"


def job_id_for(jobs_id: str) -> str:
    """The ``_scheduled_functions`` id of a ``_scheduled_jobs`` id (same internal id)."""
    return encode_id(TABLE_NUMBER, decode_id(jobs_id).internal_id)


def ensure_table(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT OR IGNORE INTO tables(number, name) VALUES(?, ?)", (TABLE_NUMBER, TABLE))


def load(conn: sqlite3.Connection, job_id: str) -> Doc | None:
    row = conn.execute(
        "SELECT body FROM documents WHERE id=? AND tbl=?", (job_id, TABLE_NUMBER)
    ).fetchone()
    return None if row is None else _decode(row[0])


def _decode(body: str) -> Doc:
    doc: Doc = values.decode(json.loads(body))
    return doc


def _store(w: Writer, doc: Doc) -> None:
    body = json.dumps(values.encode(doc), separators=(",", ":"))
    w.conn.execute(UPDATE_SQL, (body, *index_keys(doc), doc["_id"]))
    w.tracker.written_tables.add(TABLE)
    w.tracker.rows_written += 1
    w.tracker.bytes_written += len(body)


def active_jobs(conn: sqlite3.Connection) -> list[Doc]:
    rows = conn.execute(
        "SELECT body FROM documents WHERE tbl=? AND json_extract(body, '$.state.kind') IN (?, ?)",
        (TABLE_NUMBER, *ACTIVE),
    )
    return [_decode(body) for (body,) in rows]


def transition(w: Writer, job_id: str, expect: tuple[str, ...], state: dict[str, Any]) -> bool:
    """Move a job to ``state`` if it is in one of ``expect``; False when it was not."""
    doc = load(w.conn, job_id)
    if doc is None or doc["state"]["kind"] not in expect:
        return False
    doc["state"] = state
    if state["kind"] not in ACTIVE:
        doc["completedTime"] = time.time() * 1000
    _store(w, {k: doc[k] for k in sorted(doc, key=_field_order)})
    return True


def _field_order(key: str) -> tuple[int, str]:
    return (0 if key == "_id" else 1 if key == "_creationTime" else 2, key)


def _check_target(registry: Registry, path: str) -> str:
    """Scheduling checks only that the function exists; kind and args are checked at run time."""
    try:
        module, name = parse_udf_path(path)
    except BadPath as exc:
        raise SystemError_(bad_path_message(path)) from exc
    if not any(f.module == module and not f.system for f in registry.functions.values()):
        raise SystemError_(f"Attempted to schedule function at nonexistent path: {module}.js")
    fn = registry.lookup(module, name)
    if fn is None or fn.system:
        raise SystemError_(
            f"Attempted to schedule function, but no exported function {name} found in the "
            f"file: {module}.js. Did you forget to export it?"
        )
    return f"{module}.js:{name}"


def insert(w: Writer, registry: Registry, delay_ms: float, path: str, args: Any) -> Doc:
    """Write a pending job inside the caller's transaction (``ctx.scheduler.runAfter``)."""
    name = _check_target(registry, path)
    if not isinstance(delay_ms, int | float) or math.isnan(delay_ms):
        raise SystemError_("Invalid delay: expected a number of milliseconds")
    if delay_ms > MAX_DELAY_MS:
        raise SystemError_(
            f"UnixTimestamp({time.time() + delay_ms / 1000}s) is more than 5 years in the future"
        )
    if not isinstance(args, dict):
        raise SystemError_("The arguments to a Convex function must be an object.")
    try:
        values.encode(args)
    except values.ValueError_ as exc:
        raise SystemError_(str(exc)) from exc
    ctime = w.storage.clock.tick() / 1e6
    job_id = new_id(TABLE_NUMBER)
    doc: Doc = {
        "_id": job_id,
        "_creationTime": ctime,
        "args": [args],
        "name": name,
        "scheduledTime": time.time() * 1000 + float(delay_ms),
        "state": {"kind": "pending"},
    }
    body = json.dumps(values.encode(doc), separators=(",", ":"))
    w.conn.execute(INSERT_SQL, (job_id, TABLE_NUMBER, ctime, body, *index_keys(doc)))
    w.tracker.written_tables.add(TABLE)
    w.tracker.rows_written += 1
    w.tracker.bytes_written += len(body)
    return doc


def error_text(outcome: Outcome) -> str:
    """The job's ``failed.error``: the function's error without the request-id line."""
    text = outcome.error_message or "Unknown error"
    if text.startswith("[Request ID"):
        text = text.split("\n", 1)[-1]
    return text.rstrip("\n")


class Scheduler:
    """Arms one timer per pending job; runs jobs with the system identity."""

    def __init__(self, dep: Host) -> None:
        self._dep = dep
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    async def start(self) -> None:
        def setup(w: Writer) -> list[Doc]:
            ensure_table(w.conn)
            jobs = active_jobs(w.conn)
            # An action caught mid-run by a restart may have run: at most once, so it failed.
            for job in jobs:
                if job["state"]["kind"] == "inProgress":
                    transition(
                        w, job["_id"], ("inProgress",), {"kind": "failed", "error": TRANSIENT}
                    )
            return [j for j in jobs if j["state"]["kind"] == "pending"]

        pending = await self._dep.transact(setup)
        self._dep.storage.publish_tables({TABLE: TABLE_NUMBER})
        for job in pending:
            self.arm(job["_id"], job["scheduledTime"])

    async def stop(self) -> None:
        self._stopped = True
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- called by the engine ---------------------------------------------------------------

    def schedule(
        self, w: Writer, armed: list[tuple[str, float]], delay: float, path: str, args: Any
    ) -> str:
        doc = insert(w, self._dep.registry, delay, path, args)
        armed.append((doc["_id"], doc["scheduledTime"]))
        return str(doc["_id"])

    async def schedule_now(self, delay: float, path: str, args: Any) -> str:
        """``ctx.scheduler.runAfter`` from an action: its own transaction."""
        registry = self._dep.registry
        doc = await self._dep.transact(lambda w: insert(w, registry, delay, path, args))
        self.arm(doc["_id"], doc["scheduledTime"])
        return str(doc["_id"])

    @staticmethod
    def claim(w: Writer, job_id: str) -> None:
        """Start of a scheduled mutation's transaction: the job must still be pending."""
        doc = load(w.conn, job_id)
        if doc is None or doc["state"]["kind"] != "pending":
            raise JobGone(job_id)

    @staticmethod
    def succeed(w: Writer, job_id: str) -> None:
        transition(w, job_id, ("pending",), {"kind": "success"})

    def arm(self, job_id: str, when_ms: float) -> None:
        if self._stopped:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, when_ms / 1000 - time.time())

        def fire() -> None:
            self._timers.pop(job_id, None)
            task = loop.create_task(self._run(job_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        old = self._timers.pop(job_id, None)
        if old is not None:
            old.cancel()
        self._timers[job_id] = loop.call_later(delay, fire)

    # --- running ----------------------------------------------------------------------------

    async def _run(self, job_id: str) -> None:
        dep = self._dep
        job = await dep.read(lambda conn: load(conn, job_id))
        if job is None or job["state"]["kind"] != "pending":
            return
        name, args = job["name"], job["args"][0] if job["args"] else {}
        fn = dep.resolve(name)
        if fn is not None and fn.kind == "query":
            message = (
                f'Unsupported function type. "{fn.name}" in module "{fn.module}.js" is defined '
                "as a Query. Only Mutation and Action can be scheduled."
            )
            await self._finish(job_id, ("pending",), message)
            return
        if fn is not None and fn.kind == "action":
            started = await dep.transact(
                lambda w: transition(w, job_id, ("pending",), {"kind": "inProgress"})
            )
            if not started:
                return
            outcome = await dep.run_function(
                name, args, identity=SYSTEM, kind=None, caller="Scheduler", trusted=True
            )
            await self._finish(
                job_id, ("inProgress",), None if outcome.success else error_text(outcome)
            )
            return
        # Mutations (or a function that vanished): success commits with the job's writes.
        outcome = await dep.run_function(
            name, args, identity=SYSTEM, kind=None, caller="Scheduler", trusted=True, job=job_id
        )
        if not outcome.success:  # a no-op when the job was canceled meanwhile (JobGone)
            await self._finish(job_id, ("pending",), error_text(outcome))

    async def _finish(self, job_id: str, expect: tuple[str, ...], error: str | None) -> None:
        state = {"kind": "success"} if error is None else {"kind": "failed", "error": error}
        await self._dep.transact(lambda w: transition(w, job_id, expect, state))

    # --- cancel -----------------------------------------------------------------------------

    async def cancel(self, job_id: str) -> bool:
        """Cancel one job (a ``_scheduled_functions`` id); False if it had already finished."""
        done = await self._dep.transact(
            lambda w: transition(w, job_id, ACTIVE, {"kind": "canceled"})
        )
        handle = self._timers.pop(job_id, None)
        if handle is not None:
            handle.cancel()
        return done

    async def cancel_all(self, udf_path: str | None) -> int:
        def body(w: Writer) -> list[str]:
            ids = [
                j["_id"] for j in active_jobs(w.conn) if udf_path is None or j["name"] == udf_path
            ]
            return [i for i in ids if transition(w, i, ACTIVE, {"kind": "canceled"})]

        canceled = await self._dep.transact(body)
        for job_id in canceled:
            handle = self._timers.pop(job_id, None)
            if handle is not None:
                handle.cancel()
        return len(canceled)


# --- _system/frontend/paginatedScheduledJobs -----------------------------------------------------


def system_doc(job: Doc) -> Doc:
    """A job as the backend's ``_scheduled_jobs`` document (``SerializedScheduledJob``)."""
    state = {"type" if k == "kind" else k: v for k, v in job["state"].items()}
    scheduled_ns = values.Int64(int(job["scheduledTime"] * 1e6))
    completed = job.get("completedTime")
    return {
        "_id": encode_id(JOBS_TABLE_NUMBER, decode_id(job["_id"]).internal_id),
        "_creationTime": job["_creationTime"],
        "attempts": {"occErrors": 0.0, "systemErrors": 0.0},
        "completedTs": None if completed is None else values.Int64(int(completed * 1e6)),
        "component": "",
        "nextTs": scheduled_ns if state["type"] in ACTIVE else None,
        "originalScheduledTs": scheduled_ns,
        "state": state,
        "udfArgs": json.dumps(values.encode(job["args"]), separators=(",", ":")).encode(),
        "udfPath": job["name"],
    }


def paginated_jobs(ctx: QueryCtx, num: int, cursor: str | None, udf_path: str | None) -> Doc:
    """Pending and in-progress jobs by ascending next run time (``by_next_ts``)."""
    ctx.db.tracker.read_tables.add(TABLE)
    position = decode_cursor(cursor) if cursor else None
    if position == "end":
        return {"page": [], "isDone": True, "continueCursor": encode_cursor(None, end=True)}
    where = ["tbl=?", "json_extract(body, '$.state.kind') IN (?, ?)"]
    params: list[Any] = [TABLE_NUMBER, *ACTIVE]
    if udf_path is not None:
        where.append("json_extract(body, '$.name') = ?")
        params.append(udf_path)
    if position is not None:
        where.append("(json_extract(body, '$.scheduledTime'), id) > (?, ?)")
        params.extend(position)
    rows = ctx.db.conn.execute(
        f"SELECT body FROM documents WHERE {' AND '.join(where)} "
        "ORDER BY json_extract(body, '$.scheduledTime'), id LIMIT ?",
        [*params, num + 1],
    ).fetchall()
    jobs = [_decode(body) for (body,) in rows]
    ctx.db.tracker.rows_read += len(jobs)
    done = len(jobs) <= num
    jobs = jobs[:num]
    last = (float(jobs[-1]["scheduledTime"]), str(jobs[-1]["_id"])) if jobs else position
    return {
        "page": [system_doc(j) for j in jobs],
        "isDone": done,
        "continueCursor": encode_cursor(last, end=done and last is None),
    }


def register(reg: Registry) -> None:
    from tui.convex.validators import v
    from tui.sandbox.system_cli import COMPONENT, PAGINATION, page_size

    @reg.query(
        "_system/frontend/paginatedScheduledJobs",
        args=v.object(
            paginationOpts=PAGINATION, udfPath=v.optional(v.string()), componentId=COMPONENT
        ),
    )
    def paginated(ctx: QueryCtx, args: dict[str, Any]) -> Doc:
        opts = args["paginationOpts"]
        size = min(page_size(opts), MAX_PAGE)
        return paginated_jobs(ctx, size, opts.get("cursor"), args.get("udfPath"))
