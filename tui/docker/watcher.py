"""A self-healing feed of the deployment's containers, for the status pane's thread worker.

Iterate a :class:`ProjectWatcher` in a thread worker and post each update to the UI::

    watcher = service.watch(Selector(project="convex"))
    for update in watcher:          # blocks; survives dockerd stopping and starting again
        post_message(update)
    # from the UI thread (on unmount): watcher.stop()

It subscribes to the events stream *before* listing containers (nothing is missed between the
two), yields a :class:`Snapshot`, then one :class:`ContainerChanged` per event with the
container re-inspected. When the engine goes away it yields :class:`Disconnected` and retries
with exponential backoff; when the engine is back it yields a fresh :class:`Snapshot`.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Protocol

from tui.docker.errors import ContainerNotFound, DockerError
from tui.docker.models import ContainerEvent, ContainerInfo, EngineInfo, Selector
from tui.docker.streams import DockerStream


class EngineSource(Protocol):
    """What the watcher needs of the engine (`tui.docker.client.DockerService` is one)."""

    def ping(self) -> EngineInfo: ...

    def list_containers(self, selector: Selector | None = None) -> list[ContainerInfo]: ...

    def inspect(self, container: str) -> ContainerInfo: ...

    def events(
        self, selector: Selector | None = None, *, convex_projects: Collection[str] = ()
    ) -> DockerStream[ContainerEvent]: ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything, after (re)connecting: replace the pane's table with this."""

    engine: EngineInfo
    containers: tuple[ContainerInfo, ...]
    selector: Selector | None = None  # resolved: which rule matched (`Selector.describe`)


@dataclass(frozen=True, slots=True)
class ContainerChanged:
    """One event; ``container`` is its state right after (``None`` once removed)."""

    event: ContainerEvent
    container: ContainerInfo | None


@dataclass(frozen=True, slots=True)
class Disconnected:
    """Docker is unreachable (or failing); the next attempt is in ``retry_in`` seconds."""

    error: DockerError
    retry_in: float


WatchUpdate = Snapshot | ContainerChanged | Disconnected


class ProjectWatcher:
    def __init__(
        self,
        service: EngineSource,
        selector: Selector,
        *,
        retry_initial: float = 0.5,
        retry_max: float = 8.0,
    ) -> None:
        self._service = service
        self._selector = selector
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._stop = threading.Event()
        self._stream: DockerStream[ContainerEvent] | None = None
        self._lock = threading.Lock()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Thread-safe: ends the iteration promptly, even while it waits for an event."""
        self._stop.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()

    def __iter__(self) -> Iterator[WatchUpdate]:
        delay = self._retry_initial
        while not self._stop.is_set():
            try:
                yield from self._connected_session()
                delay = self._retry_initial
            except DockerError as err:
                if self._stop.is_set():
                    return
                yield Disconnected(err, delay)
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self._retry_max)
            finally:
                self._set_stream(None)

    def _set_stream(self, stream: DockerStream[ContainerEvent] | None) -> None:
        with self._lock:
            old, self._stream = self._stream, stream
        if old is not None and old is not stream:
            old.close()
        if stream is not None and self._stop.is_set():
            stream.close()  # stop() ran while we were subscribing

    def _connected_session(self) -> Iterator[WatchUpdate]:
        svc, selector = self._service, self._selector
        engine = svc.ping()
        convex_projects: set[str] = set()
        stream = svc.events(selector, convex_projects=convex_projects)
        self._set_stream(stream)
        containers = svc.list_containers(selector)
        # The rule that applies (project, working dir or images), from what is there now.
        resolved = selector.resolve(c.labels for c in containers)
        convex_projects.update(c.project for c in containers if c.is_convex and c.project)
        yield Snapshot(engine, tuple(containers), resolved)
        for event in stream:
            if not resolved.matches(event.labels, event.image, convex_projects):
                continue
            info: ContainerInfo | None = None
            if event.action != "destroy":
                try:
                    info = svc.inspect(event.container_id)
                except ContainerNotFound:
                    info = None
            if info is not None and info.is_convex and info.project:
                convex_projects.add(info.project)
            yield ContainerChanged(event, info)
