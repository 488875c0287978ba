"""The status pane and `status --json` on a real Docker engine, with Compose-labelled containers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from screens.app import make_app
from screens.confirm import ConfirmScreen
from tests.docker_fixtures import ComposeProject
from tests.ui.conftest import status_screen, until
from tests.ui.fakes import settings
from tui.docker.client import DockerService
from tui.status.status_cmd import status_main

pytestmark = pytest.mark.docker

HEALTHCHECK = {
    "test": ["CMD-SHELL", "true"],
    "interval": 200_000_000,  # 0.2 s in ns: healthy quickly
    "timeout": 1_000_000_000,
    "retries": 1,
}


def states(app: Any) -> dict[str, str]:
    table = app.screen.query_one("#containers", DataTable)
    out = {}
    for i in range(table.row_count):
        row = [str(c) for c in table.get_row_at(i)]
        out[row[1]] = f"{row[2]}/{row[3]}"  # service → state/health
    return out


async def test_pane_follows_real_containers(
    docker_service: DockerService, compose: ComposeProject, sandbox: Any, tmp_path: Path
) -> None:
    compose.run("backend", healthcheck=HEALTHCHECK)
    dash = compose.run("dashboard")
    s = settings(url=sandbox.url, compose_project=compose.name, project_dir=tmp_path)
    app = make_app(s, docker=docker_service, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.header_state.containers == "2/2 up", what="2/2 up")
        await until(pilot, lambda: states(app).get("backend") == "running/healthy", what="healthy")
        await until(pilot, lambda: app.header_state.http == "up", what="sandbox probe")
        # CPU/memory arrive from the per-container stats streams.
        await until(pilot, lambda: len(status_screen(app)._stats) == 2, what="stats", timeout=15)

        # From outside: docker stop → the events stream updates the row.
        compose.sdk.api.stop(dash, timeout=1)
        await until(pilot, lambda: states(app)["dashboard"].startswith("exited"), what="stopped")
        assert app.header_state.containers == "1/2 up"

        # From the pane: select the dashboard row, start it (confirmed).
        table = app.screen.query_one("#containers", DataTable)
        table.move_cursor(row=table.get_row_index(dash))
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(pilot, lambda: states(app)["dashboard"].startswith("running"), what="started")

        # Restart from the pane: restart count is the engine's, state returns to running.
        await pilot.press("r", "y")
        await until(pilot, lambda: app.header_state.containers == "2/2 up", what="restarted")
        await pilot.press("x", "y")
        await until(pilot, lambda: app.header_state.containers == "1/2 up", what="stopped by pane")


def test_status_json_lists_containers_and_exit_codes(
    docker_service: DockerService,
    compose: ComposeProject,
    sandbox: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    compose.run("backend")
    compose.run("dashboard", start=False)
    s = settings(url=sandbox.url, compose_project=compose.name)
    assert status_main(argparse.Namespace(json=True), s) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["api_up"] and data["services"][0]["version"]
    assert KEY_NOT_IN(data)
    by_service = {c["service"]: c for c in data["containers"]}
    assert by_service["backend"]["state"] == "running"
    assert by_service["dashboard"]["state"] == "created"
    assert data["containers_matched_by"] == f"compose project {compose.name}"
    down = settings(url="http://127.0.0.1:9", compose_project=compose.name)
    assert status_main(argparse.Namespace(json=False), down) == 1
    text = capsys.readouterr().out
    assert "down" in text and compose.name in text


def KEY_NOT_IN(data: dict[str, Any]) -> bool:  # noqa: N802 - reads as a sentence
    from tests.ui.fakes import KEY

    return KEY not in json.dumps(data)


async def test_generate_admin_key_in_the_real_backend_container(
    docker_service: DockerService, compose: ComposeProject, sandbox: Any, tmp_path: Path
) -> None:
    """`g` runs generate_admin_key.sh by docker exec and saves the key (backup, mode 600)."""
    compose.run("backend")
    env = tmp_path / ".env.convex.local"
    env.write_text("CONVEX_SELF_HOSTED_ADMIN_KEY=old\n")
    env.chmod(0o644)
    s = settings(url=sandbox.url, compose_project=compose.name, project_dir=tmp_path)
    app = make_app(s, docker=docker_service, connect_convex=False)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.header_state.containers == "1/1 up", what="1/1 up")
        app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
        await pilot.press("g", "y")  # confirm running the script in the container
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="offer to save")
        shown = str(app.screen.query_one("#question").render())
        await pilot.press("y")
        await until(pilot, lambda: any("Saved key" in n for n in notes), what="saved")
    check_saved_key(env, tmp_path, [shown, *notes])


def check_saved_key(env: Path, tmp_path: Path, seen: list[str]) -> None:
    text = env.read_text()
    key = text.split("CONVEX_SELF_HOSTED_ADMIN_KEY=", 1)[1].strip().strip("'\"")
    assert key.startswith("convex-self-hosted|01") and len(key) > 60
    assert env.stat().st_mode & 0o777 == 0o600
    backups = list(tmp_path.glob(".env.convex.local.bak-*"))
    assert len(backups) == 1 and backups[0].read_text() == "CONVEX_SELF_HOSTED_ADMIN_KEY=old\n"
    hex_part = key.split("|", 1)[1]
    assert all(hex_part not in text_seen for text_seen in seen)
    assert any(key[-4:] in text_seen for text_seen in seen)  # the fingerprint is shown
