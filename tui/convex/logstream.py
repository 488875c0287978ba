"""Tail ``/api/stream_function_logs`` (reference §7) as an async iterator of :class:`LogEntry`.

The stream keeps its cursor across requests, survives backend restarts (backoff with jitter)
and never yields the same entry twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

from tui.convex.backoff import Backoff
from tui.convex.errors import (
    BadAdminKey,
    BadRequest,
    BadUrl,
    ConnectionLost,
    ConvexClientError,
    ConvexTransportError,
    MalformedResponse,
    PermissionDenied,
    Timeout,
    TlsError,
    Unreachable,
)
from tui.convex.http import HttpTransport
from tui.convex.models import LogEntry

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


class LogStream:
    """One tail of the function log. Iterate it; read ``cursor`` to resume elsewhere later."""

    def __init__(
        self,
        http: HttpTransport,
        cursor: float = 0.0,
        *,
        history: bool | int = False,
        backoff: Backoff | None = None,
        on_error: Callable[[ConvexTransportError | None], None] | None = None,
        poll_timeout: float = LONG_POLL_S + 15.0,
    ) -> None:
        self._http = http
        self.cursor = cursor
        self._history = history
        self._first = cursor == 0.0
        self._backoff = backoff or Backoff()
        self._on_error = on_error
        self._poll_timeout = poll_timeout
        self._seen: OrderedDict[tuple[str, str, float, str], None] = OrderedDict()
        self.reconnects = 0
        self.sent = asyncio.Event()  # the current poll's request is written
        self.sent_seen = False  # the transport reports "written" at all
        # Answers that may have lost executions to the backend's ring since the last poll.
        self.overflows = 0
        self.overflow_size = 0

    def __aiter__(self) -> AsyncIterator[LogEntry]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[LogEntry]:
        while True:
            batch = await self._poll_once()
            for entry in batch:
                yield entry

    async def fetch(self) -> list[LogEntry]:
        """One long poll (retrying transport failures); returns the new, unseen entries."""
        return await self._poll_once()

    async def snapshot(self, wait: float = 3.0) -> list[LogEntry]:
        """One request without retries; an empty ring (the server holds the poll) gives []."""
        try:
            return await self._first_poll(wait)
        except Timeout:
            return []

    async def _get(self, timeout: float) -> object:
        self.sent.clear()
        resp = await self._http.request(
            "GET",
            "/api/stream_function_logs",
            params={"cursor": _fmt_cursor(self.cursor)},
            headers=DASHBOARD_CLIENT,
            timeout=timeout,
            on_sent=self._on_sent,
        )
        return self._http.parse_json(resp)

    def _on_sent(self) -> None:
        self.sent.set()
        self.sent_seen = True

    async def wait_sent(self, timeout: float = 0.05) -> bool:
        """Until the current poll is on the wire (bounded): a consumer that has work to do
        with the previous answer lets the next question go out first. False on timeout."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self.sent.wait()
                return True
        return False

    async def _round_trip(self) -> float:
        """Seconds for a cheap request on the same client (a refusal is an answer too)."""
        started = time.monotonic()
        try:
            await self._http.request("GET", "/version", timeout=5.0)
        except (Unreachable, Timeout, ConnectionLost, TlsError, BadUrl):
            return 0.05  # no answer to time: the poll below meets the same trouble
        except ConvexClientError:
            pass  # refused, not found…: an answer all the same
        return time.monotonic() - started

    async def _first_poll(self, timeout: float) -> list[LogEntry]:
        """The first question, backlog or not: the server answers at once when its log holds
        entries and holds the poll when it is empty, so an answer that took longer than a
        round trip was held and holds only new entries (no window in which they are taken
        for backlog). ``history`` decides what of a backlog is kept."""
        rtt = 0.0 if self._history is True else await self._round_trip()
        started = time.monotonic()
        data = await self._get(timeout)
        held = time.monotonic() - started > HELD_AFTER_RTTS * rtt + HELD_SLACK_S
        entries, new_cursor = _parse(data)
        fresh = self._accept(entries, new_cursor)
        self._first = False
        if held or self._history is True:
            return fresh
        # Like `npx convex logs`: a backlog sets the cursor; --history N keeps its last N.
        n = int(self._history)
        return fresh[-n:] if n > 0 else []

    async def _poll_once(self) -> list[LogEntry]:
        while True:
            try:
                if self._first:
                    return await self._first_poll(self._poll_timeout)
                before = self.cursor
                data = await self._get(self._poll_timeout)
                entries, new_cursor = _parse(data)
            except FATAL:
                raise
            except ConvexTransportError as exc:
                # Restarts, timeouts, garbage: keep the cursor and try again later.
                if self._on_error is not None:
                    self._on_error(exc)
                self.reconnects += 1
                await asyncio.sleep(self._backoff.next_delay())
                continue
            if self._backoff.retries and self._on_error is not None:
                self._on_error(None)
            self._backoff.reset()
            completions = sum(1 for e in entries if e.kind == "Completion")
            if before and completions >= BACKEND_RING:
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


def _fmt_cursor(cursor: float) -> str:
    return repr(float(cursor))


def _parse(data: Any) -> tuple[list[LogEntry], float | None]:
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise MalformedResponse("The log stream answered without an 'entries' list.")
    entries = [LogEntry.from_json(e) for e in data["entries"] if isinstance(e, dict)]
    cursor = data.get("newCursor")
    return entries, float(cursor) if isinstance(cursor, int | float) else None
