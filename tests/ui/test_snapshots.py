"""SVG snapshots of the shell and status pane with deterministic fakes (fixed time and data).

Update only after looking at the report: pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from typing import Any

import pytest

from screens.app import ConsoleApp, make_app
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, fixed_clock, settings


def build(*, docker_down: bool = False, **kw: Any) -> ConsoleApp:
    return make_app(
        settings(**kw),
        prober=FakeProber(),
        docker=FakeDocker(down=docker_down),
        clock=fixed_clock,
        connect_convex=False,
    )


def settled(*keys: str, docker_down: bool = False) -> Any:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        want = "docker down" if docker_down else "2/3 up"
        await until(pilot, lambda: app.header_state.containers == want, what=want)
        await until(pilot, lambda: app.header_state.http == "up", what="probe")
        if not docker_down:
            # Both running containers have their (fixed) stats sample.
            await until(pilot, lambda: len(app.screen._stats) == 2, what="stats")
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_status_pane(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(build(), terminal_size=size, run_before=settled())


def test_status_protected_read_only(snap_compare: Any) -> None:
    app = build(protected=True, profile="prod")
    assert snap_compare(app, terminal_size=(120, 40), run_before=settled())


def test_status_docker_down(snap_compare: Any) -> None:
    app = build(docker_down=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settled(docker_down=True))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_help_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(build(), terminal_size=size, run_before=settled("question_mark"))


def test_confirm_restart(snap_compare: Any) -> None:
    assert snap_compare(build(), terminal_size=(80, 24), run_before=settled("r"))
