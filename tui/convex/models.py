"""Immutable models the client returns. Never httpx objects, never raw JSON for known shapes."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# What a function call returns lives in results.py (the twins load only that); named here too.
from tui.convex.results import LOG_LEVELS, FunctionResult, LogLine, parse_log_lines
from tui.convex.values import Value

__all__ = [
    "AUTH_TABLES", "LOG_LEVELS", "AdminKeyStatus", "ClearProgress", "ConnectionState",
    "DocumentPage", "Filter", "FilterOp", "FunctionResult", "FunctionSpec", "FunctionType", "IndexInfo",
    "LogEntry", "LogLine", "Probe", "TableInfo", "WsState", "group_by_module", "parse_log_lines",
]  # fmt: skip


# The tables `...authTables` from @convex-dev/auth/server adds (the seed's auth section): the
# Data pane marks them, the Env pane checks the schema has them.
AUTH_TABLES: tuple[str, ...] = (
    "users",
    "authAccounts",
    "authSessions",
    "authRefreshTokens",
    "authVerificationCodes",
    "authVerifiers",
    "authRateLimits",
)


# ---------------------------------------------------------------- meta


@dataclass(frozen=True, slots=True)
class AdminKeyStatus:
    valid: bool
    allowed_ops: tuple[str, ...]
    is_read_only: bool

    @property
    def all_ops(self) -> bool:
        """An empty allowed-op list means every operation is allowed (reference §1.3)."""
        return self.valid and not self.allowed_ops

    def allows(self, op: str) -> bool:
        return self.valid and (not self.allowed_ops or op in self.allowed_ops)


@dataclass(frozen=True, slots=True)
class Probe:
    latency_ms: float
    version: str


WsState = Literal["idle", "connecting", "connected", "reconnecting", "closed"]


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """What the status bar shows. ``http_ok`` is None until the first HTTP request finishes."""

    http_ok: bool | None = None
    ws_state: WsState = "idle"
    last_error: str | None = None
    reconnects: int = 0


# ---------------------------------------------------------------- functions


FunctionType = Literal["Query", "Mutation", "Action", "HttpAction"]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One entry of ``_system/cli/modules:apiSpec`` (reference §6)."""

    identifier: str  # as the server spells it, e.g. "messages.js:list" or "GET /hello"
    function_type: str
    visibility: str | None  # "public" / "internal"; None for HTTP routes
    args: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    returns: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    method: str | None = None
    http_path: str | None = None

    @property
    def is_http(self) -> bool:
        return self.function_type == "HttpAction"

    @property
    def path(self) -> str:
        """The callable path: ``messages:list`` (no ``.js``), or ``GET /hello`` for routes."""
        if self.is_http:
            return f"{self.method} {self.http_path}"
        module, _, name = self.identifier.rpartition(":")
        if not module:
            module, name = name, "default"
        if module.endswith(".js"):
            module = module[:-3]
        return f"{module}:{name}"

    @property
    def module(self) -> str:
        return "http" if self.is_http else self.path.rpartition(":")[0]

    @property
    def name(self) -> str:
        return self.path if self.is_http else self.path.rpartition(":")[2]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FunctionSpec:
        ftype = str(raw.get("functionType", ""))
        if ftype == "HttpAction":
            method = str(raw.get("method", ""))
            path = str(raw.get("path", ""))
            return cls(
                identifier=f"{method} {path}",
                function_type=ftype,
                visibility=None,
                method=method,
                http_path=path,
            )
        vis = raw.get("visibility")
        kind = vis.get("kind") if isinstance(vis, Mapping) else vis
        return cls(
            identifier=str(raw.get("identifier", "")),
            function_type=ftype,
            visibility=str(kind) if kind is not None else None,
            args=_validator(raw.get("args")),
            returns=_validator(raw.get("returns")),
        )


def _validator(raw: object) -> Mapping[str, Any]:
    """Validators may arrive as JSON text or objects; missing means ``any`` (reference §6)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {"type": "any"}
    return raw if isinstance(raw, Mapping) else {"type": "any"}


def group_by_module(specs: list[FunctionSpec]) -> dict[str, list[FunctionSpec]]:
    """Module → functions, modules sorted with HTTP routes last, functions sorted by name."""
    groups: dict[str, list[FunctionSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.module, []).append(spec)
    ordered = sorted(groups, key=lambda m: (m == "http", m))
    return {m: sorted(groups[m], key=lambda s: s.name) for m in ordered}


# ---------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class TableInfo:
    name: str
    count: int | None  # None when the count could not be read
    table_number: int | None = None


@dataclass(frozen=True, slots=True)
class DocumentPage:
    docs: tuple[dict[str, Value], ...]
    cursor: str | None  # pass back to get the next page; None when ``is_done``
    is_done: bool
    errors: tuple[str, ...] = ()  # filter validation errors reported instead of documents


FilterOp = Literal["eq", "neq", "gt", "gte", "lt", "lte", "anyOf", "noneOf", "type", "notype"]


@dataclass(frozen=True, slots=True)
class Filter:
    """One dashboard filter clause (``_system/frontend/lib/filters.ts``)."""

    field: str
    op: FilterOp
    value: Value = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class IndexInfo:
    name: str
    fields: tuple[str, ...] | Mapping[str, Any]
    backfill_state: str | None
    staged: bool = False
    kind: Literal["database", "search", "vector"] = "database"


@dataclass(frozen=True, slots=True)
class ClearProgress:
    table: str
    deleted: int  # running total
    has_more: bool


# ---------------------------------------------------------------- logs


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry of ``/api/stream_function_logs`` (reference §7.2). Times are in seconds."""

    kind: Literal["Completion", "Progress"]
    identifier: str
    udf_type: str
    timestamp: float
    log_lines: tuple[LogLine, ...]
    request_id: str | None
    execution_id: str | None
    component_path: str | None = None
    execution_time: float | None = None
    error: str | None = None
    caller: str | None = None
    cached: bool = False
    http_status: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def success(self) -> bool:
        return self.error is None

    @property
    def type_letter(self) -> str:
        return (self.udf_type[:1] or "?").upper()

    @property
    def key(self) -> tuple[str, str, float, str]:
        """Identity used to drop duplicates across reconnects."""
        return (
            self.kind,
            self.execution_id or self.request_id or "",
            self.timestamp,
            self.identifier,
        )

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> LogEntry:
        kind: Literal["Completion", "Progress"] = (
            "Progress" if raw.get("kind") == "Progress" else "Completion"
        )
        success = raw.get("success")
        status = success.get("status") if isinstance(success, Mapping) else None
        ts = raw.get("timestamp")
        exec_time = raw.get("executionTime")
        return cls(
            kind=kind,
            identifier=str(raw.get("identifier", "")),
            udf_type=str(raw.get("udfType", "")),
            timestamp=_seconds(ts) or 0.0,
            log_lines=parse_log_lines(raw.get("logLines")),
            request_id=_opt_str(raw.get("requestId")),
            execution_id=_opt_str(raw.get("executionId")),
            component_path=_opt_str(raw.get("componentPath")),
            execution_time=_seconds(exec_time),
            error=_opt_str(raw.get("error")),
            caller=_opt_str(raw.get("caller")),
            cached=bool(raw.get("cachedResult")),
            http_status=_opt_str(status),
            raw=dict(raw),
        )


# Seconds a log entry may carry (Unix time up to year 9999): anything else is no time at all.
_MAX_SECONDS = 253_402_300_799.0


def _seconds(value: object) -> float | None:
    """A finite, in-range number of seconds, or None (a hostile server sends 1e300, NaN…)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and abs(number) <= _MAX_SECONDS else None


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
