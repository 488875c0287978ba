"""What the console starts before it imports Textual (tui/status/early.py), against the real
engine: the early watch keeps what it saw until the Status pane attaches, then hands on what
follows, in order, from its own thread; it is adopted once, and only for its own selector."""

from __future__ import annotations

import queue
from typing import Any

import pytest

from tests.docker_fixtures import ComposeProject, wait_for
from tests.ui.fakes import settings
from tui.docker import DockerService
from tui.docker.models import Selector
from tui.docker.watcher import ContainerChanged, Snapshot
from tui.status.early import start_early
from tui.status.services import selector_for

pytestmark = pytest.mark.docker


def test_the_early_watch_keeps_the_snapshot_then_hands_on_changes(
    docker_service: DockerService, compose: ComposeProject, sdk: Any
) -> None:
    cid = compose.run("backend")
    s = settings(compose_project=compose.name, url="http://127.0.0.1:9")  # no API: refused
    early = start_early(s)
    watch = early.take_watch(selector_for(s))
    try:
        assert watch is not None and early.docker is not None
        assert early.take_watch(selector_for(s)) is None, "adopted once"
        wait_for(lambda: watch._kept, 15, "the first snapshot, kept while nobody listens")
        got: queue.Queue[Any] = queue.Queue()
        kept = watch.attach(got.put, got.put)
        assert isinstance(kept[0], Snapshot)
        assert [c.id for c in kept[0].containers] == [cid]
        sdk.api.stop(cid, timeout=5)
        while True:  # bounded: each get waits 15 s at most
            update = got.get(timeout=15)
            assert isinstance(update, ContainerChanged), update
            if update.container is not None and update.container.state == "exited":
                break
        assert update.event.container_id == cid
    finally:
        if watch is not None:
            watch.stop()
        early.close()
        early.prober.close()


def test_a_watch_for_another_selector_is_stopped_not_adopted(
    docker_service: DockerService, compose: ComposeProject
) -> None:
    early = start_early(settings(compose_project=compose.name, url="http://127.0.0.1:9"))
    try:
        watch = early.watch
        assert watch is not None
        assert early.take_watch(Selector("some-other-project")) is None
        assert early.watch is None and watch._stopped
    finally:
        early.close()
        early.prober.close()
