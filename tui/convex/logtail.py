"""The twins' blocking tail of ``/api/stream_function_logs`` over ``ConvexHttpClient``: the
same cursor, de-duplication and first-answer rule as the console's async ``LogStream``
(tui/convex/logcursor.py), with ``time.sleep`` between retries."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from tui.convex.errors import ConvexTransportError, Timeout
from tui.convex.logcursor import DASHBOARD_CLIENT, FATAL, FIRST_WAIT_S, PATH, LogCursor, _parse
from tui.convex.models import LogEntry


class JsonGetter(Protocol):
    """What the tail needs of its client (``ConvexHttpClient`` is one)."""

    def get_json(
        self, path: str, params: Mapping[str, str] | None = None, *,
        headers: Mapping[str, str] | None = None, timeout: float | None = None,
    ) -> Any: ...  # fmt: skip


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
            data = self._get(wait)
        except Timeout:
            return []
        return self._accept(*_parse(data))

    def _get(self, timeout: float) -> Any:
        return self._client.get_json(PATH, self._params(), headers=DASHBOARD_CLIENT,
                                     timeout=timeout)  # fmt: skip

    def fetch(self) -> list[LogEntry]:
        """One long poll (retrying transport failures); returns the new, unseen entries."""
        if self._waits_first:
            try:
                return self._accept(*_parse(self._get(FIRST_WAIT_S)))
            except Timeout:
                self._first = False
                return []
            except FATAL:
                raise
            except ConvexTransportError:
                pass  # retried with backoff (and reported) below
        while True:
            try:
                return self._answered(self._get(self._poll_timeout))
            except FATAL:
                raise
            except ConvexTransportError as exc:
                time.sleep(self._failed(exc))
