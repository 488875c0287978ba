"""Value types shared by the engine, the HTTP layer and sync: identities, outcomes, errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from tui.sandbox.context import ConvexError, SystemError_, UserError
from tui.sandbox.db import Tracker
from tui.sandbox.registry import FunctionDef

log = logging.getLogger("tui.sandbox.engine")


@dataclass(frozen=True)
class Identity:
    """Who runs a function. ``kind="admin"`` with ``user`` set means acting as that user."""

    kind: Literal["none", "admin", "user", "system"]
    user: dict[str, Any] | None = None

    @property
    def privileged(self) -> bool:
        """Admin and system identities may run internal and ``_system`` functions."""
        return self.kind in ("admin", "system")

    @property
    def identity_type(self) -> str:
        if self.kind == "admin":
            return "ActingUser" if self.user else "InstanceAdmin"
        return {"none": "Unknown", "user": "User", "system": "System"}[self.kind]


NONE = Identity("none")
SYSTEM = Identity("system")


@dataclass(frozen=True)
class Outcome:
    success: bool
    value: Any
    error_message: str | None
    error_data: Any
    has_error_data: bool
    log_lines: list[str]
    read_tables: frozenset[str]
    commit_ts: int | None
    request_id: str
    snapshot_ts: int | None = None  # ts of the snapshot a query read (None for actions)
    udf_type: str | None = None  # "Query" | "Mutation" | "Action" when the function exists
    journal: str | None = None  # a query's journal (its page's end cursor) for the next run


@dataclass
class Exec:
    """Result of running a function body, success or not."""

    value: Any = None
    error: BaseException | None = None
    tracker: Tracker = field(default_factory=Tracker)
    ts: int | None = None
    scheduled: list[tuple[str, float]] = field(default_factory=list)  # (job id, time in ms)


def server_error(request_id: str, body: str) -> str:
    # The backend's JsError formatting always ends the message with a newline (errors.rs).
    if not body.endswith("\n"):
        body += "\n"
    return f"[Request ID: {request_id}] Server Error\n{body}"


def error_body(fn: FunctionDef | None, exc: BaseException) -> str:
    where = f"    at handler (../convex/{fn.module}.ts:{fn.lineno}:{9})\n" if fn else ""
    if isinstance(exc, ConvexError):
        return f"Uncaught ConvexError: {exc.message}\n{where}"
    if isinstance(exc, UserError | SystemError_):
        message = exc.message if isinstance(exc, UserError) else str(exc)
        return f"Uncaught Error: {message}\n{where}"
    if isinstance(exc, NestedFailure):
        return exc.body
    log.exception("sandbox function crashed", exc_info=exc)
    return f"Uncaught Error: {type(exc).__name__}: {exc}\n{where}"


class NestedFailure(Exception):
    """A runQuery/runMutation from an action failed; the action fails with the same text."""

    def __init__(self, outcome: Outcome) -> None:
        text = outcome.error_message or ""
        self.body = text.split("\n", 1)[1] if text.startswith("[Request ID") else text
        super().__init__(self.body)


class ArgError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.body = f"ArgumentValidationError: {message}\n"


def failure(rid: str, body: str, udf_type: str | None = None) -> Outcome:
    """An error outcome for a function that never ran (bad path, not found, wrong kind)."""
    return Outcome(
        success=False, value=None, error_message=server_error(rid, body), error_data=None,
        has_error_data=False, log_lines=[], read_tables=frozenset(), commit_ts=None,
        request_id=rid, udf_type=udf_type,
    )  # fmt: skip


def make_outcome(fn: FunctionDef, rid: str, result: Exec, lines: list[str]) -> Outcome:
    reads = frozenset(result.tracker.read_tables)
    snapshot = result.ts if fn.kind == "query" else None
    exc = result.error
    if exc is None:
        return Outcome(
            success=True, value=result.value, error_message=None, error_data=None,
            has_error_data=False, log_lines=lines, read_tables=reads,
            commit_ts=result.ts if fn.kind == "mutation" else None, request_id=rid,
            snapshot_ts=snapshot, udf_type=fn.udf_type, journal=result.tracker.journal_out,
        )  # fmt: skip
    body = exc.body if isinstance(exc, ArgError) else error_body(fn, exc)
    return Outcome(
        success=False, value=None, error_message=server_error(rid, body),
        error_data=exc.data if isinstance(exc, ConvexError) else None,
        has_error_data=isinstance(exc, ConvexError), log_lines=lines, read_tables=reads,
        commit_ts=None, request_id=rid, snapshot_ts=snapshot, udf_type=fn.udf_type,
    )  # fmt: skip
