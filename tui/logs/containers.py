"""Container logs at the engine's speed: the Docker API read directly (httpx over the unix
socket), the 8-byte frame headers demultiplexed here, one stream per container that follows
with timestamps, resumes after a stop, a recreate or an engine outage from the last line it
saw (no duplicates), and adds a marker row each time."""

from __future__ import annotations

import asyncio
import calendar
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from tui.convex.backoff import Backoff
from tui.logs.record import CONTAINER, Record, marker

Emit = Callable[[list[Record]], None]
DEFAULT_SOCKET = "/var/run/docker.sock"
_HEADER = struct.Struct(">BxxxL")
_epoch_cache: dict[bytes, float] = {}


def docker_time(stamp: bytes) -> float | None:
    """``2024-05-01T12:34:56.123456789Z`` → seconds; the per-second part is cached (lines of
    one second share it), so a line costs a slice and a float()."""
    head = stamp[:19]
    base = _epoch_cache.get(head)
    if base is None:
        try:
            base = float(calendar.timegm(time.strptime(head.decode("ascii"), "%Y-%m-%dT%H:%M:%S")))
        except (ValueError, UnicodeDecodeError):
            return None
        if len(_epoch_cache) > 4096:
            _epoch_cache.clear()
        _epoch_cache[head] = base
    frac = stamp[19:].rstrip(b"Z")
    if frac.startswith(b"."):
        try:
            return base + float(b"0" + frac)
        except ValueError:
            return base
    return base


def engine_url(base_url: str | None = None) -> str:
    return base_url or os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"


class Dechunker:
    """HTTP/1.1 chunked transfer decoding over big reads. The engine sends every log line as its
    own chunk; decoding them one event at a time (h11, ~50 µs each) caps a stream near 12k
    lines/s, slicing them out of 256 KiB reads costs about a microsecond each."""

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


async def raw_stream(
    base_url: str, path: str, params: dict[str, str]
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int, bool]:
    """GET over a plain socket: (reader, writer, status, chunked), headers consumed."""
    from urllib.parse import urlencode, urlsplit

    if base_url.startswith("unix://"):
        reader, writer = await asyncio.open_unix_connection(base_url[len("unix://") :], limit=2**20)
    else:
        parts = urlsplit(base_url.replace("tcp://", "http://", 1))
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 2375,
                                                       limit=2**20)  # fmt: skip
    query = urlencode(params)
    writer.write(f"GET {path}?{query} HTTP/1.1\r\nHost: docker\r\n\r\n".encode("ascii"))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    return reader, writer, status, chunked


def engine_client(base_url: str | None = None, timeout: float = 10.0) -> httpx.AsyncClient:
    """An async HTTP client for the engine (``unix://`` socket or ``tcp://host:port``)."""
    url = engine_url(base_url)
    t = httpx.Timeout(timeout, read=None)  # a quiet container must not time the stream out
    if url.startswith("unix://"):
        transport = httpx.AsyncHTTPTransport(uds=url[len("unix://") :])
        return httpx.AsyncClient(transport=transport, base_url="http://docker", timeout=t)
    return httpx.AsyncClient(base_url=url.replace("tcp://", "http://", 1), timeout=t)


class FrameParser:
    """Bytes of a logs response → ``(stream, line)``; frames and lines may split anywhere."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self._buf = b""
        self._partial = {1: b"", 2: b""}

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        if self.tty:
            self._split(1, data, out)
            return out
        buf = self._buf + data if self._buf else data
        pos, end = 0, len(buf)
        unpack = _HEADER.unpack_from
        while end - pos >= 8:
            sid, length = unpack(buf, pos)
            if end - pos - 8 < length:
                break
            self._split(2 if sid == 2 else 1, buf[pos + 8 : pos + 8 + length], out)
            pos += 8 + length
        self._buf = buf[pos:]
        return out

    def _split(self, sid: int, payload: bytes, out: list[tuple[int, bytes]]) -> None:
        if self._partial[sid]:
            payload = self._partial[sid] + payload
        *lines, self._partial[sid] = payload.split(b"\n")
        out.extend((sid, ln) for ln in lines)

    def flush(self) -> list[tuple[int, bytes]]:
        out = [(sid, rest) for sid, rest in self._partial.items() if rest]
        self._partial = {1: b"", 2: b""}
        return out


@dataclass
class StreamState:
    name: str
    last_time: float = 0.0  # of the last line emitted; resumes start here
    last_seen_at_time: int = 0  # lines already emitted that carry exactly last_time
    skip: int = 0  # after a resume: repeats of those lines still to drop
    resume_from: float = 0.0  # lines before this were delivered by the previous connection
    lines: int = 0
    reconnects: int = 0


class ContainerStream:
    """Follow one container's logs until cancelled."""

    def __init__(
        self,
        name: str,
        emit: Emit,
        *,
        client: httpx.AsyncClient,
        tail: int | None = 200,
        since: float | None = None,
        backoff: Backoff | None = None,
        base_url: str | None = None,
    ) -> None:
        self.state = StreamState(name)
        self._emit = emit
        self._client = client
        self._tail = tail
        self._since = since
        self._backoff = backoff or Backoff(initial=0.25, maximum=4.0)
        self._base_url = engine_url(base_url)

    async def run(self) -> None:
        name = self.state.name
        first = True
        trouble: str | None = None
        seen: tuple[str, str] | None = None  # (container id, start time) of the last stream
        while True:
            try:
                info = await self._inspect()
                running = bool(info and info.get("State", {}).get("Running"))
                if info is None:
                    trouble = self._mark(trouble, "gone", f"{name}: container not found — waiting")
                elif not running and not first:
                    trouble = self._mark(trouble, "stopped", f"{name}: container stopped — waiting")
                else:
                    now = (str(info.get("Id")), str(info.get("State", {}).get("StartedAt")))
                    if seen is not None and now != seen:
                        what = "recreated" if now[0] != seen[0] else "restarted"
                        self._emit([marker(name, f"{name}: container {what} — log resumed")])
                    elif trouble is not None:
                        self._emit([marker(name, f"{name}: log resumed")])
                    trouble, seen = None, now
                    self._backoff.reset()
                    tty = bool(info.get("Config", {}).get("Tty"))
                    await self._follow(tty, first)
                    first = False
                    trouble = "ended"  # the engine ends a follow when the container stops
                    continue
            except httpx.HTTPError as exc:
                reason = f"{name}: docker engine unreachable ({type(exc).__name__}) — retrying"
                trouble = self._mark(trouble, "engine", reason)
            first = False
            await asyncio.sleep(self._backoff.next_delay())

    def _mark(self, trouble: str | None, kind: str, text: str) -> str:
        if trouble != kind:
            self._emit([marker(self.state.name, text, trouble=True)])
            self.state.reconnects += 1
        return kind

    async def _inspect(self) -> dict[str, Any] | None:
        resp = await self._client.get(f"/containers/{quote(self.state.name, safe='')}/json")
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        data = resp.json()
        return data if isinstance(data, dict) else None

    async def once(self) -> None:
        """The current window (tail/since) without following: what `logs` prints and exits."""
        info = await self._inspect()
        if info is None:
            self._emit([marker(self.state.name, f"{self.state.name}: no such container",
                               trouble=True)])  # fmt: skip
            return
        await self._follow(bool(info.get("Config", {}).get("Tty")), True, follow=False)

    async def _follow(self, tty: bool, first: bool, *, follow: bool = True) -> None:
        st = self.state
        params: dict[str, str] = {"follow": "1" if follow else "0", "stdout": "1", "stderr": "1",
                                  "timestamps": "1"}  # fmt: skip
        if st.last_time:
            # A hair early (float rounding): the engine repeats what we have; _rows drops it.
            params["since"] = f"{st.last_time - 1e-6:.9f}"
            st.skip, st.resume_from = st.last_seen_at_time, st.last_time
        elif self._since is not None:
            params["since"] = f"{self._since:.9f}"
        if first and not st.last_time:
            params["tail"] = "all" if self._tail is None else str(max(self._tail, 0))
        parser = FrameParser(tty)
        path = f"/containers/{quote(st.name, safe='')}/logs"
        try:
            reader, writer, status, chunked = await raw_stream(self._base_url, path, params)
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        try:
            if status == 404:
                return
            if status >= 400:
                raise httpx.HTTPError(f"the engine answered {status}")
            dechunk = Dechunker() if chunked else None
            while True:
                try:
                    data = await reader.read(262144)
                except OSError as exc:
                    raise httpx.ReadError(str(exc)) from exc
                if not data:
                    break
                if dechunk is not None:
                    data = dechunk.feed(data)
                rows = self._rows(parser.feed(data)) if data else []
                if rows:
                    self._emit(rows)
                if dechunk is not None and dechunk.done:
                    break
        finally:
            writer.close()
        rows = self._rows(parser.flush())
        if rows:
            self._emit(rows)

    def _rows(self, lines: list[tuple[int, bytes]]) -> list[Record]:
        st = self.state
        name = st.name
        out: list[Record] = []
        append = out.append
        last, at_last, skip, resume = st.last_time, st.last_seen_at_time, st.skip, st.resume_from
        for sid, raw in lines:
            stamp, _, body = raw.partition(b" ")
            when = docker_time(stamp)
            if when is None:
                when, body = (last or time.time()), raw
            if when <= resume:  # the engine repeats the overlap of a resume (since is >=)
                if when < resume:
                    continue
                if skip > 0:
                    skip -= 1
                    continue
            # stdout and stderr interleave slightly out of order: track the newest line only.
            if when > last:
                last, at_last = when, 1
            elif when == last:
                at_last += 1
            text = body.decode("utf-8", "replace").removesuffix("\r")
            append(Record(when, name, CONTAINER, text, "stderr" if sid == 2 else "stdout"))
        st.last_time, st.last_seen_at_time, st.skip = last, at_last, skip
        st.lines += len(out)
        return out


async def list_containers(client: httpx.AsyncClient, project: str | None) -> list[str]:
    """Names of the deployment's containers (the compose project's, else Convex images)."""
    params = {"all": "1"}
    resp = await client.get("/containers/json", params=params)
    resp.raise_for_status()
    names: list[str] = []
    for row in resp.json():
        labels = row.get("Labels") or {}
        image = str(row.get("Image", ""))
        name = str((row.get("Names") or ["?"])[0]).lstrip("/")
        if project:
            if labels.get("com.docker.compose.project") != project:
                continue
        elif labels.get("com.docker.compose.service") not in ("backend", "dashboard") and not (
            "convex-backend" in image or "convex-dashboard" in image
        ):
            continue
        names.append(name)
    return sorted(names)


class Followers:
    """Container streams on a thread of their own (their own event loop), so parsing a fast
    container never competes with the console's UI loop for a turn. Thread-safe start/stop."""

    def __init__(
        self, emit: Emit, *, base_url: str | None = None, tail: int | None = 200,
        since: float | None = None,
    ) -> None:  # fmt: skip
        import threading

        self._emit = emit
        self._base_url = base_url
        self.tail, self.since = tail, since
        self._loop = asyncio.new_event_loop()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._client: httpx.AsyncClient | None = None
        self._thread = threading.Thread(target=self._run, name="container-logs", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _engine(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = engine_client(self._base_url)
        return self._client

    def following(self) -> set[str]:
        return set(self._tasks)  # read from the UI thread: a snapshot is enough

    def start(self, name: str) -> None:
        def go() -> None:
            if name not in self._tasks:
                stream = ContainerStream(
                    name, self._emit, client=self._engine(), tail=self.tail, since=self.since,
                    base_url=self._base_url,
                )  # fmt: skip
                self._tasks[name] = self._loop.create_task(stream.run())

        self._loop.call_soon_threadsafe(go)

    def stop(self, name: str) -> None:
        def halt() -> None:
            task = self._tasks.pop(name, None)
            if task is not None:
                task.cancel()

        self._loop.call_soon_threadsafe(halt)

    def list(self, project: str | None, timeout: float = 10.0) -> list[str]:
        """The deployment's container names (blocking, bounded)."""
        future = asyncio.run_coroutine_threadsafe(
            list_containers(self._engine(), project), self._loop
        )
        return future.result(timeout)

    def close(self) -> None:
        async def shutdown() -> None:
            for task in self._tasks.values():
                task.cancel()
            if self._client is not None:
                await self._client.aclose()
            self._loop.stop()

        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
            self._thread.join(5)
