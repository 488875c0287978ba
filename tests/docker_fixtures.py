"""Fixtures for tests against a real Docker engine (see .ci/setup-docker.sh); tests/conftest.py
imports them for every test directory.

No engine: the docker tests skip loudly (a line in the terminal summary), or fail when ``CI`` is
set, because CI must exercise them.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tui.docker import DockerError, DockerService

TEST_IMAGE = os.environ.get("CONVEX_TUI_TEST_IMAGE", "convex-tui-test/busybox:latest")
POSTGRES_ALIAS = "convex-tui-test/postgres:16"  # the busybox image under a Postgres-like name
# ... and under Convex-like names: containers are matched by image, never by service name.
BACKEND_ALIAS = "convex-tui-test/convex-backend:latest"
DASHBOARD_ALIAS = "convex-tui-test/convex-dashboard:latest"
SETUP_HINT = "run .ci/setup-docker.sh (as root) to install and start an engine and build the image"
# A PID 1 that exits on SIGTERM at once (busybox sleep as PID 1 ignores it: 10 s stops).
IDLE = ["sh", "-c", "trap 'exit 0' TERM; echo started; sleep 600 & wait"]

SKIP_REASONS: list[str] = []  # shown by tests/conftest.py's terminal summary


def _no_engine(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}; {SETUP_HINT}", pytrace=False)
    SKIP_REASONS.append(f"{reason}; {SETUP_HINT}")
    print(f"WARNING: docker tests skipped: {reason}", file=sys.stderr)
    pytest.skip(f"{reason}; {SETUP_HINT}")


@pytest.fixture(scope="session")
def docker_service() -> Iterator[DockerService]:
    service = DockerService(timeout=30)
    try:
        service.ping()
    except DockerError as err:
        _no_engine(f"no Docker engine: {err}")
    import docker

    sdk = docker.from_env()
    try:
        image = sdk.images.get(TEST_IMAGE)
    except docker.errors.ImageNotFound:
        _no_engine(f"the test image {TEST_IMAGE} is missing")
    for alias in (POSTGRES_ALIAS, BACKEND_ALIAS, DASHBOARD_ALIAS):
        image.tag(alias)
    sdk.close()
    yield service
    service.close()


@pytest.fixture(scope="session")
def sdk(docker_service: DockerService) -> Iterator[Any]:
    """The raw docker SDK, for arranging test containers (the code under test is not used)."""
    import docker

    client = docker.DockerClient(base_url=docker_service.base_url, version="auto")
    yield client
    client.close()


@dataclass
class ComposeProject:
    """Containers labelled like Docker Compose's, all removed at the end."""

    sdk: Any
    name: str = field(default_factory=lambda: f"ctui-test-{uuid.uuid4().hex[:8]}")
    ids: list[str] = field(default_factory=list)

    def run(
        self,
        service: str | None,
        *,
        project: str | None = "",
        image: str = TEST_IMAGE,
        command: list[str] | None = None,
        start: bool = True,
        published: dict[str, int] | None = None,
        labels: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> str:
        labels = dict(labels or {})  # extra labels, e.g. compose's project.working_dir
        proj = self.name if project == "" else project
        if proj is not None:
            labels["com.docker.compose.project"] = proj
        if service is not None:
            labels["com.docker.compose.service"] = service
        name = f"{proj or 'nolabel'}-{service or 'x'}-{uuid.uuid4().hex[:6]}"
        if published:
            # The engine has no bridge network here, so ports are only configured: host
            # networking keeps HostConfig.PortBindings (the SDK refuses this combination, the
            # engine just warns), which is what inspect reports like Compose's published ports.
            bindings = {p: [{"HostIp": "", "HostPort": str(h)}] for p, h in published.items()}
            cid = self.sdk.api.create_container(
                image,
                command or IDLE,
                labels=labels,
                name=name,
                ports=[tuple(p.split("/")) for p in published],
                host_config={"NetworkMode": "host", "PortBindings": bindings},
            )["Id"]
        else:
            kwargs.setdefault("network_mode", "none")
            cid = self.sdk.containers.create(
                image, command or IDLE, labels=labels, name=name, **kwargs
            ).id
        self.ids.append(cid)
        if start:
            self.sdk.api.start(cid)
            if command is None:
                # SIGTERM before the shell has set its trap is ignored (PID 1): a stop then
                # waits its whole timeout and kills (exit 137; seen under load in CI).
                wait_for(lambda: b"started" in self.sdk.api.logs(cid), 15, f"{name}'s trap")
        return str(cid)

    def remove_all(self) -> None:
        for cid in self.ids:
            try:
                self.sdk.api.remove_container(cid, force=True)
            except Exception:  # noqa: BLE001 - already gone, or the engine is down
                pass


@pytest.fixture
def compose(sdk: Any) -> Iterator[ComposeProject]:
    project = ComposeProject(sdk)
    yield project
    project.remove_all()


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Bounded polling for engine-side state (an external process), with a clear failure."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
