"""Function executions (reference §7.2) → rows, as the dashboard's `processLogs` makes them:
one row per log line and one outcome row per Completion. Actions stream their lines as
Progress entries (their Completion has none), so those rows appear as the lines arrive."""

from __future__ import annotations

from tui.convex.logcursor import BACKEND_RING
from tui.convex.models import LogEntry
from tui.logs.record import FUNCTIONS, LOG, OUTCOME, Record, marker


def records_from_entry(entry: LogEntry) -> list[Record]:
    common = {
        "function": entry.identifier,
        "udf": entry.type_letter,
        "request_id": entry.request_id or "",
        "execution_id": entry.execution_id or "",
        "entry": entry,
    }
    # Queries and mutations carry their lines in the Completion: its outcome is known.
    success = entry.success if entry.kind == "Completion" else None
    rows = [
        Record(
            line.timestamp if line.timestamp is not None else entry.timestamp,
            FUNCTIONS,
            LOG,
            line.message + (" (truncated due to length)" if line.truncated else ""),
            level=line.level,
            success=success,
            **common,  # type: ignore[arg-type]
        )
        for line in entry.log_lines
    ]
    if entry.kind == "Completion":
        rows.append(
            Record(
                entry.timestamp,
                FUNCTIONS,
                OUTCOME,
                outcome_text(entry),
                level="SUCCESS" if entry.success else "FAILURE",
                success=entry.success,
                **common,  # type: ignore[arg-type]
            )
        )
    return rows


def outcome_text(entry: LogEntry) -> str:
    parts = []
    if entry.http_status:
        parts.append(entry.http_status)
    if entry.cached:
        parts.append("(cached)")
    if entry.execution_time is not None:
        parts.append(f"{entry.execution_time * 1000:.0f} ms")
    if entry.caller:
        parts.append(f"via {entry.caller}")
    head = " ".join(parts)
    if entry.error:
        return f"failure {head} · {entry.error}".strip()
    return f"success {head}".strip()


def overflow_marker(arrived: int, when: float | None) -> Record:
    """The backend's ring overflowed between two polls: say so where the gap is."""
    return marker(
        FUNCTIONS,
        f"lines lost: {arrived:,} executions arrived between two polls and the backend keeps "
        f"the last {BACKEND_RING:,}; older ones were dropped before they could be read",
        when=None if when is None else when - 1e-6,
        trouble=True,
    )
