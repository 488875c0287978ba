"""The Scripts pane and `D` with Pilot, against a temporary npm workspace of small scripts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, RichLog

from screens.app import ConsoleApp, make_app
from screens.scripts import ScriptsScreen
from screens.widgets.footer import ConsoleFooter
from tests.scripts.workspaces import make_workspace
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, fixed_clock, settings
from tui.scripts.board import DEPLOY, DEV
from tui.scripts.runner import RunState

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="npm runs the scripts")


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("CONVEX_TUI_DATA_DIR", str(path))
    return path


def build(root: Path, **kw: Any) -> ConsoleApp:
    return make_app(
        settings(project_dir=root, **kw),
        prober=FakeProber(),
        docker=FakeDocker(),
        clock=fixed_clock,
        connect_convex=False,
    )


def scripts(app: ConsoleApp) -> ScriptsScreen:
    screen = app.screen
    assert isinstance(screen, ScriptsScreen)
    return screen


def log_text(app: ConsoleApp) -> str:
    log = app.screen.query_one("#output", RichLog)
    return "\n".join(strip.text for strip in log.lines)


async def select(pilot: Any, name: str) -> None:
    table = pilot.app.screen.query_one("#scripts", DataTable)
    table.move_cursor(row=table.get_row_index(name))
    await pilot.pause()


async def test_run_script_streams_and_reports_exit(tmp_path: Path) -> None:
    app = build(make_workspace(tmp_path / "ws"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        screen = scripts(app)
        names = [str(k.value) for k in screen.query_one("#scripts", DataTable).rows]
        assert names[:3] == ["deploy:functions", "dev:backend", "convex:status"]
        await select(pilot, "colours")
        assert "$ npm run colours" in str(screen.query_one("#command").render())
        await pilot.press("enter")
        run = await until(pilot, lambda: app.board.runs.get("colours"), what="run started")
        await until(pilot, lambda: not run.running, what="run finished")
        await until(pilot, lambda: "plain" in log_text(app), what="output")
        text = log_text(app)
        # npm echoes the script's body first; the output itself: colours parsed, OSC dropped.
        assert text.splitlines()[-2:] == ["red", "plain"] and "\x1b" not in text
        assert run.lines[-2] == "\x1b[31mred\x1b[0m"
        assert run.exit_status == 0
        await select(pilot, "typecheck")
        await pilot.press("enter")
        failed = await until(pilot, lambda: app.board.runs.get("typecheck"), what="typecheck")
        await until(pilot, lambda: not failed.running, what="typecheck finished")
        assert failed.exit_status == 3
        await until(pilot, lambda: "exit 3" in str(screen.query_one("#output").border_subtitle))
        # The history file is written in a thread once each run ends.
        await until(pilot, lambda: len(app.board.history()) == 2, what="history written")
        await pilot.press("h")
        history = screen.query_one("#history", DataTable)
        assert history.row_count == 2
        history.move_cursor(row=1)  # the older run: colours
        await pilot.press("enter")
        await pilot.pause()
        assert log_text(app).splitlines()[-2:] == ["red", "plain"]
        assert "colours · " in str(screen.query_one("#output").border_subtitle)


async def test_dev_backend_runs_until_cancelled(tmp_path: Path) -> None:
    app = build(make_workspace(tmp_path / "ws"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6", "b")
        run = await until(pilot, lambda: app.board.running(DEV), what="dev running")
        assert app.header_state.dev == "dev running"
        await until(pilot, lambda: "tick" in log_text(app), what="dev output")
        await select(pilot, "dev:backend")
        await pilot.press("ctrl+c")
        await until(pilot, lambda: run.state is RunState.CANCELLED, what="cancelled")
        await until(pilot, lambda: app.header_state.dev == "dev stopped", what="header")


async def test_deploy_key_from_any_pane(tmp_path: Path) -> None:
    app = build(make_workspace(tmp_path / "ws"))
    async with app.run_test(size=(120, 40)) as pilot:
        generation = app.deploy_generation
        await pilot.press("D")
        await pilot.pause()
        assert "Runs: npm run deploy:functions" in str(app.screen.query_one("#detail").render())
        await pilot.press("y")
        run = await until(pilot, lambda: app.board.runs.get(DEPLOY), what="deploy started")
        await until(pilot, lambda: app.deploy_generation > generation, what="deployed()")
        assert run.exit_status == 0
        assert "deployed" in app.header_state.deploy
        assert "deployed +1 idx" in app.header_state.deploy
        await pilot.press("6")
        await pilot.pause()
        await select(pilot, "deploy:functions")
        assert "Deployed Convex functions" in log_text(app)


async def test_deploy_refused_read_only_nothing_runs(tmp_path: Path) -> None:
    app = build(make_workspace(tmp_path / "ws"), read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("D")
        await pilot.pause()
        assert not app.board.runs
        assert [r.kind.value for r in app.context.guard.refused] == ["deploy"]
        await pilot.press("6")
        await select(pilot, "colours")
        await pilot.press("enter")
        await pilot.pause()
        assert not app.board.runs
        assert [r.kind.value for r in app.context.guard.refused] == ["deploy", "script"]


async def test_quitting_ends_every_child(tmp_path: Path) -> None:
    app = build(make_workspace(tmp_path / "ws"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6", "b")
        run = await until(pilot, lambda: app.board.running(DEV), what="dev running")
        await until(pilot, lambda: run.pid is not None)
        pid = run.pid
    from tests.scripts.test_runner import group_alive

    assert pid is not None and not group_alive(pid)


async def test_protected_target_deploys_only_after_unlock_and_typed_name(tmp_path: Path) -> None:
    app = build(make_workspace(tmp_path / "ws"), protected=True, profile="prod")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("D")
        await pilot.pause()
        assert not app.board.runs, "a protected target is read-only until unlocked"
        assert [r.kind.value for r in app.context.guard.refused] == ["deploy"]
        app.read_only = False  # what ctrl+e does once the name was typed
        await pilot.pause()
        await pilot.press("D")
        await pilot.pause()
        await pilot.press(*"stage", "enter")  # the wrong name: nothing starts
        await pilot.pause()
        assert not app.board.runs
        typed = app.screen.query_one("#typed", Input)
        typed.value = ""
        await pilot.press(*"prod", "enter")
        run = await until(pilot, lambda: app.board.runs.get(DEPLOY), what="deploy started")
        await until(pilot, lambda: not run.running, what="deploy finished")
        assert run.exit_status == 0


async def test_demo_without_workspace_explains_instead_of_offering_a_deploy(
    tmp_path: Path,
) -> None:
    """`convex-tui demo` from a directory with no package.json: the pane says what it does in a
    workspace, hides the script keys, and neither D nor b starts anything."""
    empty = tmp_path / "not-a-workspace"
    empty.mkdir()
    app = build(empty, in_process_sandbox=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        screen = scripts(app)
        explainer = screen.query_one("#explainer")
        assert explainer.display and not screen.query_one("#scripts").display
        text = str(explainer.render())
        assert "deploy:functions, dev:backend" in text and "convex-tui demo --project" in text
        assert str(empty) in text
        footer_actions = {k.action for k in app.screen.query_one(ConsoleFooter).shown}
        assert "run" not in footer_actions and "dev" not in footer_actions
        assert "help" in footer_actions
        await pilot.press("b", "r", "enter")  # hidden script keys: nothing happens
        await pilot.press("D")  # the App's deploy key: says why not
        await until(pilot, lambda: app._notifications, what="the explanation")
        assert not app.board.runs, "nothing ran"
        [note] = list(app._notifications)
        assert note.message.startswith("No deploy in the demo") and "--project" in note.message


async def test_a_workspace_in_the_sandbox_lists_its_scripts(tmp_path: Path) -> None:
    """`demo --project DIR` (the sandbox, a workspace): the scripts as in any workspace."""
    app = build(make_workspace(tmp_path / "ws"), in_process_sandbox=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        screen = scripts(app)
        assert not screen.query_one("#explainer").display
        names = [str(k.value) for k in screen.query_one("#scripts", DataTable).rows]
        assert names[:2] == ["deploy:functions", "dev:backend"]
