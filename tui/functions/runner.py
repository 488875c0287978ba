"""Running one function for the pane: pick the endpoint by type, classify the outcome.

Queries go to `ConvexClient.query`, mutations and actions to `.mutation` / `.action`, which ask
the write guard first (refused before anything is sent). The admin key runs internal functions
through these endpoints too (reference §2.3).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tui.convex import values
from tui.convex.errors import ConvexClientError, FunctionError
from tui.convex.models import FunctionResult, FunctionSpec
from tui.functions.store import HistoryEntry, describe_identity
from tui.safety.guard import WriteKind, WriteRefused

if TYPE_CHECKING:
    from tui.convex.client import ConvexClient

Outcome = Literal["ok", "error", "transport", "refused", "cancelled"]


class NotRunnable(Exception):
    """HTTP actions are called over the site URL, not the function runner."""


def write_kind(spec: FunctionSpec) -> WriteKind | None:
    return {"Mutation": WriteKind.MUTATION, "Action": WriteKind.ACTION}.get(spec.function_type)


async def call(
    client: ConvexClient,
    spec: FunctionSpec,
    args: Mapping[str, Any],
    identity: Mapping[str, Any] | None = None,
) -> FunctionResult:
    who = dict(identity) if identity else None
    kind = spec.function_type
    if kind == "Query":
        return await client.query(spec.path, args, identity=who)
    if kind == "Mutation":
        return await client.mutation(spec.path, args, identity=who)
    if kind == "Action":
        return await client.action(spec.path, args, identity=who)
    raise NotRunnable(f"{spec.path} is an HTTP action: call it on the site URL (port 3211).")


@dataclass(frozen=True)
class CallReport:
    """What the pane shows after a run, and what history records."""

    spec: FunctionSpec
    args: dict[str, Any]
    identity: dict[str, Any] | None
    outcome: Outcome
    result: FunctionResult | None = None
    error: Exception | None = None
    duration_ms: float | None = None

    @property
    def request_id(self) -> str | None:
        if self.result is not None:
            return self.result.request_id
        if isinstance(self.error, FunctionError):
            return self.error.request_id
        return None

    def history_entry(self) -> HistoryEntry:
        if self.result is not None:
            summary = _preview(self.result.value)
        elif isinstance(self.error, FunctionError):
            summary = self.error.summary
        else:
            summary = str(self.error or self.outcome)
        return HistoryEntry(
            function=self.spec.path,
            args=values.encode(self.args),
            identity=self.identity,
            outcome=self.outcome,
            duration_ms=self.duration_ms,
            summary=summary[:200],
        )


def _preview(value: Any) -> str:
    try:
        return json.dumps(values.encode(value), sort_keys=True)[:200]
    except values.ValueError_:
        return repr(value)[:200]


async def run_report(
    client: ConvexClient,
    spec: FunctionSpec,
    args: dict[str, Any],
    identity: dict[str, Any] | None = None,
) -> CallReport:
    """`call` with every failure classified: function error, transport error, refused."""
    started = time.perf_counter()

    def took() -> float:
        return (time.perf_counter() - started) * 1000.0

    try:
        result = await call(client, spec, args, identity)
    except WriteRefused as exc:
        return CallReport(spec, args, identity, "refused", error=exc)
    except FunctionError as exc:
        return CallReport(spec, args, identity, "error", error=exc, duration_ms=took())
    except (ConvexClientError, NotRunnable) as exc:
        return CallReport(spec, args, identity, "transport", error=exc, duration_ms=took())
    return CallReport(spec, args, identity, "ok", result=result, duration_ms=result.duration_ms)


@dataclass(frozen=True)
class ReportView:
    """What the pane shows for a report: status line and tone, the tree's title and value."""

    status: str
    tone: str  # "" / "-error" / "-refused"
    title: str
    value: Any
    logs: tuple[Any, ...]
    has_value: bool = True  # False: nothing came back (refused, cancelled, transport error)


def report_view(report: CallReport) -> ReportView:
    """Success, function error (with ConvexError data), refusal and transport error look apart."""
    rid = f" · request {report.request_id}" if report.request_id else ""
    took = f" {report.duration_ms:.0f} ms" if report.duration_ms is not None else ""
    who = f" · {describe_identity(report.identity)}" if report.identity else ""
    if report.outcome == "ok" and report.result is not None:
        result = report.result
        status = f"✓ {report.spec.path}{took}{rid}{who}"
        return ReportView(status, "", "Result", result.value, result.log_lines)
    if report.outcome == "error" and isinstance(report.error, FunctionError):
        err = report.error
        status = f"✗ function error{took}{rid}: {err.summary}"
        title = "ConvexError data" if err.has_data else "Error"
        return ReportView(
            status, "-error", title, err.data if err.has_data else None, err.log_lines, err.has_data
        )
    if report.outcome == "refused":
        return ReportView(
            f"⊘ refused, nothing sent: {report.error}", "-refused", "Result", None, (), False
        )
    if report.outcome == "cancelled":
        status = f"Cancelled {report.spec.path}: the console stopped waiting."
        return ReportView(status, "-refused", "Result", None, (), False)
    status = f"✗ transport error{took}: {report.error}"
    return ReportView(status, "-error", "Result", None, (), False)
