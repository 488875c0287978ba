"""The Logs pane survives the real dockerd being stopped and started mid-session: a marker row
says the engine is unreachable, and once it is back the container's log resumes by itself.

Same guard as tests/docker/test_dockerd_restart.py: runs in CI (or with
CONVEX_TUI_ALLOW_DOCKERD_RESTART=1) against the dockerd .ci/setup-docker.sh started.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from screens.logs import LogsScreen
from tests.docker.test_dockerd_restart import (
    _dockerd_pid,
    _engine_answers,
    _launch,
    _restartable_dockerd,
)
from tests.docker_fixtures import ComposeProject, wait_for
from tests.ui.conftest import until
from tests.ui.test_logs_docker import deployment_app
from tui.docker.client import DockerService
from tui.logs.record import MARKER

pytestmark = [pytest.mark.docker, pytest.mark.docker_restart, pytest.mark.timeout(150)]
TICKS = 'i=0; while true; do i=$((i+1)); echo "beat $i"; sleep 0.2; done'


async def test_engine_down_marker_then_the_log_resumes(
    docker_service: DockerService,
    compose: ComposeProject,
    sdk: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pid, argv = _restartable_dockerd()
    monkeypatch.setattr("tui.logs.store.default_path", lambda: tmp_path / "f.json")
    app, box = deployment_app(compose, sdk, tmp_path, TICKS, restart_policy={"Name": "always"})
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("2")
            screen = app.screen
            assert isinstance(screen, LogsScreen)

            def markers() -> list[str]:
                return [r.text for r in screen.view.visible if r.kind == MARKER]

            await until(pilot, lambda: any(r.text == "beat 3" for r in screen.view.visible),
                        what="the container's lines")  # fmt: skip
            os.kill(pid, signal.SIGTERM)
            await until(pilot, lambda: any("docker engine unreachable" in m for m in markers()),
                        what="the engine-down marker", timeout=40)  # fmt: skip
            down = next(r for r in screen.view.visible if "docker engine unreachable" in r.text)
            assert down.level == "WARN" and down.source == box
            # The socket goes before the process does: a dockerd launched while the old one still
            # shuts its containerd down waits a minute for it (seen in CI), so wait for the exit.
            await until(pilot, lambda: _dockerd_pid() != pid, what=f"dockerd {pid} to exit",
                        timeout=30)  # fmt: skip
            _launch(argv)
            await until(pilot, lambda: any("log resumed" in m for m in markers()[-3:]),
                        what="the log resumed after the engine came back", timeout=60)  # fmt: skip
            resumed_at = max(i for i, r in enumerate(screen.view.visible)
                             if r.kind == MARKER and "log resumed" in r.text)  # fmt: skip
            await until(pilot, lambda: any(r.text.startswith("beat ")
                                           for r in screen.view.visible[resumed_at:]),
                        what="new lines after the marker", timeout=30)  # fmt: skip
    finally:
        if _dockerd_pid() is None:
            _launch(argv)
            wait_for(lambda: _dockerd_pid() is not None, 30, "dockerd to come back")
        wait_for(_engine_answers(docker_service), 30, "the engine to answer again")
