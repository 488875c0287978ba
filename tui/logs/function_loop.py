"""The function log stream on the console's own event loop: one keep-alive connection, an
asyncio protocol and h11, no thread (issue 17).

On a thread of its own, an answer woke that thread, which took the GIL, read the answer and
handed the rows to the UI loop, which woke in turn and waited for the GIL to come back: two
wake-ups and a hand-over between the sandbox's answer and the paint (0.2-0.4 ms in traces of a
real terminal, against npx's ~1.5 ms from its answer to its line). Here the answer's bytes wake
the UI loop itself, and the rows are painted in the same turn. h11 (a dependency of httpx's,
the Python HTTP/1.1 state machine made for bring-your-own-I/O) parses; an httpx request on the
loop cost ~1 ms, most of it in its connection pool and coroutines.

Each answer's next poll is written before the answer is handed over, as with `LogTail.follow`
(the next execution is answered while the console paints the last one). The rules of the
stream (cursor, de-duplication, the first answer, backoff) are `LogCursor`'s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

import h11

from tui.config.secret import Secret
from tui.convex import protocol
from tui.convex.errors import ConvexClientError, ConvexTransportError, scrub
from tui.convex.logcursor import DASHBOARD_CLIENT, FATAL, PATH, LogCursor
from tui.convex.models import LogEntry
from tui.logs.functions import overflow_marker, records_from_entry
from tui.logs.record import FUNCTIONS, Record, marker

Emit = Callable[[list[Record]], object]
CONNECT_S = 10.0  # a connection (and TLS) within this, or the try failed
VERSION = "/version"  # a cheap request, to time the first poll against (LogCursor._first_answer)


class _Wire(asyncio.Protocol):
    """One connection: a request written, its answer's status and body read as they come."""

    def __init__(self, answered: Callable[[int, bytes], None], lost: Callable[[str], None]):
        self._answered, self._lost = answered, lost
        self._h11 = h11.Connection(h11.CLIENT)
        self._transport: asyncio.Transport | None = None
        self._status = 0
        self._body: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    @property
    def reusable(self) -> bool:
        return not self.closed and self._h11.our_state is h11.IDLE

    def send(self, target: str, headers: list[tuple[str, str]]) -> None:
        assert self._transport is not None
        request = h11.Request(method="GET", target=target, headers=headers)
        self._transport.write(self._h11.send(request) + (self._h11.send(h11.EndOfMessage()) or b""))

    def data_received(self, data: bytes) -> None:
        try:
            self._h11.receive_data(data)
            while True:
                event = self._h11.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    return
                if isinstance(event, h11.Response):
                    self._status, self._body = event.status_code, []
                elif isinstance(event, h11.Data):
                    self._body.append(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    body = b"".join(self._body)
                    self._body = []
                    if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
                        self._h11.start_next_cycle()
                    else:  # the server ends the connection here (`Connection: close`)
                        self.close()
                    self._answered(self._status, body)
                    return
                elif isinstance(event, h11.ConnectionClosed):
                    self._fail("the server closed the connection")
                    return
        except h11.ProtocolError as exc:
            self._fail(f"a broken answer ({exc})")

    def eof_received(self) -> bool | None:
        # To h11, no data is the end of the stream: it ends a body sent without a length.
        self.data_received(b"")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self._fail(str(exc) if exc else "the server closed the connection")

    def _fail(self, why: str) -> None:
        if self.closed:
            return
        self.close()
        self._lost(why)

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()


class FunctionLogsOnLoop(LogCursor):
    """Started and stopped on the running loop; ``emit`` is called there with new rows."""

    def __init__(
        self,
        url: str,
        admin_key: Secret | None,
        emit: Emit,
        *,
        on_error: Callable[[BaseException], object] | None = None,
        history: bool | int = True,
        client_name: str = "convex-tui-logs",
    ) -> None:
        super().__init__(history=history, on_error=self._transport_changed)
        self._url = protocol.normalize_url(url)
        self._key = admin_key
        self._emit_rows, self._on_fatal = emit, on_error
        parts = urlsplit(self._url)
        self._tls = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._tls else 80)
        self._prefix = parts.path
        headers = {"Host": parts.netloc, "Accept-Encoding": "identity",
                   "Convex-Client": protocol.client_header(client_name), **DASHBOARD_CLIENT}  # fmt: skip
        if admin_key is not None:
            headers["Authorization"] = protocol.acting_as_header(admin_key.reveal(), None)
        self._headers = list(headers.items())
        self._wire: _Wire | None = None
        self._opening: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._asked = ""  # the path of the request on the wire
        self._sent_at = self._rtt = 0.0
        self._stopped = False
        self._down: list[str] = []
        self._overflows = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> FunctionLogsOnLoop:
        self._loop = asyncio.get_running_loop()
        self._connect_then(self._ask_first)
        return self

    def stop(self) -> None:
        """End the stream: the held poll is cut short, nothing more is emitted."""
        self._stopped = True
        self._cancel_timer()
        if self._opening is not None:
            self._opening.cancel()
        if self._wire is not None:
            self._wire.close()

    # ------------------------------------------------------------ the exchange

    def _scrub(self, text: str) -> str:
        return scrub(text, self._key.reveal() if self._key else None)

    def _connect_then(self, then: Callable[[], None]) -> None:
        assert self._loop is not None
        self._opening = self._loop.create_task(self._open(then), name="function-logs connect")

    async def _open(self, then: Callable[[], None]) -> None:
        from tui.net.http import tls_context

        assert self._loop is not None
        try:
            _, wire = await asyncio.wait_for(
                self._loop.create_connection(
                    lambda: _Wire(self._reply, self._lost), self._host, self._port,
                    ssl=tls_context() if self._tls else None,
                    server_hostname=self._host if self._tls else None,
                ),
                CONNECT_S,
            )  # fmt: skip
        except TimeoutError:
            self._failed_now(protocol.transport_error("connect_timeout", self._url, "", CONNECT_S))
            return
        except OSError as exc:
            kind: protocol.Failure = "tls" if protocol.is_tls(exc) else "connect"
            detail = self._scrub(str(exc) or type(exc).__name__)
            self._failed_now(protocol.transport_error(kind, self._url, detail, CONNECT_S))
            return
        if self._stopped:
            wire.close()
            return
        self._wire = wire
        if self._down:  # connected again: said now, not when the (held) poll is answered
            self._transport_changed(None)
        then()

    def _send(self, path: str, params: dict[str, str] | None = None) -> None:
        """The request on the wire (a new connection first when the last one cannot carry it),
        with the poll's deadline armed."""
        wire = self._wire
        if wire is None or not wire.reusable:
            self._connect_then(lambda: self._send(path, params))
            return
        self._asked = path
        target = self._prefix + path + (f"?{urlencode(params)}" if params else "")
        self._sent_at = time.monotonic()
        assert self._loop is not None
        self._cancel_timer()
        self._timer = self._loop.call_later(self._poll_timeout, self._timed_out)
        wire.send(target, self._headers)

    def _ask_first(self) -> None:
        if self._times_first:
            self._send(VERSION)  # timed: the first poll's answer is judged against it
        else:
            self._send(PATH, self._params())

    def _reply(self, status: int, body: bytes) -> None:
        self._cancel_timer()
        if self._stopped:
            return
        elapsed = time.monotonic() - self._sent_at
        if self._asked == VERSION:  # any answer is a round trip
            self._rtt = elapsed
            self._send(PATH, self._params())
            return
        try:
            if status >= 400:
                raise protocol.status_error(
                    status, body, f"GET {PATH}", self._url,
                    has_key=self._key is not None, scrub=self._scrub,
                )  # fmt: skip
            data = protocol.parse_json(body, PATH, self._scrub)
            if self._first:
                batch = self._first_answer(data, elapsed, self._rtt)
            else:
                batch = self._answered(data)
        except FATAL as exc:
            self._fatal(exc)
            return
        except ConvexTransportError as exc:
            self._failed_now(exc)
            return
        self._send(PATH, self._params())  # the next question goes out before this is shown
        self._hand_over(batch)

    def _lost(self, why: str) -> None:
        self._cancel_timer()
        if self._stopped:
            return
        detail = self._scrub(why)
        self._failed_now(protocol.transport_error("dropped", self._url, detail, self._poll_timeout))

    def _timed_out(self) -> None:
        self._timer = None
        if self._wire is not None:
            self._wire.close()
        exc = protocol.transport_error("deadline", self._url, "", self._poll_timeout)
        self._failed_now(exc)

    def _failed_now(self, exc: ConvexTransportError) -> None:
        """Report it, wait the backoff's delay, try again on a new connection."""
        if self._stopped:
            return
        if self._wire is not None:
            self._wire.close()
            self._wire = None
        delay = self._failed(exc)
        assert self._loop is not None
        self._cancel_timer()
        retry = self._ask_first if self._first else (lambda: self._send(PATH, self._params()))
        self._timer = self._loop.call_later(delay, lambda: self._connect_then(retry))

    def _fatal(self, exc: ConvexClientError) -> None:
        """A refused key…: said once, not retried."""
        self.stop()
        self._emit_rows([marker(FUNCTIONS, f"function logs stopped: {exc}", trouble=True)])
        if self._on_fatal is not None:
            self._on_fatal(exc)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # ------------------------------------------------------------ rows

    def _transport_changed(self, exc: ConvexTransportError | None) -> None:
        """The stream lost its server (once per outage) or has it back."""
        if self._stopped:
            return
        if exc is not None and not self._down:
            self._down.append(str(exc))
            text = f"function log stream lost: {exc} — reconnecting"
            self._emit_rows([marker(FUNCTIONS, text, trouble=True)])
        elif exc is None and self._down:
            self._down.clear()
            self._emit_rows([marker(FUNCTIONS, "function log stream resumed")])

    def _hand_over(self, entries: list[LogEntry]) -> None:
        rows = [r for e in entries for r in records_from_entry(e)]
        if self.overflows != self._overflows:
            self._overflows = self.overflows
            rows.insert(0, overflow_marker(self.overflow_size, rows[0].time if rows else None))
        if rows:
            self._emit_rows(rows)
