"""The Logs pane following a real container (prefix i10-): its lines arrive with colours kept
and hostile sequences stripped, a restart adds a marker and the stream resumes by itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from screens.app import make_app
from screens.logs import LogsScreen
from tests.docker_fixtures import TEST_IMAGE
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, settings
from tui.logs.record import MARKER

pytestmark = pytest.mark.docker
SCRIPT = (
    "printf '\\033[31mred\\033[0m \\033]0;title\\007 \\033[2J plain\\n'; "
    'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'
)


@pytest.fixture
def box(sdk: Any) -> Iterator[str]:
    name = f"i10-pane-{uuid.uuid4().hex[:6]}"
    sdk.containers.run(TEST_IMAGE, ["sh", "-c", SCRIPT], name=name, detach=True,
                       network_mode="none")  # fmt: skip
    yield name
    sdk.api.remove_container(name, force=True)


async def test_pane_follows_a_container_across_a_restart(
    box: str, sdk: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.logs.store.default_path", lambda: tmp_path / "f.json")
    app = make_app(settings(), prober=FakeProber(), docker=FakeDocker(), connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        screen.follow_container(box)

        def texts() -> list[str]:
            return [r.text for r in screen.view.visible if r.source == box]

        await until(pilot, lambda: "tick 3" in texts(), what="container lines")
        red = next(r for r in screen.view.visible if "red" in r.text)
        assert red.display.startswith("\x1b[31mred\x1b[0m")  # colour kept
        assert "\x1b]" not in red.display and "\x1b[2J" not in red.display
        sdk.api.restart(box, timeout=0)
        await until(pilot, lambda: any(r.kind == MARKER and "restarted" in r.text
                                       for r in screen.view.visible), what="marker")  # fmt: skip
        await until(pilot, lambda: texts().count("tick 2") == 2, what="lines after the restart")
        ticks = [t for t in texts() if t.startswith("tick ")]
        first_run = ticks[: ticks.index("tick 1", 1)]
        assert first_run == [f"tick {i}" for i in range(1, len(first_run) + 1)]  # none twice
        assert "containers " + box in str(screen.query_one("#logs-bar").render())
