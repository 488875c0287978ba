"""The status pane's promise: survive dockerd being stopped and started again.

Stops the engine for real, so it only runs when the engine was started by .ci/setup-docker.sh
(its pidfile names a live dockerd) *and* CI or CONVEX_TUI_ALLOW_DOCKERD_RESTART=1 is set: other
users of a shared engine would see it disappear for a few seconds.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docker_fixtures import ComposeProject, wait_for
from tui.docker import (
    ContainerChanged,
    Disconnected,
    DockerService,
    DockerUnavailable,
    Selector,
    Snapshot,
)

pytestmark = [pytest.mark.docker, pytest.mark.docker_restart, pytest.mark.timeout(90)]

STATE_DIR = Path(os.environ.get("TMPDIR") or "/tmp")
PIDFILE = Path(os.environ.get("CONVEX_TUI_DOCKERD_PIDFILE") or STATE_DIR / "convex-tui-dockerd.pid")
LOGFILE = Path(os.environ.get("CONVEX_TUI_DOCKERD_LOG") or STATE_DIR / "convex-tui-dockerd.log")


def _dockerd_pid() -> int | None:
    try:
        pid = int(PIDFILE.read_text().strip())
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, ValueError):
        return None
    return pid if comm == "dockerd" else None


def _restartable_dockerd() -> tuple[int, list[str]]:
    if not (os.environ.get("CI") or os.environ.get("CONVEX_TUI_ALLOW_DOCKERD_RESTART") == "1"):
        pytest.skip("stops dockerd: set CONVEX_TUI_ALLOW_DOCKERD_RESTART=1 (CI runs it)")
    pid = _dockerd_pid()
    if pid is None:
        pytest.skip(f"dockerd was not started by .ci/setup-docker.sh (no live pid in {PIDFILE})")
    try:
        os.kill(pid, 0)
    except PermissionError:
        pytest.skip(f"not allowed to signal dockerd {pid}")
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    return pid, [a.decode() for a in argv]


def _launch(argv: list[str]) -> None:
    # setsid -f: dockerd is reparented to init at once, as setup-docker.sh leaves it.
    with LOGFILE.open("ab") as log:
        subprocess.run(["setsid", "-f", *argv], stdin=subprocess.DEVNULL, stdout=log, stderr=log)


def _drain(source: Iterable[Any], into: queue.Queue[Any]) -> None:
    for item in source:
        into.put(item)


@contextlib.contextmanager
def _watching(service: DockerService, project: str) -> Iterator[queue.Queue[Any]]:
    watcher = service.watch(Selector(project))
    watcher_q: queue.Queue[Any] = queue.Queue()
    thread = threading.Thread(target=_drain, args=(watcher, watcher_q), daemon=True)
    thread.start()
    try:
        yield watcher_q
    finally:
        watcher.stop()
        thread.join(10)
        assert not thread.is_alive(), "the watcher did not stop"


def _next(q: queue.Queue[Any], kind: type, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            update = q.get(timeout=remaining)
        except queue.Empty:
            break
        if isinstance(update, kind):
            return update
    raise AssertionError(f"no {kind.__name__} within {timeout}s")


def test_survives_dockerd_stop_and_start(
    docker_service: DockerService, compose: ComposeProject
) -> None:
    pid, argv = _restartable_dockerd()
    keeps = compose.run("backend", restart_policy={"Name": "always"})
    stays_down = compose.run("dashboard")
    try:
        with _watching(docker_service, compose.name) as updates:
            snap = _next(updates, Snapshot, 15)
            assert {c.id for c in snap.containers} == {keeps, stays_down}

            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: _dockerd_pid() != pid, 30, f"dockerd {pid} to exit")
            # The first report may race the shutdown (the events stream closes before the API
            # stops answering); while the engine stays down the retries must say so, with the fix.
            down = _next(updates, Disconnected, 15)
            while not isinstance(down.error, DockerUnavailable):
                down = _next(updates, Disconnected, 15)
            assert "start it" in str(down.error)
            with pytest.raises(DockerUnavailable):
                docker_service.list_containers(Selector(compose.name))

            _launch(argv)
            back = _next(updates, Snapshot, 40)  # backoff is capped at 8 s
            assert {c.id for c in back.containers} == {keeps, stays_down}

            def keeps_running() -> bool:
                return docker_service.inspect(keeps).running

            # restart=always brings it back shortly after the engine; the watcher reports it.
            if not {c.id: c for c in back.containers}[keeps].running:
                while True:
                    change = _next(updates, ContainerChanged, 20)
                    if change.event.container_id == keeps and change.event.action == "start":
                        break
            assert keeps_running()
            assert not docker_service.inspect(stays_down).running
            assert docker_service.ping().version
    finally:
        if _dockerd_pid() is None:
            _launch(argv)  # never leave the machine without the engine this test stopped
            wait_for(lambda: _dockerd_pid() is not None, 30, "dockerd to come back")
        wait_for(_engine_answers(docker_service), 30, "the engine to answer again")


def _engine_answers(service: DockerService) -> Any:
    def check() -> bool:
        try:
            service.ping()
        except DockerUnavailable:
            return False
        return True

    return check
