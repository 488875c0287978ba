"""Tail ``/api/stream_function_logs`` (reference §7) as an async iterator of :class:`LogEntry`.

The stream keeps its cursor across requests, survives backend restarts (backoff with jitter)
and never yields the same entry twice. The twins' blocking tail is tui/convex/logtail.py; the
state and rules both share are in tui/convex/logcursor.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from tui.convex.backoff import Backoff
from tui.convex.errors import (
    BadUrl,
    ConnectionLost,
    ConvexClientError,
    ConvexTransportError,
    Timeout,
    TlsError,
    Unreachable,
)
from tui.convex.http import HttpTransport
from tui.convex.logcursor import (
    BACKEND_RING,
    DASHBOARD_CLIENT,
    FATAL,
    LONG_POLL_S,
    PATH,
    ErrorListener,
    LogCursor,
    _parse,
)
from tui.convex.models import LogEntry

__all__ = ["BACKEND_RING", "DASHBOARD_CLIENT", "LONG_POLL_S", "LogStream", "_parse"]


class LogStream(LogCursor):
    """One tail of the function log. Iterate it; read ``cursor`` to resume elsewhere later."""

    def __init__(
        self,
        http: HttpTransport,
        cursor: float = 0.0,
        *,
        history: bool | int = False,
        backoff: Backoff | None = None,
        on_error: ErrorListener | None = None,
        poll_timeout: float = LONG_POLL_S + 15.0,
    ) -> None:
        super().__init__(
            cursor, history=history, backoff=backoff, on_error=on_error, poll_timeout=poll_timeout
        )
        self._http = http

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

    async def _get(self, timeout: float) -> Any:
        resp = await self._http.request(
            "GET", PATH, params=self._params(), headers=DASHBOARD_CLIENT, timeout=timeout
        )
        return self._http.parse_json(resp)

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
        rtt = await self._round_trip() if self._times_first else 0.0
        started = time.monotonic()
        data = await self._get(timeout)
        return self._first_answer(data, time.monotonic() - started, rtt)

    async def _poll_once(self) -> list[LogEntry]:
        while True:
            try:
                if self._first:
                    return await self._first_poll(self._poll_timeout)
                return self._answered(await self._get(self._poll_timeout))
            except FATAL:
                raise
            except ConvexTransportError as exc:
                # Restarts, timeouts, garbage: keep the cursor and try again later.
                await asyncio.sleep(self._failed(exc))
