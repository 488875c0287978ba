"""The function log stream on a thread of its own, on the standard-library client.

Each answer's next poll is on the wire before the answer is handed to the pane (``LogTail.
follow``), so an execution that ends while the console paints the last one (a mutation's
scheduled follow-up, a few milliseconds later) is answered at once. Blocking I/O on a plain
thread, not an event loop: the answer is read as soon as the socket has it, and the thread
holds the GIL only for the few hundred microseconds a small answer costs (an asyncio loop and
httpx on this thread took a millisecond or more a poll, while the UI thread wanted the GIL to
paint). Stopping cuts the held poll short.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tui.config.secret import Secret
from tui.convex.errors import ConvexClientError, ConvexTransportError
from tui.convex.logtail import LogTail
from tui.convex.models import LogEntry
from tui.logs.functions import overflow_marker, records_from_entry
from tui.logs.record import FUNCTIONS, Record, marker

Emit = Callable[[list[Record]], object]


class FunctionLogs:
    def __init__(
        self,
        url: str,
        admin_key: Secret | None,
        emit: Emit,
        *,
        on_error: Callable[[BaseException], object] | None = None,
        history: bool | int = True,
    ) -> None:
        self._url, self._key = url, admin_key
        self._emit, self._on_error = emit, on_error
        self._history = history
        self._tail: LogTail | None = None
        self._stopped = threading.Event()
        self._down: list[str] = []
        self._overflows = 0
        self._thread = threading.Thread(target=self._run, name="function-logs", daemon=True)

    def start(self) -> FunctionLogs:
        self._thread.start()
        return self

    def _run(self) -> None:
        from tui.convex.http_client import ConvexHttpClient

        try:
            with ConvexHttpClient(self._url, self._key, client_name="convex-tui-logs") as client:
                tail = client.stream_logs(history=self._history, on_error=self._transport)
                self._tail = tail
                if self._stopped.is_set():  # stop() ran before the tail existed
                    return
                tail.follow(self._hand_over)
        except ConvexClientError as exc:  # a fatal answer (key refused…): said, not raised
            if self._stopped.is_set():
                return
            self._emit([marker(FUNCTIONS, f"function logs stopped: {exc}", trouble=True)])
            if self._on_error is not None:
                self._on_error(exc)

    def _transport(self, exc: ConvexTransportError | None) -> None:
        """The stream lost its server (once per outage) or has it back."""
        if self._stopped.is_set():
            return
        if exc is not None and not self._down:
            self._down.append(str(exc))
            text = f"function log stream lost: {exc} — reconnecting"
            self._emit([marker(FUNCTIONS, text, trouble=True)])
        elif exc is None and self._down:
            self._down.clear()
            self._emit([marker(FUNCTIONS, "function log stream resumed")])

    def _hand_over(self, entries: list[LogEntry]) -> None:
        tail = self._tail
        assert tail is not None
        rows = [r for e in entries for r in records_from_entry(e)]
        if tail.overflows != self._overflows:
            self._overflows = tail.overflows
            rows.insert(0, overflow_marker(tail.overflow_size, rows[0].time if rows else None))
        if rows:
            self._emit(rows)

    def stop(self, timeout: float = 2.0) -> None:
        """End the stream (the held poll is cut short); bounded."""
        self._stopped.set()
        tail = self._tail
        if tail is not None:
            tail.abort()
        if self._thread.is_alive():
            self._thread.join(timeout)
