"""The Docker layer against a real engine: discovery, actions, events, stats, exec, logs."""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from tests.docker_fixtures import (
    BACKEND_ALIAS,
    DASHBOARD_ALIAS,
    POSTGRES_ALIAS,
    TEST_IMAGE,
    ComposeProject,
    wait_for,
)
from tui.docker import (
    ContainerChanged,
    ContainerEvent,
    ContainerNotFound,
    DockerOperationFailed,
    DockerService,
    Selector,
    Snapshot,
)
from tui.docker.streams import DockerStream

pytestmark = [pytest.mark.docker, pytest.mark.timeout(60)]

MS = 1_000_000  # nanoseconds, for healthcheck durations
HTTPD = [
    "sh",
    "-c",
    "trap 'exit 0' TERM; mkdir -p /tmp/www; echo ok > /tmp/www/index.html;"
    " echo backend-ready; echo 'warn: späť' >&2; httpd -f -p 3210 -h /tmp/www & wait",
]
HEALTH = {
    "test": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:3210/ || exit 1"],
    "interval": 300 * MS,
    "timeout": 2000 * MS,
    "retries": 3,
}


class EventCollector:
    """Consumes an events stream on a thread, the way a Textual thread worker would."""

    def __init__(self, stream: DockerStream[ContainerEvent]) -> None:
        self.stream = stream
        self.queue: queue.Queue[ContainerEvent] = queue.Queue()
        self.seen: list[ContainerEvent] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for event in self.stream:
            self.queue.put(event)

    def expect(self, container_id: str, action: str, detail: str | None = None) -> ContainerEvent:
        deadline = time.monotonic() + 15
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = [(e.container_id[:12], e.action, e.detail) for e in self.seen]
                raise AssertionError(
                    f"no {action} {detail or ''} event for {container_id[:12]}: {got}"
                )
            try:
                event = self.queue.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(event)
            if (event.container_id, event.action) == (container_id, action) and (
                detail is None or event.detail == detail
            ):
                return event


def _drain(source: Iterable[Any], into: queue.Queue[Any]) -> None:
    for item in source:
        into.put(item)


@pytest.fixture
def events(docker_service: DockerService, compose: ComposeProject) -> Iterator[EventCollector]:
    collector = EventCollector(docker_service.events(Selector(compose.name)))
    yield collector
    collector.stream.close()
    collector.thread.join(5)
    assert not collector.thread.is_alive(), "closing the events stream did not stop its reader"


def test_discovery_by_project(
    docker_service: DockerService, compose: ComposeProject, events: EventCollector
) -> None:
    backend = compose.run("backend", command=HTTPD, healthcheck=HEALTH)
    dashboard = compose.run("dashboard", published={"6791/tcp": 6791})
    postgres = compose.run("postgres", image=POSTGRES_ALIAS)
    compose.run("backend", project=f"{compose.name}-other")  # another project: not ours

    events.expect(backend, "health_status", "healthy")
    found = {c.id: c for c in docker_service.list_containers(Selector(compose.name))}
    assert set(found) == {backend, dashboard, postgres}
    be, dash, pg = found[backend], found[dashboard], found[postgres]
    assert (be.service, be.state, be.health, be.project) == (
        "backend",
        "running",
        "healthy",
        compose.name,
    )
    assert (dash.service, dash.health) == ("dashboard", None)
    assert dash.ports_text == "6791/tcp→0.0.0.0:6791"
    # busybox under the service name 'backend': in the project, but not a Convex image.
    assert pg.is_postgres and not be.is_postgres and not be.is_convex
    assert be.restart_count == 0 and be.image == TEST_IMAGE
    uptime = be.uptime()
    assert uptime is not None and 0 <= uptime.total_seconds() < 60


def test_discovery_without_project(docker_service: DockerService, compose: ComposeProject) -> None:
    """By Convex image only: a service merely *named* backend is a stranger's (tests/docker/
    test_matching.py covers the three rules)."""
    backend = compose.run("backend", image=BACKEND_ALIAS)
    dashboard = compose.run("dashboard", image=DASHBOARD_ALIAS, start=False)
    postgres = compose.run("db", image=POSTGRES_ALIAS)
    lone_pg = compose.run("db", project=f"{compose.name}-shop", image=POSTGRES_ALIAS)
    named_backend = compose.run("backend", project=f"{compose.name}-other")
    unlabelled = compose.run(None, project=None)
    found = {c.id: c for c in docker_service.list_containers(Selector())}
    # Other projects may exist on a shared engine: check ours only.
    assert {backend, dashboard, postgres} <= set(found)
    assert lone_pg not in found and unlabelled not in found and named_backend not in found
    assert found[dashboard].state == "created"
    assert found[postgres].is_postgres


def test_actions_and_outside_changes_seen_in_events(
    docker_service: DockerService, compose: ComposeProject, sdk: Any, events: EventCollector
) -> None:
    cid = compose.run("backend")
    events.expect(cid, "start")

    docker_service.stop(cid, timeout=5)
    assert events.expect(cid, "die").detail == "0"
    events.expect(cid, "stop")
    stopped = docker_service.inspect(cid)
    assert stopped.state == "exited" and stopped.exit_code == 0 and stopped.uptime() is None

    docker_service.start(cid)
    events.expect(cid, "start")
    assert docker_service.inspect(cid).running

    docker_service.restart(cid, timeout=5)
    events.expect(cid, "restart")
    assert docker_service.inspect(cid).running

    sdk.api.stop(cid, timeout=5)  # from outside, like `docker stop`
    events.expect(cid, "stop")
    assert docker_service.inspect(cid).state == "exited"


def test_watcher_snapshot_then_changes(
    docker_service: DockerService, compose: ComposeProject, sdk: Any
) -> None:
    cid = compose.run("backend")
    watcher = docker_service.watch(Selector(compose.name))
    updates: queue.Queue[Any] = queue.Queue()
    thread = threading.Thread(target=_drain, args=(watcher, updates), daemon=True)
    thread.start()
    try:
        first = updates.get(timeout=15)
        assert isinstance(first, Snapshot)
        assert [c.id for c in first.containers] == [cid]
        sdk.api.stop(cid, timeout=5)

        def exited() -> bool:
            update = updates.get(timeout=15)
            return (
                isinstance(update, ContainerChanged)
                and update.container is not None
                and update.container.id == cid
                and update.container.state == "exited"
            )

        wait_for(exited, 15, "a ContainerChanged with the container exited")
    finally:
        started = time.monotonic()
        watcher.stop()
        thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 2


def test_stats_stream(docker_service: DockerService, compose: ComposeProject) -> None:
    cid = compose.run("backend", command=["sh", "-c", "trap 'exit 0' TERM; while :; do :; done"])
    with docker_service.stats_stream(cid) as stream:
        samples = [s for _, s in zip(range(2), stream, strict=False)]
    first, second = samples
    assert first.cpu_percent is None  # no previous sample in the first frame
    assert second.cpu_percent is not None and second.cpu_percent > 1.0  # a busy loop
    assert 0 < second.mem_usage < second.mem_limit and 0 < second.mem_percent < 100
    assert second.pids == 1 and second.container_id == cid


def test_streams_stop_from_another_thread(
    docker_service: DockerService, compose: ComposeProject
) -> None:
    cid = compose.run("backend")  # prints one line, then nothing: the log stream blocks
    for stream in (docker_service.stats_stream(cid), docker_service.logs_stream(cid)):
        got: queue.Queue[Any] = queue.Queue()
        thread = threading.Thread(target=_drain, args=(stream, got), daemon=True)
        thread.start()
        got.get(timeout=10)  # the first item: the reader is now blocked on the socket
        started = time.monotonic()
        stream.close()
        thread.join(5)
        assert not thread.is_alive() and time.monotonic() - started < 1.0


def test_exec_generate_admin_key(docker_service: DockerService, compose: ComposeProject) -> None:
    cid = compose.run("backend")
    key = docker_service.exec_generate_admin_key(cid)
    assert re.fullmatch(r"convex-self-hosted\|01[0-9a-f]{96}", key.reveal())
    assert key.reveal() not in repr(key) and key.fingerprint.startswith("convex-self-hosted…")
    assert docker_service.exec_generate_admin_key(cid) != key  # a fresh key each run


def test_exec_generate_admin_key_failures(
    docker_service: DockerService, compose: ComposeProject, sdk: Any
) -> None:
    stopped = compose.run("backend", start=False)
    with pytest.raises(DockerOperationFailed, match="not running"):
        docker_service.exec_generate_admin_key(stopped)
    broken = compose.run("backend")
    sdk.containers.get(broken).exec_run(["rm", "/convex/generate_admin_key.sh"])
    with pytest.raises(DockerOperationFailed, match="exit status 12[67].*Convex backend"):
        docker_service.exec_generate_admin_key(broken)
    with pytest.raises(ContainerNotFound):
        docker_service.exec_generate_admin_key("ctui-no-such-container")


def test_logs_stream(docker_service: DockerService, compose: ComposeProject) -> None:
    cid = compose.run("backend", command=HTTPD)
    before = time.time()
    stream = docker_service.logs_stream(cid, tail=None, follow=True)
    lines = []
    for line in stream:
        lines.append(line)
        if len(lines) == 2:
            break
    stream.close()
    by_stream = {ln.stream: ln for ln in lines}
    assert by_stream["stdout"].text == "backend-ready"
    assert by_stream["stderr"].text == "warn: späť"
    stamp = by_stream["stdout"].time
    assert stamp is not None and abs(stamp.timestamp() - before) < 30

    # Without follow the stream ends by itself; with follow it ends when the container stops.
    assert [ln.text for ln in docker_service.logs_stream(cid, follow=False, tail=1)] in (
        ["backend-ready"],
        ["warn: späť"],
    )
    follow = docker_service.logs_stream(cid, tail=0, follow=True)
    docker_service.stop(cid, timeout=5)
    assert list(follow) == []


def test_unknown_container_is_typed(docker_service: DockerService) -> None:
    for call in (
        lambda: docker_service.inspect("ctui-no-such-container"),
        lambda: docker_service.stop("ctui-no-such-container"),
        lambda: docker_service.stats_stream("ctui-no-such-container"),
        lambda: docker_service.logs_stream("ctui-no-such-container"),
    ):
        with pytest.raises(ContainerNotFound, match="ctui-no-such-container"):
            call()
