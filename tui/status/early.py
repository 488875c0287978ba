"""What the console starts before it imports Textual, so its first frame is the finished one
(issue 19): the first probe round (`ServiceProber.start`) and the Docker watch of this
deployment's containers. Textual's import takes ~150 ms; both answers come in meanwhile on
their own threads, and the Status pane shows them as it mounts instead of a frame or two later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.safety.guard import WriteGuard, guard_for
from tui.status.services import ServiceProber, selector_for

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.docker.client import DockerService
    from tui.docker.models import Selector
    from tui.docker.watcher import WatchUpdate
    from tui.status.services import Watch

Sink = Callable[["WatchUpdate"], object]
Failed = Callable[[BaseException], object]


class EarlyWatch:
    """A container watch running before anyone listens: its updates are kept until `attach`,
    then handed on from the same thread, in order. Owns its thread (never a shared executor)."""

    def __init__(self, make: Callable[[], Watch], selector: Selector) -> None:
        self.selector = selector
        self._lock = threading.Lock()
        self._kept: list[WatchUpdate] = []
        self._failure: BaseException | None = None
        self._sink: Sink | None = None
        self._failed: Failed | None = None
        self._watch: Watch | None = None
        self._stopped = False
        self._thread = threading.Thread(
            target=self._run, args=(make,), name="docker events", daemon=True
        )
        self._thread.start()

    def _run(self, make: Callable[[], Watch]) -> None:
        try:
            watch = make()
            with self._lock:
                self._watch = watch
                stopped = self._stopped
            if stopped:
                watch.stop()
            for update in watch:
                with self._lock:
                    sink = self._sink
                    if sink is None:
                        self._kept.append(update)
                        continue
                sink(update)
        except Exception as exc:  # noqa: BLE001 - handed to whoever listens, as StreamThread does
            with self._lock:
                failed = self._failed
                if failed is None:
                    self._failure = exc
            if failed is not None:
                failed(exc)

    def attach(self, sink: Sink, failed: Failed) -> list[WatchUpdate]:
        """From now on updates go to ``sink`` (on this watch's thread); returns those that came
        before, for the caller to apply at once, in order."""
        with self._lock:
            kept, self._kept = self._kept, []
            failure, self._failure = self._failure, None
            self._sink, self._failed = sink, failed
        if failure is not None:
            failed(failure)
        return kept

    def stop(self) -> None:
        """Thread-safe, prompt: the watch ends; nothing is handed on after."""
        with self._lock:
            self._stopped = True
            self._sink = None
            watch = self._watch
        if watch is not None:
            watch.stop()


@dataclass
class EarlyStart:
    """The first target's clients, already at work; the App's context adopts them once."""

    settings: Settings
    guard: WriteGuard
    prober: ServiceProber
    docker: DockerService | None
    docker_error: str | None
    watch: EarlyWatch | None

    def take_watch(self, selector: Selector) -> EarlyWatch | None:
        """The early watch, once, when it watches ``selector``; else None (and it stops)."""
        watch, self.watch = self.watch, None
        if watch is not None and watch.selector != selector:
            watch.stop()
            return None
        return watch

    def close(self) -> None:
        """Stops the watch if no pane took it (the console closed or switched target first)."""
        watch, self.watch = self.watch, None
        if watch is not None:
            watch.stop()


def start_early(settings: Settings) -> EarlyStart:
    """Send the first probe round and start watching the containers, from plain threads."""
    guard = guard_for(settings)
    prober = ServiceProber.from_settings(settings).start()
    docker: DockerService | None = None
    error: str | None = None
    watch: EarlyWatch | None = None
    try:
        from tui.docker.client import DockerService

        docker = DockerService(guard=guard)
    except ImportError as exc:  # the docker SDK is a dependency, but a broken install is possible
        error = f"Docker SDK not importable: {exc}"
    if docker is not None:
        service, selector = docker, selector_for(settings)
        watch = EarlyWatch(lambda: service.watch(selector), selector)
    return EarlyStart(settings, guard, prober, docker, error, watch)
