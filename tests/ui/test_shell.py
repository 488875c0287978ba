"""Pilot tests of the shell: panes, palette, help, keymap, read-only, profiles, copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from screens.app import ConsoleApp, make_app
from screens.confirm import ConfirmScreen
from screens.help import HelpScreen
from screens.logs import LogsScreen
from screens.profile_picker import ProfilePickerScreen
from screens.status import StatusScreen
from screens.widgets.header import ConsoleHeader
from tests.ui.conftest import until
from tests.ui.fakes import FakeContainerLogs, FakeDocker, FakeProber, fixed_clock, settings
from tui.config import CliOverrides, load_settings
from tui.docker.errors import DockerUnavailable
from tui.docker.models import EngineInfo
from tui.docker.watcher import Disconnected, Snapshot
from tui.keys import ALL_KEYS
from tui.safety.guard import WriteKind, WriteRequest


def hits(app: ConsoleApp) -> int:
    from textual.command import CommandList

    lists = app.screen.query(CommandList)
    return lists.first().option_count if lists else 0


def fake_app(**kw: object) -> tuple[ConsoleApp, FakeDocker, FakeProber]:
    docker = FakeDocker(down=bool(kw.pop("docker_down", False)))
    prober = FakeProber(up=bool(kw.pop("api_up", True)))
    app = make_app(
        settings(**kw),  # type: ignore[arg-type]
        prober=prober,
        docker=docker,
        clock=fixed_clock,
        connect_convex=False,
        log_followers=FakeContainerLogs,
    )
    return app, docker, prober


def rows(app: ConsoleApp, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def loaded(pilot: object, app: ConsoleApp) -> None:
    await until(pilot, lambda: app.header_state.containers == "2/3 up", what="containers")
    await until(pilot, lambda: app.header_state.http == "up", what="probe")


async def test_pane_keys_switch_modes_and_header_stays() -> None:
    app, _, _ = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        for key, mode in zip(
            "234561", ("logs", "functions", "data", "env", "scripts", "status"), strict=True
        ):
            await pilot.press(key)
            assert app.current_mode == mode
            assert app.screen.query_one(ConsoleHeader).state.containers == "2/3 up"
        await pilot.press("3")
        from screens.functions import FunctionsScreen

        assert isinstance(app.screen, FunctionsScreen)


async def test_help_lists_every_binding_with_remapped_keys() -> None:
    app, _, _ = fake_app(keymap={"pane.logs": "9"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        # Grouped by pane, the one we came from first.
        assert [t for t, _ in help_screen.sections][:2] == ["Status pane", "Everywhere"]
        shown = [r for _, section in help_screen.sections for r in section]
        assert sorted(r[2] for r in shown) == sorted(spec.id for spec in ALL_KEYS)
        assert "9" in [r[0] for r in shown if r[2] == "pane.logs"]
        await pilot.press("escape")
        assert isinstance(app.screen, StatusScreen)
        await pilot.press("2")  # remapped away: no longer switches
        assert app.current_mode == "status"
        await pilot.press("9")
        assert app.current_mode == "logs"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_palette_switches_pane_and_theme() -> None:
    app, _, _ = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Pane: Data")
        await until(pilot, lambda: hits(app), what="hits")
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "data", what="data pane")
        await pilot.press("ctrl+p")
        await pilot.press(*"Theme: nord")
        await until(pilot, lambda: hits(app), what="hits")
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == "nord", what="theme")


async def test_read_only_refuses_every_write_action() -> None:
    app, docker, _ = fake_app(read_only=True)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        assert app.header_state.read_only
        app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
        for key in ("s", "x", "r", "g"):
            await pilot.press(key)
            assert not isinstance(app.screen, ConfirmScreen)
        refusals = [n for n in notes if "refused — read-only mode" in n]
        assert len(refusals) == 4, notes
        assert "stop container convex-backend-1: refused" in refusals[1]
        assert docker.ops == []
        # The console's lock is the clients' guard: one decision.
        assert app.context.guard.read_only
        app.read_only = False
        assert not app.context.guard.read_only and app.guard_write("x")


async def test_restart_confirmed_then_runs_and_cancel_does_not() -> None:
    app, docker, _ = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        selected = rows(app, "containers")[0][0]  # sorted by service: backend first
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert docker.ops == []
        await pilot.press("r", "y")
        await until(pilot, lambda: docker.ops, what="restart")
        assert docker.ops[0][0] == "restart"
        assert selected == "convex-backend-1"


async def test_lock_between_confirm_and_send_is_shown_not_sent() -> None:
    """The action runs on its own thread (issue 9) and the client's guard refuses there
    (issue 8): the refusal is a read-only notice, not an "action failed" error."""
    app, docker, _ = fake_app()
    notes: list[tuple[str, str]] = []

    def guarded_stop(container: str, timeout: int = 10) -> None:
        app.context.guard.check(WriteRequest(WriteKind.CONTAINER, f"stop container {container}"))
        docker.ops.append(("stop", container))

    docker.stop = guarded_stop  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        app.notify = lambda message, **kw: notes.append(  # type: ignore[method-assign]
            (str(message), str(kw.get("title", "")))
        )
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        app.read_only = True  # locked (ctrl+e) while the question is open
        await pilot.press("y")
        await until(pilot, lambda: any(t == "read-only" for _, t in notes), what="refusal")
        refusal = next(m for m, t in notes if t == "read-only")
        assert "stop container" in refusal and "refused — read-only mode" in refusal
        assert docker.ops == []
        assert not any("failed" in t for _, t in notes), notes


async def test_protected_target_starts_locked_and_unlocks_with_typed_name() -> None:
    app, docker, _ = fake_app(protected=True, profile="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert app.read_only and app.has_class("-protected")
        assert app.header_state.protected
        await pilot.press("ctrl+e")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # typed name missing: refused
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press(*"prod", "enter")
        await until(pilot, lambda: not app.read_only, what="unlock")
        await pilot.press("ctrl+e")  # locking needs no confirmation
        assert app.read_only


async def test_q_quits_only_outside_text_inputs() -> None:
    app, _, _ = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash")
        box = app.screen.query_one("#filter", Input)
        assert box.has_focus
        await pilot.press("q", "u", "x")
        assert box.value == "qux" and app.is_running
        await pilot.press("escape")
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running, what="quit")
    assert app.return_code == 0


async def test_filter_narrows_containers() -> None:
    app, _, _ = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash", *"dash")
        assert [r[0] for r in rows(app, "containers")] == ["convex-dashboard-1"]
        await pilot.press("escape")
        assert len(rows(app, "containers")) == 3


async def test_copy_and_logs_jump_carry_the_selected_container() -> None:
    app, docker, _ = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("c")
        assert app.clipboard == docker.containers[0].id
        await pilot.press("l")
        assert app.current_mode == "logs"
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await until(pilot, lambda: screen.container_filter == "convex-backend-1", what="filter")
        assert screen.containers == {"convex-backend-1"}  # its log is followed


async def test_docker_down_shows_fix_keeps_probing_and_recovers() -> None:
    app, docker, prober = fake_app(docker_down=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.header_state.containers == "docker down", what="down")
        message = app.screen.query_one("#docker-message")
        assert "start it" in str(message.render()) and message.display
        await until(pilot, lambda: app.header_state.http == "up", what="probes still run")
        docker.push(Snapshot(EngineInfo("27", "1.47", "linux", "amd64"), docker.containers))
        await until(pilot, lambda: app.header_state.containers == "2/3 up", what="recovery")
        assert not app.screen.query_one("#docker-message").display
        docker.push(Disconnected(DockerUnavailable("unix:///x", "connection refused"), 1.0))
        await until(pilot, lambda: app.header_state.containers == "docker down", what="down again")
        assert rows(app, "containers") == []


async def test_generate_admin_key_writes_env_file_mode_600_with_backup(tmp_path: Path) -> None:
    env = tmp_path / ".env.convex.local"
    env.write_text(
        "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\nCONVEX_SELF_HOSTED_ADMIN_KEY=old\n"
    )
    app, docker, _ = fake_app(project_dir=tmp_path)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
        await pilot.press("g", "y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="offer to save")
        await pilot.press("y")
        await until(pilot, lambda: any("Saved key" in n for n in notes), what="saved")
        # Used at once: the settings and the clients of the new context carry the new key.
        await until(
            pilot,
            lambda: (
                app.context.settings.admin_key is not None
                and app.context.settings.admin_key.reveal().endswith("7e1a")
            ),
            what="new key in use",
        )
        assert app.context.settings.admin_key_source == str(env)
    assert ("generate", docker.containers[0].id) in docker.ops
    check_env_file(env, tmp_path)
    assert not any("cd" * 40 in n for n in notes), "the key itself is never shown"


async def test_profile_switch_retargets_probes_and_docker(sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.demo]\nurl = "{sandbox.url}"\ncompose_project = "demo"\n'
        '[profiles.prod]\nurl = "http://127.0.0.1:9"\nprotected = true\ncompose_project = "prod"\n'
    )
    base = load_settings(
        CliOverrides(profile="demo", admin_key=sandbox.admin_key, config_path=config)
    )
    docker = FakeDocker()
    app = make_app(base, docker=docker, clock=fixed_clock, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.header_state.http == "up", what="sandbox up")
        assert app.header_state.version and not app.read_only
        api_row = rows(app, "services")[0]
        assert api_row[1] == "up" and "valid" in api_row[3]
        await pilot.press("p")
        assert isinstance(app.screen, ProfilePickerScreen)
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.header_state.profile == "prod", what="switched")
        await until(pilot, lambda: app.header_state.http == "down", what="prod probed")
        assert app.read_only and app.has_class("-protected")
        assert docker.selectors[-1] is not None and docker.selectors[-1].project == "prod"
        assert rows(app, "services")[0][1] == "down"


def check_env_file(env: Path, tmp_path: Path) -> None:
    assert "cd" * 40 + "7e1a" in env.read_text()
    assert env.stat().st_mode & 0o777 == 0o600
    backups = list(tmp_path.glob(".env.convex.local.bak-*"))
    assert len(backups) == 1 and "=old" in backups[0].read_text()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_screen_renders_at_size(size: tuple[int, int]) -> None:
    app, _, _ = fake_app()
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        header = app.screen.query_one("ConsoleHeader")
        assert header.region.height == 1 and header.region.width == size[0]
        table = app.screen.query_one("#containers", DataTable)
        assert table.region.height >= 5


async def test_mouse_selects_a_row_and_confirms_with_a_click() -> None:
    """Everything the keys do works with the mouse too (Coder's browser terminal)."""
    app, docker, _ = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        table = app.screen.query_one("#containers", DataTable)
        second = rows(app, "containers")[1][0]
        await pilot.click("#containers", offset=(4, 3))  # border, header line, then rows
        assert table.cursor_row == 1
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#yes")
        await until(pilot, lambda: docker.ops, what="restart by click")
        assert docker.ops[0][0] == "restart"
        assert second in {c.name for c in docker.containers if c.id == docker.ops[0][1]}


async def test_profile_picker_starts_on_the_current_profile() -> None:
    from textual.widgets import OptionList

    from tui.config.settings_file import Profile

    profiles = {n: Profile(name=n, url=f"http://127.0.0.1:{p}") for n, p in (("a", 1), ("b", 2))}
    app, _, _ = fake_app(profile="b", profiles={**profiles, "c": Profile(name="c")})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p")
        picker = app.screen
        assert isinstance(picker, ProfilePickerScreen)
        options = picker.query_one("#profiles", OptionList)
        assert options.highlighted == 1  # a, [b], c
        await pilot.press("enter")  # keeps the current profile: no switch
        assert app.header_state.profile == "b" and isinstance(app.screen, StatusScreen)


async def test_threads_get_the_gil_promptly_while_the_console_runs_and_not_after() -> None:
    """A frame on Textual's writer thread, or rows on a reader thread, wait for the UI thread
    at most the switch interval: shortened while the console runs, put back when it ends."""
    import sys

    from screens.painting import SWITCH_INTERVAL_S

    before = sys.getswitchinterval()
    assert before > SWITCH_INTERVAL_S  # the interpreter's default (5 ms) here
    app, _docker, _prober = fake_app()
    async with app.run_test(size=(120, 40)):
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S
    assert sys.getswitchinterval() == before
