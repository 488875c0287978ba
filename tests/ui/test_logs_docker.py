"""The Logs pane on a real engine: a container of the deployment is followed as soon as the pane
opens (its last lines first, no key), colours kept and hostile sequences stripped; a restart
adds a marker and the stream resumes by itself; `o` turns it off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import SelectionList

from screens.app import ConsoleApp, make_app
from screens.logs import LogsScreen
from screens.logs_dialogs import ContainersScreen
from tests.docker_fixtures import ComposeProject
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, settings
from tui.logs.containers import Followers
from tui.logs.record import MARKER

pytestmark = pytest.mark.docker
SCRIPT = (
    "printf '\\033[31mred\\033[0m \\033]0;title\\007 \\033[2J plain\\n'; "
    'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'
)


def deployment_app(compose: ComposeProject, sdk: Any, tmp_path: Path, script: str,
                   **run: Any) -> tuple[ConsoleApp, str]:  # fmt: skip
    """A console on a compose project whose backend runs ``script`` (real container readers,
    no Convex connection); returns it and the container's name."""
    cid = compose.run("backend", command=["sh", "-c", script], **run)
    name = str(sdk.api.inspect_container(cid)["Name"]).lstrip("/")
    s = settings(compose_project=compose.name, project_dir=tmp_path)
    app = make_app(s, prober=FakeProber(), docker=FakeDocker(), connect_convex=False,
                   log_followers=Followers)  # fmt: skip
    return app, name


async def test_pane_follows_the_deployments_container_on_open_and_across_a_restart(
    compose: ComposeProject, sdk: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.logs.store.default_path", lambda: tmp_path / "f.json")
    app, box = deployment_app(compose, sdk, tmp_path, SCRIPT)
    stranger = ComposeProject(sdk)  # another project's backend: never followed
    stranger.run("backend", command=["sh", "-c", "while true; do echo STRANGER; sleep 0.1; done"])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("2")
            screen = app.screen
            assert isinstance(screen, LogsScreen)

            def texts() -> list[str]:
                return [r.text for r in screen.view.visible if r.source == box]

            await until(pilot, lambda: "tick 3" in texts(), what="container lines, no key")
            assert not any("STRANGER" in r.text for r in screen.view.buffer.rows)
            red = next(r for r in screen.view.visible if "red" in r.text)
            assert red.display.startswith("\x1b[31mred\x1b[0m")  # colour kept
            assert "\x1b]" not in red.display and "\x1b[2J" not in red.display
            assert f"containers {box}" in str(screen.query_one("#logs-bar").render())
            sdk.api.restart(box, timeout=0)
            await until(pilot, lambda: any(r.kind == MARKER and "restarted" in r.text
                                           for r in screen.view.visible), what="marker")  # fmt: skip
            await until(pilot, lambda: texts().count("tick 2") == 2, what="lines after restart")
            ticks = [t for t in texts() if t.startswith("tick ")]
            first_run = ticks[: ticks.index("tick 1", 1)]
            assert first_run == [f"tick {i}" for i in range(1, len(first_run) + 1)]  # none twice
            # `o`: the container is checked; space unchecks it, enter applies: off.
            await pilot.press("o")
            await until(pilot, lambda: isinstance(app.screen, ContainersScreen), what="chooser")
            chooser = app.screen
            assert chooser.query_one("#containers", SelectionList).selected == [box]
            await pilot.press("space", "enter")
            await until(pilot, lambda: app.screen is screen, what="chooser closed")
            assert screen.containers == set()
            bar = str(screen.query_one("#logs-bar").render())
            assert "containers off (o)" in bar
            assert any(f"{box}: no longer followed" in r.text for r in screen.view.visible)  # now
    finally:
        stranger.remove_all()
