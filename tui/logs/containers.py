"""Container logs at the engine's speed: the Docker API read directly (the wire is in
`tui.logs.engine`), one thread per followed container that follows with timestamps, resumes
after a stop, a recreate or an engine outage from the last line it saw (no duplicates), and
adds a marker row each time."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Protocol
from urllib.parse import quote

from tui.convex.backoff import Backoff
from tui.docker.models import PROJECT_LABEL, Selector, select_listed
from tui.logs.engine import (
    STDERR,
    BatchReader,
    Dechunker,
    EngineError,
    LineDecoder,
    batch_times,
    engine_url,
    get_json,
    line_time,
    request,
)
from tui.logs.record import ContainerLine, Record, marker

Emit = Callable[[list[Record]], object]
TAIL_ENV, SINCE_ENV = "CONVEX_TUI_LOG_TAIL", "CONVEX_TUI_LOG_SINCE"


class ContainerLogs(Protocol):
    """What the Logs pane asks of its container readers (`Followers`; tests pass a script)."""

    def start(self, name: str) -> None: ...

    def stop(self, name: str) -> None: ...

    def list(self, selector: Selector, timeout: float = ...) -> list[str]: ...

    def close(self) -> None: ...


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
    """Follow one container's logs (blocking: run it on a thread of its own) until ``stop``."""

    def __init__(
        self,
        name: str,
        emit: Emit,
        *,
        tail: int | None = 200,
        since: float | None = None,
        backoff: Backoff | None = None,
        base_url: str | None = None,
        state: StreamState | None = None,
    ) -> None:
        # A state from an earlier stream of the same container: resume after its last line.
        self.state = dataclasses.replace(state) if state else StreamState(name)
        self._sink = emit
        self._tail = tail
        self._since = since
        self._backoff = backoff or Backoff(initial=0.25, maximum=4.0)
        self._base_url = engine_url(base_url)
        self.stopped = threading.Event()

    def stop(self) -> None:
        """Ends `run` within a quarter of a second, from any thread; nothing is emitted after."""
        self.stopped.set()

    def _emit(self, rows: list[Record]) -> None:
        if not self.stopped.is_set():
            self._sink(rows)

    def run(self) -> None:
        name = self.state.name
        first = True
        trouble: str | None = None
        seen: tuple[str, str] | None = None  # (container id, start time) of the last stream
        while not self.stopped.is_set():
            try:
                info = self._inspect()
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
                    self._follow(bool(info.get("Config", {}).get("Tty")), first)
                    first = False
                    trouble = "ended"  # the engine ends a follow when the container stops
                    continue
            except EngineError as exc:
                reason = f"{name}: docker engine unreachable ({exc}) — retrying"
                trouble = self._mark(trouble, "engine", reason)
            first = False
            self.stopped.wait(self._backoff.next_delay())

    def _mark(self, trouble: str | None, kind: str, text: str) -> str:
        if trouble != kind:
            self._emit([marker(self.state.name, text, trouble=True)])
            self.state.reconnects += 1
        return kind

    def _inspect(self) -> dict[str, Any] | None:
        status, data = get_json(
            self._base_url, f"/containers/{quote(self.state.name, safe='')}/json"
        )
        if status == 404:
            return None
        if status >= 400:
            raise EngineError(f"the engine answered {status} to inspect")
        return data if isinstance(data, dict) else None

    def once(self) -> None:
        """The current window (tail/since) without following: what `logs` prints and exits."""
        info = self._inspect()
        if info is None:
            self._emit([marker(self.state.name, f"{self.state.name}: no such container",
                               trouble=True)])  # fmt: skip
            return
        self._follow(bool(info.get("Config", {}).get("Tty")), True, follow=False)

    def _follow(self, tty: bool, first: bool, *, follow: bool = True) -> None:
        st = self.state
        params: dict[str, str] = {"follow": "1" if follow else "0", "stdout": "1", "stderr": "1",
                                  "timestamps": "1"}  # fmt: skip
        if st.last_time:
            # A hair early (float rounding): the engine repeats what we have; _rows drops it.
            params["since"] = f"{st.last_time - 1e-6:.9f}"
            st.skip, st.resume_from = st.last_seen_at_time, st.last_time
        elif self._since is not None:
            params["since"] = f"{self._since:.9f}"
        if first:  # the window; a resumed stream's catch-up is bounded by it too
            params["tail"] = "all" if self._tail is None else str(max(self._tail, 0))
        resp = request(self._base_url, f"/containers/{quote(st.name, safe='')}/logs", params)
        decoder = LineDecoder(tty)
        try:
            if resp.status == 404:
                return
            if resp.status >= 400:
                raise EngineError(f"the engine answered {resp.status} to logs")
            dechunk = Dechunker() if resp.chunked else None
            reader = BatchReader(resp.sock, resp.body)
            while not self.stopped.is_set():
                try:
                    data = reader.read()
                except OSError as exc:
                    raise EngineError(f"the engine dropped the log stream: {exc}") from exc
                if data is None:
                    continue  # quiet: look at the stop flag, read on
                if not data:
                    break
                if dechunk is not None:
                    data = dechunk.feed(data)
                rows = self._rows(decoder.feed(data)) if data else []
                if rows:
                    self._emit(rows)
                if dechunk is not None and dechunk.done:
                    break
        finally:
            resp.sock.close()
        rows = self._rows(decoder.flush())
        if rows:
            self._emit(rows)

    def _rows(self, batches: list[tuple[int, list[str]]]) -> list[Record]:
        """Lines of one read → rows, in a few list passes per batch; line by line only for
        unstamped lines and right after a resume (the engine repeats the overlap)."""
        st = self.state
        out: list[Record] = []
        for sid, lines in batches:
            level = "stderr" if sid == STDERR else "stdout"
            stamped = batch_times(lines)
            if stamped is None or (st.resume_from and stamped[0][0] <= st.resume_from):
                out += self._rows_slowly(lines, level)
                continue
            times, texts = stamped
            out += map(ContainerLine, times, repeat(st.name), texts, repeat(level))
            newest = max(times)  # a stream's own lines are in order; stdout/stderr interleave
            if newest > st.last_time:
                st.last_time, st.last_seen_at_time = newest, times.count(newest)
            elif newest == st.last_time:
                st.last_seen_at_time += times.count(newest)
        st.lines += len(out)
        return out

    def _rows_slowly(self, lines: list[str], level: str) -> list[Record]:
        st = self.state
        name = st.name
        out: list[Record] = []
        append = out.append
        last, at_last, skip, resume = st.last_time, st.last_seen_at_time, st.skip, st.resume_from
        for line in lines:
            when, text = line_time(line)
            if when is None:
                when = last or time.time()
            if when <= resume:  # the engine repeats the overlap of a resume (since is >=)
                if when < resume:
                    continue
                if skip > 0:
                    skip -= 1
                    continue
            # stdout and stderr interleave slightly out of order: track the newest line.
            if when > last:
                last, at_last = when, 1
            elif when == last:
                at_last += 1
            append(ContainerLine(when, name, text, level))
        st.last_time, st.last_seen_at_time, st.skip = last, at_last, skip
        return out


def list_containers(base_url: str | None, selector: Selector, timeout: float = 10.0) -> list[str]:
    """Names of the deployment's containers, chosen by the Status pane's rule (`Selector`).
    Blocking and bounded: call it from a thread."""
    params: dict[str, str] = {"all": "1"}
    if selector.project:
        params["filters"] = json.dumps({"label": [f"{PROJECT_LABEL}={selector.project}"]})
    status, rows = get_json(engine_url(base_url), "/containers/json", params, timeout)
    if status >= 400 or not isinstance(rows, list):
        raise EngineError(f"the engine answered {status} to the container list")
    chosen = select_listed([r for r in rows if isinstance(r, dict)], selector)
    return sorted(str((r.get("Names") or ["?"])[0]).lstrip("/") for r in chosen)


class Followers:
    """One thread per followed container (blocking reads release the GIL while they wait), so
    reading a fast container never waits for the console's UI loop. Start/stop from any thread."""

    def __init__(
        self, emit: Emit, *, base_url: str | None = None, tail: int | None = 200,
        since: float | None = None,
    ) -> None:  # fmt: skip
        self._emit = emit
        self.base_url = engine_url(base_url)
        self.tail, self.since = tail, since
        self._streams: dict[str, tuple[ContainerStream, threading.Thread]] = {}
        self._states: dict[str, StreamState] = {}  # kept after a stop: a restart resumes
        self._lock = threading.Lock()

    def following(self) -> set[str]:
        with self._lock:
            return set(self._streams)

    def start(self, name: str) -> None:
        with self._lock:
            if name in self._streams:
                return
            stream = ContainerStream(name, self._emit, tail=self.tail, since=self.since,
                                     base_url=self.base_url,
                                     state=self._states.get(name))  # fmt: skip
            self._states[name] = stream.state
            thread = threading.Thread(target=stream.run, name=f"logs {name}", daemon=True)
            self._streams[name] = (stream, thread)
        thread.start()

    def stop(self, name: str) -> None:
        with self._lock:
            found = self._streams.pop(name, None)
        if found is not None:
            found[0].stop()

    def list(self, selector: Selector, timeout: float = 10.0) -> list[str]:
        """The deployment's container names (blocking, bounded)."""
        return list_containers(self.base_url, selector, timeout)

    def close(self, timeout: float = 2.0) -> None:
        with self._lock:
            streams = list(self._streams.values())
            self._streams.clear()
        for stream, _ in streams:
            stream.stop()
        deadline = time.monotonic() + timeout
        for _, thread in streams:
            thread.join(max(0.0, deadline - time.monotonic()))


def window_from_env() -> tuple[int | None, float | None]:
    """(tail, since) each stream starts with: CONVEX_TUI_LOG_TAIL (lines, or "all"; default
    200) and CONVEX_TUI_LOG_SINCE (seconds back; default: no bound)."""
    tail_env = os.environ.get(TAIL_ENV, "200").strip().lower()
    tail = None if tail_env == "all" else int(tail_env) if tail_env.isdigit() else 200
    since_env = os.environ.get(SINCE_ENV, "").strip()
    try:
        since = time.time() - float(since_env) if since_env else None
    except ValueError:
        since = None
    return tail, since


def followers_from_env(emit: Emit, base_url: str | None = None) -> Followers:
    tail, since = window_from_env()
    return Followers(emit, base_url=base_url, tail=tail, since=since)
