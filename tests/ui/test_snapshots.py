"""SVG snapshots of the shell and status pane with deterministic fakes (fixed time and data).

Update only after looking at the report: pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from screens.app import ConsoleApp, make_app
from screens.doctor import DoctorScreen
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, fixed_clock, settings
from tui.config import Settings
from tui.doctor.checks import Check, check_docker, check_services, config_checks


def build(*, docker_down: bool = False, api_up: bool = True, **kw: Any) -> ConsoleApp:
    return make_app(
        settings(**kw),
        prober=FakeProber(up=api_up),
        docker=FakeDocker(down=docker_down),
        clock=fixed_clock,
        connect_convex=False,
    )


def settled(*keys: str, docker_down: bool = False, http: str = "up") -> Any:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        want = "docker down" if docker_down else "2/3 up"
        await until(pilot, lambda: app.header_state.containers == want, what=want)
        await until(pilot, lambda: app.header_state.http == http, what="probe")
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


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_status_explains_a_dead_api(snap_compare: Any, size: tuple[int, int]) -> None:
    """The doctor's notice lines: cause and fix, wrapped, above the services."""
    app = build(api_up=False)
    assert snap_compare(app, terminal_size=size, run_before=settled(http="down"))


def fixed_report(s: Settings) -> list[Check]:
    """Every kind of line the doctor writes, from fixed probes (no network, no engine)."""
    down = asyncio.run(FakeProber(up=False).probe())
    checks = config_checks(s)
    checks.extend(check_services(s, down))
    checks.extend(
        check_docker(s, lambda _: ("ok", "2/3 up: convex-backend-1, … (by compose project)", []))
    )
    return checks


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_doctor_modal(snap_compare: Any, size: tuple[int, int]) -> None:
    app = build(api_up=False)

    async def run_before(pilot: Any) -> None:
        await settled(http="down")(pilot)
        screen = DoctorScreen(app.context.settings, run=fixed_report)
        await app.push_screen(screen)
        await until(pilot, lambda: screen.checks is not None, what="doctor checks")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def data_pane(*keys: str) -> Any:
    """The Data pane on a fixed fake client, `tasks` open (times shown in UTC)."""

    async def run_before(pilot: Any) -> None:
        from tests.ui.data_fakes import FakeDataClient

        app = pilot.app
        app.convex = FakeDataClient()
        await pilot.press("4")
        app.convex_generation += 1
        screen = app.screen
        await until(pilot, lambda: len(screen.tables) == 4, what="tables")
        tables = screen.query_one("#tables")
        tables.focus()
        await pilot.pause()
        tables.move_cursor(row=tables.get_row_index("tasks"))
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: screen.table == "tasks", what="tasks")
        await until(pilot, lambda: screen.window is not None and screen.window.loaded, what="page")
        # The pages in view are followed once the view rests: before any key, so the position
        # line's "live" never depends on how fast the machine is.
        await until(pilot, lambda: screen.is_live, what="the pages in view followed")
        if keys:
            await pilot.press(*keys)
        # Not workers.wait_for_complete(): the live pages' subscriptions never complete.
        await until(
            pilot,
            lambda: (
                not screen.busy
                and screen.window.loaded
                and (screen.is_live or app.screen is not screen)  # a dialog pauses live pages
            ),
            what="settled, the pages in view followed",
        )
        await pilot.pause()

    return run_before


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Any:
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_data_pane(snap_compare: Any, size: tuple[int, int], utc: Any) -> None:
    assert snap_compare(build(), terminal_size=size, run_before=data_pane())


def test_data_document_detail(snap_compare: Any, utc: Any) -> None:
    assert snap_compare(build(), terminal_size=(80, 24), run_before=data_pane("enter"))


def test_data_filtered(snap_compare: Any, utc: Any) -> None:
    keys = ("slash", *"status = pending", "enter")
    assert snap_compare(build(), terminal_size=(120, 40), run_before=data_pane(*keys))
