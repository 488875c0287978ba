"""The status pane survives the real dockerd being stopped and started mid-session.

Same guard as tests/docker/test_dockerd_restart.py: runs in CI (or with
CONVEX_TUI_ALLOW_DOCKERD_RESTART=1) against the dockerd .ci/setup-docker.sh started.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from screens.app import make_app
from tests.docker.test_dockerd_restart import _dockerd_pid, _launch, _restartable_dockerd
from tests.docker_fixtures import ComposeProject, wait_for
from tests.ui.conftest import status_screen, until
from tests.ui.fakes import settings
from tui.docker.client import DockerService

pytestmark = [pytest.mark.docker, pytest.mark.docker_restart, pytest.mark.timeout(120)]


async def test_pane_reports_engine_loss_keeps_probing_and_recovers(
    docker_service: DockerService, compose: ComposeProject, sandbox: Any, tmp_path: Path
) -> None:
    pid, argv = _restartable_dockerd()
    compose.run("backend", restart_policy={"Name": "always"})
    s = settings(url=sandbox.url, compose_project=compose.name, project_dir=tmp_path)
    app = make_app(s, docker=docker_service, connect_convex=False)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.header_state.containers == "1/1 up", what="1/1 up")
            await until(pilot, lambda: app.header_state.http == "up", what="api probed")

            os.kill(pid, signal.SIGTERM)
            await until(
                pilot,
                lambda: app.header_state.containers == "docker down",
                what="docker down in the header",
                timeout=40,
            )
            message = str(status_screen(app)._docker_message)
            assert "not reachable" in message and "start it" in message
            assert "HTTP probes keep running" in message
            assert app.header_state.http == "up"  # the API probes do not depend on Docker

            # A dockerd launched before the old one has exited waits a minute for its containerd.
            await until(pilot, lambda: _dockerd_pid() != pid, what=f"dockerd {pid} to exit",
                        timeout=30)  # fmt: skip
            _launch(argv)
            # The watcher retries with backoff (capped at 8 s); restart=always brings it back.
            await until(
                pilot,
                lambda: app.header_state.containers == "1/1 up",
                what="containers back after dockerd restart",
                timeout=60,
            )
            assert status_screen(app)._docker_message is None
    finally:
        if _dockerd_pid() is None:
            _launch(argv)
            wait_for(lambda: _dockerd_pid() is not None, 30, "dockerd to come back")
        wait_for(lambda: _answers(docker_service), 30, "the engine to answer again")


def _answers(service: DockerService) -> bool:
    try:
        service.ping()
    except Exception:
        return False
    return True
