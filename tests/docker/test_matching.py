"""Containers of this deployment only: by compose project, else by the compose working directory,
else by Convex image — never by a service name alone. Real compose-labelled containers on the
engine (named i8-…), next to a stranger's stack whose service is also called "backend"."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docker_fixtures import BACKEND_ALIAS, POSTGRES_ALIAS, ComposeProject, wait_for
from tui.docker import DockerService
from tui.docker.models import WORKING_DIR_LABEL, Selector
from tui.docker.watcher import Snapshot

pytestmark = pytest.mark.docker


@pytest.fixture
def stacks(sdk: Any) -> Iterator[tuple[ComposeProject, ComposeProject]]:
    ours = ComposeProject(sdk, name=f"i8-ours-{uuid.uuid4().hex[:6]}")
    stranger = ComposeProject(sdk, name=f"i8-stranger-{uuid.uuid4().hex[:6]}")
    yield ours, stranger
    ours.remove_all()
    stranger.remove_all()


def names(service: DockerService, selector: Selector) -> set[str]:
    return {c.name for c in service.list_containers(selector)}


def test_working_dir_rule_picks_our_stack_and_never_a_strangers_backend(
    docker_service: DockerService, stacks: tuple[ComposeProject, ComposeProject], tmp_path: Path
) -> None:
    ours, stranger = stacks
    here = {WORKING_DIR_LABEL: str(tmp_path)}
    there = {WORKING_DIR_LABEL: str(tmp_path / "elsewhere")}
    ours.run("backend", labels=here)
    ours.run("postgres", image=POSTGRES_ALIAS, labels=here, start=False)
    stranger.run("backend", labels=there)  # busybox: a name, not a Convex image

    selector = Selector(project_dir=str(tmp_path))
    found = docker_service.list_containers(selector)
    assert {c.project for c in found} == {ours.name}
    assert {c.service for c in found} == {"backend", "postgres"}
    resolved = selector.resolve(c.labels for c in found)
    assert resolved.rule == "working_dir"
    assert resolved.describe() == f"compose working dir {tmp_path}"

    # The configured project wins over the directory.
    by_project = Selector(project=stranger.name, project_dir=str(tmp_path))
    assert {c.project for c in docker_service.list_containers(by_project)} == {stranger.name}
    assert by_project.describe() == f"compose project {stranger.name}"


def test_image_rule_when_no_container_is_in_the_project_dir(
    docker_service: DockerService, stacks: tuple[ComposeProject, ComposeProject], tmp_path: Path
) -> None:
    ours, stranger = stacks
    be = ours.run("api", image=BACKEND_ALIAS)  # a Convex image, whatever the service is called
    ours.run("db", image=POSTGRES_ALIAS)  # rides along with its Convex project
    stranger.run("backend")
    stranger.run("db", image=POSTGRES_ALIAS)

    selector = Selector(project_dir=str(tmp_path / "no-compose-here"))
    found = docker_service.list_containers(selector)
    ours_found = {c.name for c in found if (c.project or "").startswith("i8-")}
    assert {c.project for c in found if c.name in ours_found} == {ours.name}
    assert be in {c.id for c in found}
    assert not any(c.project == stranger.name for c in found)
    resolved = selector.resolve(c.labels for c in found)
    assert resolved.rule == "image" and resolved.describe() == "Convex images (backend, dashboard)"


def test_watcher_snapshot_says_which_rule_matched(
    docker_service: DockerService, stacks: tuple[ComposeProject, ComposeProject], tmp_path: Path
) -> None:
    ours, stranger = stacks
    ours.run("backend", labels={WORKING_DIR_LABEL: str(tmp_path)})
    watcher = docker_service.watch(Selector(project_dir=str(tmp_path)))
    updates = iter(watcher)
    try:
        first = next(updates)
        assert isinstance(first, Snapshot) and first.selector is not None
        assert first.selector.rule == "working_dir"
        assert {c.project for c in first.containers} == {ours.name}
        # A stranger's "backend" starting later is not ours either.
        stranger.run("backend", labels={WORKING_DIR_LABEL: str(tmp_path / "x")})
        late = ours.run("dashboard", labels={WORKING_DIR_LABEL: str(tmp_path)})
        seen: list[str] = []

        def ours_arrived() -> bool:
            update = next(updates)
            container = getattr(update, "container", None)
            if container is not None:
                seen.append(container.project or "")
            return container is not None and container.id == late

        wait_for(ours_arrived, what="our dashboard's event")
        assert stranger.name not in seen
    finally:
        watcher.stop()
