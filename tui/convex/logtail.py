"""The blocking tail of ``/api/stream_function_logs`` over ``ConvexHttpClient`` (the twins, and
the Logs pane on a thread of its own): the same cursor, de-duplication, first-answer and
lost-lines rules as the async ``LogStream`` (tui/convex/logcursor.py).

``follow`` sends each answer's next poll before handing the answer over, as `npx convex logs`
has it on the wire while it prints: a mutation's scheduled follow-up that ends while the
console paints the mutation's own line is answered at once, not a poll later."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
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

    def begin_get_json(
        self, path: str, params: Mapping[str, str] | None = None, *,
        headers: Mapping[str, str] | None = None, timeout: float | None = None,
    ) -> PendingAnswer: ...  # fmt: skip

    def version(self, *, timeout: float | None = None) -> str: ...


class PendingAnswer(Protocol):
    def json(self) -> Any: ...

    def abort(self) -> None: ...


class LogTail(LogCursor):
    """Iterate it (blocks); read ``cursor`` to resume elsewhere later."""

    def __init__(self, client: JsonGetter, cursor: float = 0.0, **kw: Any) -> None:
        super().__init__(cursor, **kw)
        self._client = client
        self._pending: PendingAnswer | None = None
        self._stopped = threading.Event()

    def __iter__(self) -> Iterator[LogEntry]:
        while True:
            yield from self.fetch()

    def snapshot(self, wait: float = 3.0) -> list[LogEntry]:
        """One request without retries; an empty ring (the server holds the poll) gives []."""
        try:
            return self._first_poll(wait)
        except Timeout:
            return []

    def _begin(self, timeout: float) -> PendingAnswer:
        pending = self._client.begin_get_json(PATH, self._params(), headers=DASHBOARD_CLIENT,
                                              timeout=timeout)  # fmt: skip
        self._pending = pending
        if self._stopped.is_set():  # abort() ran while this one was being sent
            pending.abort()
        return pending

    def _get(self, timeout: float) -> Any:
        return self._begin(timeout).json()

    def abort(self) -> None:
        """From any thread: ``follow`` returns (an in-flight poll is cut short)."""
        self._stopped.set()
        pending = self._pending
        if pending is not None:
            pending.abort()

    def follow(self, hand_over: Callable[[list[LogEntry]], object]) -> None:
        """Until :meth:`abort`: every new entry, an answer's worth at a time (backlog first, as
        ``history`` says). Transport failures are retried with backoff and reported to
        ``on_error``; a refused key raises."""
        ahead: PendingAnswer | None = None
        while not self._stopped.is_set():
            try:
                if self._first:
                    batch = self._first_poll(self._poll_timeout)
                else:
                    if ahead is None:
                        ahead = self._begin(self._poll_timeout)
                    batch = self._answered(ahead.json())
            except FATAL:
                raise
            except ConvexTransportError as exc:
                ahead = None
                if self._stopped.is_set():
                    return
                self._stopped.wait(self._failed(exc))
                continue
            try:  # the next question goes out before this answer is handed over
                ahead = self._begin(self._poll_timeout)
            except ConvexTransportError:
                ahead = None  # asked again at the top, where a failure is retried
            if batch and not self._stopped.is_set():
                hand_over(batch)

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
