"""A small blocking HTTP/1.1 client on ``http.client``: keep-alive, one deadline per request,
TLS (the context is built on the first https request), unix sockets (the Docker engine).

Why not httpx here: importing httpx costs ~50 ms and asyncio ~40 ms, more than a whole
standard-library request takes (issue 19). The headless twins send a request or two, and the
console's probes run this in their own small thread pool.

Failures are the standard library's own exceptions (``OSError`` and its subclasses,
``ssl.SSLError``, ``http.client.HTTPException``) plus :class:`ConnectTimeout` and
:class:`AnswerTimeout`; callers map them to their own errors (tui.convex.protocol, the prober,
tui.docker.engine).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

CHUNK = 65536
# Failures of a pooled connection the server closed while it sat idle. A connection that reads
# as closed is never reused (as httpcore checks); a GET that still meets one is sent again once.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
_tls_context: Any = None
_tls_lock = threading.Lock()


class ConnectTimeout(TimeoutError):
    """No connection within the limit."""


class AnswerTimeout(TimeoutError):
    """Connected, but no complete answer (status, headers and body) within the limit."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole response. ``headers`` have lower-case names."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def tls_context() -> Any:
    """One verifying context per process, built on first use (loading the CA store costs)."""
    global _tls_context
    with _tls_lock:
        if _tls_context is None:
            import ssl

            _tls_context = ssl.create_default_context()
        return _tls_context


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class HttpSession:
    """Requests to one origin (``http://host:port``, ``https://…`` or ``unix:///path``).

    Thread-safe: each request takes an idle connection or opens one, and gives it back once the
    answer is read. ``headers`` go with every request."""

    def __init__(
        self,
        origin: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        max_idle: int = 4,
    ) -> None:
        self.origin = origin.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        self._max_idle = max_idle
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        parts = urlsplit(self.origin)
        self._scheme = parts.scheme
        if parts.scheme == "unix":
            self._host, self._port = parts.path, None
        else:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) or unix origin: {origin!r}")
            self._host, self._port = parts.hostname, parts.port  # .port raises on a bad port
        self.host_header = parts.netloc if parts.scheme != "unix" else "localhost"

    # ------------------------------------------------------------------ connections

    def _new(self, timeout: float) -> http.client.HTTPConnection:
        if self._scheme == "unix":
            return _UnixConnection(self._host, timeout)
        if self._scheme == "https":
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=tls_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def _take(self) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None or _usable(conn):
                return conn
            conn.close()

    def _give_back(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def __enter__(self) -> HttpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def _deadline(self, timeout: float | None) -> float:
        return time.monotonic() + (self.timeout if timeout is None else timeout)

    def target(self, path: str, params: Mapping[str, str] | None = None) -> str:
        return f"{path}?{urlencode(params)}" if params else path

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Send one request and read the whole answer within ``timeout`` seconds in all
        (a body that trickles in forever times out too)."""
        deadline = self._deadline(timeout)
        all_headers = {**self.headers, **(headers or {})}
        target = self.target(path, params)
        conn = self._take()
        if conn is not None:
            try:
                return self._exchange(conn, method, target, body, all_headers, deadline, path)
            except _STALE:
                if method != "GET":
                    raise
        return self._exchange(self._connect(deadline), method, target, body, all_headers,
                              deadline, path)  # fmt: skip

    def _connect(self, deadline: float) -> http.client.HTTPConnection:
        conn = self._new(max(deadline - time.monotonic(), 0.001))
        with _closed_on_error(conn, ConnectTimeout(f"no connection to {self.origin}")):
            conn.connect()
        return conn

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        target: str,
        body: bytes | None,
        headers: dict[str, str],
        deadline: float,
        path: str,
    ) -> Reply:
        with _closed_on_error(conn, AnswerTimeout(f"no complete answer from {self.origin}")):
            self._write(conn, method, target, body, headers, deadline)
        return self._receive(conn, method, path, deadline)

    def _receive(
        self, conn: http.client.HTTPConnection, method: str, path: str, deadline: float
    ) -> Reply:
        with _closed_on_error(conn, AnswerTimeout(f"no complete answer from {self.origin}")):
            _arm(conn, deadline)
            resp = conn.getresponse()
            chunks: list[bytes] = []
            while True:
                _arm(conn, deadline)
                chunk = resp.read1(CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
            resp.read()  # marks the answer complete so the connection can be reused
        if resp.will_close:
            conn.close()
        else:
            self._give_back(conn)
        return Reply(method, path, resp.status, _headers(resp), b"".join(chunks))

    def begin(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Pending:
        """Send a bodiless request now and read its answer later (``Pending.answer``): the
        caller works on the last answer while the server holds this one (a long poll)."""
        deadline = self._deadline(timeout)
        request = (method, self.target(path, params), path, {**self.headers, **(headers or {})})
        conn = self._take()
        pooled = conn is not None
        if conn is None:
            conn = self._connect(deadline)
        with _closed_on_error(conn, AnswerTimeout(f"no complete answer from {self.origin}")):
            self._write(conn, request[0], request[1], None, request[3], deadline)
        return Pending(self, conn, request, deadline, pooled)

    def _write(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        target: str,
        body: bytes | None,
        headers: dict[str, str],
        deadline: float,
    ) -> None:
        if conn.sock is None:
            conn.timeout = max(deadline - time.monotonic(), 0.001)
            conn.connect()
        _arm(conn, deadline)
        conn.request(method, target, body=body, headers=headers)

    def _send(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        target: str,
        body: bytes | None,
        headers: dict[str, str],
        deadline: float,
    ) -> http.client.HTTPResponse:
        self._write(conn, method, target, body, headers, deadline)
        _arm(conn, deadline)
        return conn.getresponse()

    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Stream:
        """Open a response that is read as it comes (the engine's events and stats streams).

        ``timeout`` bounds the connection and the status line; reading the body then waits as
        long as the server is quiet. Close the stream (from any thread) to stop."""
        deadline = self._deadline(timeout)
        conn = self._connect(deadline)
        with _closed_on_error(conn, AnswerTimeout(f"no answer from {self.origin}")):
            resp = self._send(conn, method, self.target(path, params), None,
                              {**self.headers, **(headers or {})}, deadline)  # fmt: skip
        if conn.sock is not None:
            conn.sock.settimeout(None)
        return Stream(conn, resp, path)


@contextlib.contextmanager
def _closed_on_error(conn: http.client.HTTPConnection, on_timeout: Exception) -> Iterator[None]:
    """Any failure closes ``conn`` (never returned to the pool half-read); a timeout is raised
    as ``on_timeout``, which says which wait ran out."""
    try:
        yield
    except TimeoutError:
        conn.close()
        raise on_timeout from None
    except BaseException:
        conn.close()
        raise


class Pending:
    """A request on the wire (``HttpSession.begin``) whose answer is read by :meth:`answer`."""

    def __init__(
        self,
        session: HttpSession,
        conn: http.client.HTTPConnection,
        request: tuple[str, str, str, dict[str, str]],
        deadline: float,
        pooled: bool,
    ) -> None:
        self._session, self._conn, self._request = session, conn, request
        self._deadline, self._pooled = deadline, pooled
        self._aborted = threading.Event()

    def answer(self) -> Reply:
        """Block until the whole answer is read (within the request's deadline)."""
        method, target, path, headers = self._request
        try:
            return self._session._receive(self._conn, method, path, self._deadline)
        except _STALE:
            if not self._pooled or method != "GET" or self._aborted.is_set():
                raise
        # A pooled connection the server had closed meanwhile: once more on a fresh one.
        s = self._session
        return s._exchange(s._connect(self._deadline), method, target, None, headers,
                           self._deadline, path)  # fmt: skip

    def abort(self) -> None:
        """Thread-safe: a reader blocked in :meth:`answer` wakes with an error."""
        self._aborted.set()
        sock = self._conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Stream:
    """A response body read as it arrives: :meth:`lines` yields one line at a time."""

    def __init__(self, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse,
                 path: str) -> None:  # fmt: skip
        self._conn = conn
        self._resp = resp
        self.path = path
        self.status = resp.status
        self.headers = _headers(resp)
        self._closed = threading.Event()

    def read_all(self, limit: int = 1 << 20) -> bytes:
        """The rest of the body (an error answer), at most ``limit`` bytes."""
        try:
            return self._resp.read(limit)
        finally:
            self.close()

    def lines(self) -> Iterator[bytes]:
        """Each line of the body, without its newline, until the server ends it or
        :meth:`close` is called (then the iteration just stops)."""
        pending = b""
        try:
            while not self._closed.is_set():
                chunk = self._resp.read1(CHUNK)
                if not chunk:
                    break
                pending += chunk
                *complete, pending = pending.split(b"\n")
                yield from (line for line in complete if line.strip())
        except http.client.IncompleteRead:
            pass  # the server went away mid-body: the stream just ends
        except (OSError, ValueError, http.client.HTTPException):
            if not self._closed.is_set():
                raise
        if pending.strip() and not self._closed.is_set():
            yield pending

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """Thread-safe: wakes a reader blocked on the socket."""
        if self._closed.is_set():
            return
        self._closed.set()
        sock = self._conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._conn.close()


def _usable(conn: http.client.HTTPConnection) -> bool:
    """An idle connection is usable while nothing can be read from it: readable means the
    server closed it (or sent something unasked)."""
    import select

    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _arm(conn: http.client.HTTPConnection, deadline: float) -> None:
    """The socket's timeout for the next operation: whatever is left of the deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    if conn.sock is not None:
        conn.sock.settimeout(left)


def _headers(resp: http.client.HTTPResponse) -> dict[str, str]:
    return {k.lower(): v for k, v in resp.getheaders()}
