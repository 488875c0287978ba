"""The twins' blocking tail of ``/api/stream_function_logs`` over ``ConvexHttpClient``: the
same cursor, de-duplication, first-answer and lost-lines rules as the console's async
``LogStream`` (tui/convex/logcursor.py), with ``time.sleep`` between retries."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from tui.convex.errors import (
    BadUrl,
    ConnectionLost,
    ConvexClientError,
    ConvexTransportError,
    Timeout,
    TlsError,
    Unreachable,
)
from tui.convex.logcursor import DASHBOARD_CLIENT, FATAL, PATH, LogCursor
from tui.convex.models import LogEntry


class JsonGetter(Protocol):
    """What the tail needs of its client (``ConvexHttpClient`` is one)."""

    def get_json(
        self, path: str, params: Mapping[str, str] | None = None, *,
        headers: Mapping[str, str] | None = None, timeout: float | None = None,
    ) -> Any: ...  # fmt: skip

    def version(self, *, timeout: float | None = None) -> str: ...


class LogTail(LogCursor):
    """Iterate it (blocks); read ``cursor`` to resume elsewhere later."""

    def __init__(self, client: JsonGetter, cursor: float = 0.0, **kw: Any) -> None:
        super().__init__(cursor, **kw)
        self._client = client

    def __iter__(self) -> Iterator[LogEntry]:
        while True:
            yield from self.fetch()

    def snapshot(self, wait: float = 3.0) -> list[LogEntry]:
        """One request without retries; an empty ring (the server holds the poll) gives []."""
        try:
            return self._first_poll(wait)
        except Timeout:
            return []

    def _get(self, timeout: float) -> Any:
        return self._client.get_json(PATH, self._params(), headers=DASHBOARD_CLIENT,
                                     timeout=timeout)  # fmt: skip

    def _round_trip(self) -> float:
        """Seconds for a cheap request on the same client (a refusal is an answer too)."""
        started = time.monotonic()
        try:
            self._client.version(timeout=5.0)
        except (Unreachable, Timeout, ConnectionLost, TlsError, BadUrl):
            return 0.05  # no answer to time: the poll below meets the same trouble
        except ConvexClientError:
            pass  # refused, not found…: an answer all the same
        return time.monotonic() - started

    def _first_poll(self, timeout: float) -> list[LogEntry]:
        rtt = self._round_trip() if self._times_first else 0.0
        started = time.monotonic()
        data = self._get(timeout)
        return self._first_answer(data, time.monotonic() - started, rtt)

    def fetch(self) -> list[LogEntry]:
        """One long poll (retrying transport failures); returns the new, unseen entries."""
        while True:
            try:
                if self._first:
                    return self._first_poll(self._poll_timeout)
                return self._answered(self._get(self._poll_timeout))
            except FATAL:
                raise
            except ConvexTransportError as exc:
                time.sleep(self._failed(exc))
