"""What both log tails share (the console's async ``LogStream``, the twins' blocking
``LogTail``): the request, the cursor, de-duplication and the first-answer rule of
``/api/stream_function_logs`` (reference §7). No I/O here."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from tui.convex.backoff import Backoff
from tui.convex.errors import (
    BadAdminKey,
    BadRequest,
    ConvexTransportError,
    MalformedResponse,
    PermissionDenied,
)
from tui.convex.models import LogEntry

PATH = "/api/stream_function_logs"
LONG_POLL_S = 60.0  # the server holds an empty poll this long
# A first poll answered later than this (round trips of a cheap request, plus slack) was held by
# the server: its log was empty when asked, so everything in the answer is new.
HELD_AFTER_RTTS, HELD_SLACK_S = 2.0, 0.02
# The backend keeps the last MAX_UDF_EXECUTION completions (crates/common/src/knobs.rs): an
# answer holding that many new ones may have lost older ones to the ring (reference §7.1).
BACKEND_RING = 1000
# The backend sends structured log lines (own timestamp and level) only to npm-cli and dashboard
# clients (reference §7.1); the dashboard's Logs page identifies with this value (§15).
DASHBOARD_CLIENT = {"Convex-Client": "dashboard-0.0.0"}
_SEEN_MAX = 4096  # about four rings' worth of entry keys
FATAL = (BadAdminKey, PermissionDenied, BadRequest)
ErrorListener = Callable[[ConvexTransportError | None], None]


class LogCursor:
    """The state of one tail of the function log; read ``cursor`` to resume elsewhere later."""

    def __init__(
        self,
        cursor: float = 0.0,
        *,
        history: bool | int = False,
        backoff: Backoff | None = None,
        on_error: ErrorListener | None = None,
        poll_timeout: float = LONG_POLL_S + 15.0,
    ) -> None:
        self.cursor = cursor
        self._history = history
        self._first = cursor == 0.0
        self._backoff = backoff or Backoff()
        self._on_error = on_error
        self._poll_timeout = poll_timeout
        self._seen: OrderedDict[tuple[str, str, float, str], None] = OrderedDict()
        self.reconnects = 0
        # Answers that may have lost executions to the backend's ring since the last poll.
        self.overflows = 0
        self.overflow_size = 0

    @property
    def _times_first(self) -> bool:
        """The first question is timed against a round trip, unless all of it is wanted."""
        return self._first and self._history is not True

    def _first_answer(self, data: Any, elapsed: float, rtt: float) -> list[LogEntry]:
        """The first answer, backlog or not. The server answers at once when its log holds
        entries and holds the poll when it is empty, so an answer that took longer than a round
        trip (``rtt``; 0 when not timed) was held and holds only new entries: nothing is taken
        for backlog and there is no blind window. ``history`` decides what of a backlog is kept,
        like `npx convex logs` (the backlog sets the cursor; --history N keeps its last N)."""
        entries, new_cursor = _parse(data)
        held = rtt > 0 and elapsed > HELD_AFTER_RTTS * rtt + HELD_SLACK_S
        fresh = self._accept(entries, new_cursor)
        self._first = False
        if held or self._history is True:
            return fresh
        n = int(self._history)
        return fresh[-n:] if n > 0 else []

    def _params(self) -> dict[str, str]:
        return {"cursor": repr(float(self.cursor))}

    def _failed(self, exc: ConvexTransportError) -> float:
        """A failed poll (restart, timeout, garbage): report it, keep the cursor; returns how
        long to wait before the next try."""
        if self._on_error is not None:
            self._on_error(exc)
        self.reconnects += 1
        return self._backoff.next_delay()

    def _answered(self, data: Any) -> list[LogEntry]:
        """A later poll's answer: its new entries (raises MalformedResponse for garbage)."""
        entries, new_cursor = _parse(data)
        if self._backoff.retries and self._on_error is not None:
            self._on_error(None)
        self._backoff.reset()
        completions = sum(1 for e in entries if e.kind == "Completion")
        if self.cursor and completions >= BACKEND_RING:
            self.overflows += 1
            self.overflow_size = completions
        return self._accept(entries, new_cursor)

    def _accept(self, entries: list[LogEntry], new_cursor: float | None) -> list[LogEntry]:
        fresh: list[LogEntry] = []
        for entry in entries:
            if entry.key in self._seen:
                continue
            self._seen[entry.key] = None
            fresh.append(entry)
        while len(self._seen) > _SEEN_MAX:
            self._seen.popitem(last=False)
        latest = max((e.timestamp * 1000.0 for e in entries), default=None)
        candidates = [c for c in (new_cursor, latest) if c is not None]
        if candidates:
            # Never move backwards: a restarted backend may report a smaller cursor.
            self.cursor = max(self.cursor, *candidates)
        return fresh


def _parse(data: Any) -> tuple[list[LogEntry], float | None]:
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise MalformedResponse("The log stream answered without an 'entries' list.")
    entries = [LogEntry.from_json(e) for e in data["entries"] if isinstance(e, dict)]
    cursor = data.get("newCursor")
    return entries, float(cursor) if isinstance(cursor, int | float) else None
