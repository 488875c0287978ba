"""The Docker engine's log wire, read per chunk rather than per line.

A logs response is asked for over HTTP/1.0, so the engine answers with the raw body (no chunked
encoding: over HTTP/1.1 it sends every line as its own chunk). The body is the engine's 8-byte
framed stream (stdout/stderr) unless the container has a TTY. `LineDecoder` walks the frame
headers of a whole read, joins each stream's payloads, decodes them once and splits them once;
`line_time` then costs one slice and one float per line (the seconds part of the stamp is
parsed once per second of log, not per line).
"""

from __future__ import annotations

import calendar
import json
import os
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

DEFAULT_SOCKET = "/var/run/docker.sock"
STDOUT, STDERR = 1, 2
READ_SIZE = 1 << 15  # a batch: ~700 lines, parsed before the engine's socket buffer fills
GATHER_S = 0.01  # a busy stream's batch window
_HEADER = struct.Struct(">BxxxL")
_epoch_cache: dict[str, float] = {}


def engine_url(base_url: str | None = None) -> str:
    return base_url or os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"


def _second(head: str) -> float | None:
    base = _epoch_cache.get(head)
    if base is None:
        try:
            base = float(calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S")))
        except ValueError:
            return None
        if len(_epoch_cache) > 4096:
            _epoch_cache.clear()
        _epoch_cache[head] = base
    return base


def docker_time(stamp: str | bytes) -> float | None:
    """``2024-05-01T12:34:56.123456789Z`` (any number of fraction digits) → seconds."""
    if isinstance(stamp, bytes):
        try:
            stamp = stamp.decode("ascii")
        except UnicodeDecodeError:
            return None
    base = _second(stamp[:19])
    if base is None:
        return None
    frac = stamp[19:].rstrip("Z")
    if frac.startswith("."):
        try:
            return base + float(frac)
        except ValueError:
            return base
    return base


def line_time(line: str) -> tuple[float | None, str]:
    """(time, text) of one ``timestamps=1`` line; (None, line) when it has no stamp."""
    if len(line) > 30 and line[30] == " " and line[29] == "Z":  # the engine's fixed width
        base = _epoch_cache.get(line[:19])
        if base is None:
            base = _second(line[:19])
        if base is not None:
            try:
                return base + float(line[19:29]), line[31:]
            except ValueError:
                pass
    stamp, sep, text = line.partition(" ")
    when = docker_time(stamp) if sep else None
    return (when, text) if when is not None else (None, line)


def batch_times(lines: list[str]) -> tuple[list[float], list[str]] | None:
    """`line_time` for a whole batch in a few list passes (no per-line call), or None when
    some line lacks the engine's fixed-width stamp (then the caller goes line by line)."""
    cache = _epoch_cache
    try:
        for head in {line[:19] for line in lines}:  # one or two seconds a batch
            if head not in cache and _second(head) is None:
                return None
        if "".join([line[29:31] for line in lines]) != "Z " * len(lines):
            return None
        times = [cache[line[:19]] + float(line[19:29]) for line in lines]
    except (KeyError, ValueError):
        return None
    return times, [line[31:] for line in lines]


class LineDecoder:
    """Bytes of a logs body → complete lines per stream; frames and lines may split anywhere.

    ``feed`` returns ``[(stream, [line, ...]), ...]`` (text decoded, invalid UTF-8 replaced, a
    CR before the newline dropped); ``flush`` the unterminated rest at the end of a body."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self._buf = b""
        self._partial = {STDOUT: b"", STDERR: b""}

    def feed(self, data: bytes) -> list[tuple[int, list[str]]]:
        if self.tty:
            return self._lines(STDOUT, data)
        buf = self._buf + data if self._buf else data
        out: list[bytes] = []
        err: list[bytes] = []
        pos, end = 0, len(buf)
        unpack = _HEADER.unpack_from
        while end - pos >= 8:
            sid, length = unpack(buf, pos)
            start = pos + 8
            stop = start + length
            if stop > end:
                break
            (err if sid == STDERR else out).append(buf[start:stop])
            pos = stop
        self._buf = buf[pos:]
        found = self._lines(STDOUT, b"".join(out)) if out else []
        if err:
            found += self._lines(STDERR, b"".join(err))
        return found

    def _lines(self, sid: int, payload: bytes) -> list[tuple[int, list[str]]]:
        rest = self._partial[sid]
        if rest:
            payload = rest + payload
        cut = payload.rfind(b"\n")
        if cut < 0:
            self._partial[sid] = payload
            return []
        self._partial[sid] = payload[cut + 1 :]
        return [(sid, _split(payload[: cut + 1]))]

    def flush(self) -> list[tuple[int, list[str]]]:
        # What is left holds no newline (feed cut at the last one): one line, as it came (a
        # trailing CR is kept: no newline followed it).
        out = [(sid, [rest.decode("utf-8", "replace")]) for sid, rest in self._partial.items()
               if rest]  # fmt: skip
        self._partial = {STDOUT: b"", STDERR: b""}
        return out


def _split(blob: bytes) -> list[str]:
    """Newline-terminated lines → their texts (CRLF ends a line too), one decode for all."""
    text = blob.decode("utf-8", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text[:-1].split("\n")


class Dechunker:
    """HTTP/1.1 chunked decoding over big reads, for an engine (or proxy) that answers a 1.0
    request with chunks anyway."""

    def __init__(self) -> None:
        self._buf = b""
        self.done = False

    def feed(self, data: bytes) -> bytes:
        buf = self._buf + data if self._buf else data
        out: list[bytes] = []
        pos, end = 0, len(buf)
        find = buf.find
        while pos < end:
            eol = find(b"\r\n", pos)
            if eol < 0:
                break
            size = int(buf[pos:eol].split(b";", 1)[0], 16)
            if size == 0:
                self.done = True
                pos = end
                break
            start = eol + 2
            if end < start + size + 2:
                break
            out.append(buf[start : start + size])
            pos = start + size + 2
        self._buf = buf[pos:]
        return b"".join(out)


class EngineError(Exception):
    """The engine could not be reached, dropped the connection, or answered an error."""


@dataclass
class Response:
    """An engine answer whose head was read; ``body`` holds what came with the head."""

    sock: socket.socket
    status: int
    chunked: bool
    body: bytes


def _connect(base_url: str, timeout: float) -> socket.socket:
    try:
        if base_url.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(base_url[len("unix://") :])
            return sock
        parts = urlsplit(base_url.replace("tcp://", "http://", 1))
        return socket.create_connection((parts.hostname or "", parts.port or 2375), timeout)
    except OSError as exc:
        raise EngineError(f"cannot connect to the engine at {base_url}: {exc}") from exc


def request(
    base_url: str, path: str, params: dict[str, str] | None = None, timeout: float = 10.0
) -> Response:
    """GET over a plain socket, HTTP/1.0 (the body ends when the engine closes). Blocking,
    bounded by ``timeout`` until the head has arrived; the caller closes ``sock``."""
    sock = _connect(base_url, timeout)
    try:
        query = f"?{urlencode(params)}" if params else ""
        sock.sendall(f"GET {path}{query} HTTP/1.0\r\nHost: docker\r\n\r\n".encode("ascii"))
        data = b""
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            if not more or len(data) > 65536:
                raise EngineError("the engine closed the connection before answering")
            data += more
    except OSError as exc:
        sock.close()
        raise EngineError(f"the engine dropped the connection: {exc}") from exc
    except EngineError:
        sock.close()
        raise
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError) as exc:
        sock.close()
        raise EngineError(f"not an HTTP answer: {lines[0][:80]!r}") from exc
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    return Response(sock, status, chunked, body)


def get_json(
    base_url: str, path: str, params: dict[str, str] | None = None, timeout: float = 10.0
) -> tuple[int, Any]:
    """(status, decoded JSON body or None) of one short engine call, bounded by ``timeout``."""
    resp = request(base_url, path, params, timeout)
    parts = [resp.body]
    deadline = time.monotonic() + timeout
    try:
        while True:
            resp.sock.settimeout(max(0.01, deadline - time.monotonic()))
            more = resp.sock.recv(65536)
            if not more:
                break
            parts.append(more)
    except OSError as exc:
        raise EngineError(f"the engine did not finish answering {path}: {exc}") from exc
    finally:
        resp.sock.close()
    body = b"".join(parts)
    if resp.chunked:
        body = Dechunker().feed(body)
    try:
        return resp.status, json.loads(body) if body else None
    except ValueError:
        return resp.status, None


class BatchReader:
    """Reads a log body in batches: one syscall per ``READ_SIZE`` or per ``GATHER_S``.

    The engine writes every log line separately, and a unix socket holds only a few hundred such
    writes, so a reader that takes whatever is there reads ~35 lines a syscall. Once lines flow,
    this one waits in the kernel (MSG_WAITALL, bounded by SO_RCVTIMEO) until a batch gathered;
    after a quiet spell it returns the first bytes at once, so a lone line is never delayed.
    ``read`` returns b"" at the end of the body and None when ``idle_s`` passed without data
    (a chance to look at a stop flag)."""

    def __init__(self, sock: socket.socket, first: bytes = b"", idle_s: float = 0.25) -> None:
        self.sock = sock
        self._pending = first
        self._idle_s = idle_s
        self._busy = False
        self._timeout: float | None = -1.0
        sock.settimeout(None)  # blocking; the kernel's SO_RCVTIMEO bounds each wait

    def _set_timeout(self, seconds: float) -> None:
        if seconds != self._timeout:
            usec = int(seconds * 1e6)
            self.sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", usec // 1_000_000,
                                                                   usec % 1_000_000)
            )  # fmt: skip
            self._timeout = seconds

    def read(self) -> bytes | None:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        try:
            if self._busy:
                self._set_timeout(GATHER_S)
                data = self.sock.recv(READ_SIZE, socket.MSG_WAITALL)
            else:
                self._set_timeout(self._idle_s)
                data = self.sock.recv(READ_SIZE)
        except (BlockingIOError, TimeoutError):  # nothing within the timeout
            self._busy = False
            return None
        self._busy = bool(data)
        return data
