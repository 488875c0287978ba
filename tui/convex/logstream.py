"""Tail ``/api/stream_function_logs`` (reference §7) as an async iterator of :class:`LogEntry`.

The stream keeps its cursor across requests, survives backend restarts (backoff with jitter)
and never yields the same entry twice. The twins' blocking tail is tui/convex/logtail.py; the
state and rules both share are in tui/convex/logcursor.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from tui.convex.backoff import Backoff
from tui.convex.errors import ConvexTransportError, Timeout
from tui.convex.http import HttpTransport
from tui.convex.logcursor import (
    DASHBOARD_CLIENT,
    FATAL,
    FIRST_WAIT_S,
    LONG_POLL_S,
    PATH,
    ErrorListener,
    LogCursor,
    _parse,
)
from tui.convex.models import LogEntry

__all__ = ["DASHBOARD_CLIENT", "FIRST_WAIT_S", "LONG_POLL_S", "LogStream", "_parse"]


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
            data = await self._get(wait)
        except Timeout:
            return []
        return self._accept(*_parse(data))

    async def _get(self, timeout: float) -> Any:
        resp = await self._http.request(
            "GET", PATH, params=self._params(), headers=DASHBOARD_CLIENT, timeout=timeout
        )
        return self._http.parse_json(resp)

    async def _poll_once(self) -> list[LogEntry]:
        if self._waits_first:
            try:
                entries = self._accept(*_parse(await self._get(FIRST_WAIT_S)))
            except Timeout:
                self._first = False
                return []
            except FATAL:
                raise
            except ConvexTransportError:
                pass  # retried with backoff (and reported) below
            else:
                return entries
        while True:
            try:
                data = await self._get(self._poll_timeout)
                return self._answered(data)
            except FATAL:
                raise
            except ConvexTransportError as exc:
                await asyncio.sleep(self._failed(exc))
