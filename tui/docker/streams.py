"""Blocking engine streams that another thread can stop, and the log-line splitter."""

from __future__ import annotations

import codecs
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Literal, Protocol, TypeVar

from tui.docker.errors import DockerError
from tui.docker.models import LogLine, parse_docker_time

T = TypeVar("T")


class _RawStream(Protocol):
    def __next__(self) -> Any: ...
    def close(self) -> None: ...


class DockerStream(Generic[T], Iterator[T]):
    """An iterator over an engine stream (events, stats, logs).

    ``close()`` may be called from any thread: it shuts the socket, so a worker blocked in
    ``next()`` wakes up and the iteration ends quietly. When the engine ends the stream on its
    own, ``on_end`` decides whether that is an error (the events stream only ends when the engine
    goes away) or a normal end (logs of a container that stopped).
    """

    def __init__(
        self,
        raw: _RawStream,
        parse: Callable[[Any], Iterable[T]],
        translate: Callable[[BaseException], DockerError],
        *,
        flush: Callable[[], Iterable[T]] | None = None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self._raw = raw
        self._parse = parse
        self._translate = translate
        self._flush = flush
        self._on_end = on_end
        self._pending: deque[T] = deque()
        self._closed = threading.Event()
        self._ended = False

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        self._closed.set()
        try:
            self._raw.close()
        except Exception:  # noqa: BLE001 - the socket may already be gone; closing is best effort
            pass

    def __enter__(self) -> DockerStream[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> DockerStream[T]:
        return self

    def __next__(self) -> T:
        while not self._pending:
            if self._closed.is_set() or self._ended:
                raise StopIteration
            try:
                item = next(self._raw)
            except StopIteration:
                self._ended = True
                if self._closed.is_set():
                    raise
                if self._flush is not None:
                    self._pending.extend(self._flush())
                if not self._pending:
                    if self._on_end is not None:
                        self._on_end()
                    raise
                break
            except Exception as exc:
                self._ended = True
                if self._closed.is_set():
                    raise StopIteration from None
                raise self._translate(exc) from exc
            self._pending.extend(self._parse(item))
        return self._pending.popleft()


STDOUT, STDERR = 1, 2


class LogSplitter:
    """Turns multiplexed ``(stream_id, bytes)`` frames into :class:`LogLine` s.

    Frames do not always end on a line (or a UTF-8 character) boundary, so each stream keeps its
    own incremental decoder and partial line.
    """

    def __init__(self, container_id: str, timestamps: bool) -> None:
        self._cid = container_id
        self._timestamps = timestamps
        self._decoders = {
            STDOUT: codecs.getincrementaldecoder("utf-8")("replace"),
            STDERR: codecs.getincrementaldecoder("utf-8")("replace"),
        }
        self._partial = {STDOUT: "", STDERR: ""}

    def feed(self, frame: tuple[int, bytes]) -> list[LogLine]:
        stream_id, data = frame
        sid = STDERR if stream_id == STDERR else STDOUT
        text = self._partial[sid] + self._decoders[sid].decode(data)
        *lines, self._partial[sid] = text.split("\n")
        return [self._line(sid, line) for line in lines]

    def flush(self) -> list[LogLine]:
        out = []
        for sid in (STDOUT, STDERR):
            rest = self._partial[sid] + self._decoders[sid].decode(b"", final=True)
            self._partial[sid] = ""
            if rest:
                out.append(self._line(sid, rest))
        return out

    def _line(self, sid: int, line: str) -> LogLine:
        line = line.removesuffix("\r")
        when = None
        if self._timestamps:
            stamp, sep, rest = line.partition(" ")
            when = parse_docker_time(stamp)
            if when is not None:
                line = rest
            elif not sep:
                # An empty line with a timestamp arrives as just the stamp.
                when = parse_docker_time(stamp.strip())
                line = "" if when is not None else line
        stream: Literal["stdout", "stderr"] = "stderr" if sid == STDERR else "stdout"
        return LogLine(self._cid, stream, when, line)


def _halt(source: object) -> None:
    for name in ("stop", "close"):
        method = getattr(source, name, None)
        if callable(method):
            try:
                method()
            except Exception:  # noqa: BLE001 - stopping is best effort: the socket may be gone
                pass
            return


class StreamThread(Generic[T]):
    """A long-lived blocking stream (events, stats, logs) on its own daemon thread.

    Never on asyncio's default executor: that pool has ``min(32, cpus + 4)`` threads, so a few
    streams would fill it and every `to_thread` call (a user's `stop`) would queue behind them.
    ``open_source`` is called on the thread and returns an iterable with ``stop()`` or
    ``close()``; ``on_item`` gets each item, ``on_error`` an exception that ended the stream.
    ``stop()`` is thread-safe and wakes a thread blocked on the socket.
    """

    def __init__(
        self,
        name: str,
        open_source: Callable[[], Iterable[T]],
        on_item: Callable[[T], object],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.name = name
        self._open = open_source
        self._on_item = on_item
        self._on_error = on_error
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._source: object | None = None
        self._thread = threading.Thread(target=self._run, name=f"stream {name}", daemon=True)

    def start(self) -> StreamThread[T]:
        self._thread.start()
        return self

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            source = self._source
        if source is not None:
            _halt(source)

    def _run(self) -> None:
        try:
            source = self._open()
            with self._lock:
                self._source = source
            if self._stopped.is_set():
                _halt(source)
                return
            for item in source:
                if self._stopped.is_set():
                    break
                self._on_item(item)
        except Exception as exc:  # noqa: BLE001 - reported to the owner, never lost in a thread
            if not self._stopped.is_set() and self._on_error is not None:
                self._on_error(exc)
        finally:
            with self._lock:
                last, self._source = self._source, None
            if last is not None:
                _halt(last)


def run_action(
    name: str, action: Callable[[], None], on_done: Callable[[BaseException | None], None]
) -> threading.Thread:
    """A user action (start/stop/restart) on a fresh thread: it starts now, whatever streams and
    other actions are running. ``on_done`` gets the error, or None."""

    def body() -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - handed to the owner, who tells the user
            on_done(exc)
            return
        on_done(None)

    thread = threading.Thread(target=body, name=f"action {name}", daemon=True)
    thread.start()
    return thread
