"""The console explains itself: the doctor's failures on the Status pane, and its full report.

Each case is real: a port where nothing listens, the sandbox answering a foreign key with 401,
an env file with a line that does not parse. Within a few seconds the Status pane must show the
cause and the fix in the doctor's words.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from rich.console import Console
from textual.widgets import DataTable, Static

from screens.app import ConsoleApp, make_app
from screens.doctor import DoctorScreen
from screens.status import StatusScreen
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, fixed_clock
from tui.config import CliOverrides, Settings, load_settings
from tui.config.secret import Secret
from tui.doctor.checks import run_checks
from tui.sandbox.server import SandboxThread

FOREIGN_KEY = "convex-self-hosted|01" + "77" * 40
SOON = 5.0  # "within a few seconds"


def target(
    tmp_path: Path, url: str, key: str, env: str | None = None, site: str | None = None
) -> Settings:
    if env is not None:
        (tmp_path / ".env.convex.local").write_text(env)
        (tmp_path / ".env.convex.local").chmod(0o600)  # it holds the key: the doctor checks
    settings = load_settings(
        CliOverrides(
            url=url,
            admin_key=key,
            project_dir=tmp_path,
            config_path=tmp_path / "absent.toml",
        ),
        environ={},
    )
    return dataclasses.replace(settings, site_url=site or settings.site_url, dashboard_url="")


def app_for(settings: Settings) -> ConsoleApp:
    return make_app(settings, docker=FakeDocker(), clock=fixed_clock, connect_convex=False)


def notice_ids(app: ConsoleApp) -> list[str]:
    screen = app.screen
    return [c.id for c in screen.notices] if isinstance(screen, StatusScreen) else []


def plain(widget: Static) -> str:
    """What a Static shows, as text (wide: no wrapping to trip substring checks)."""
    console = Console(width=400, record=True, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return " ".join(line.strip() for line in console.export_text().splitlines())


def shown(app: ConsoleApp) -> str:
    widget = app.screen.query_one("#notices", Static)
    return plain(widget) if widget.display else ""


async def test_dead_url_shows_cause_and_fix(tmp_path: Path) -> None:
    app = app_for(target(tmp_path, "http://127.0.0.1:9", FOREIGN_KEY, ""))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "backend.reachable" in notice_ids(app), SOON, "notice")
        text = shown(app)
        assert "Backend /version: connection refused or host unreachable: http://127.0.0.1:9" in (
            text
        )
        assert "fix: start the backend: docker compose up -d" in text


async def test_rejected_key_shows_cause_and_fix(sandbox: SandboxThread, tmp_path: Path) -> None:
    app = app_for(target(tmp_path, sandbox.url, FOREIGN_KEY, "", sandbox.site_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "backend.admin_key" in notice_ids(app), SOON, "notice")
        text = shown(app)
        assert "Admin key accepted:" in text and "rejected" in text.lower()
        assert "fix: generate a key for this instance" in text
        assert "backend.reachable" not in notice_ids(app)  # the backend itself is fine
        assert FOREIGN_KEY not in text


async def test_malformed_env_file_shows_cause_and_fix(
    sandbox: SandboxThread, tmp_path: Path
) -> None:
    env = f'CONVEX_SELF_HOSTED_URL={sandbox.url}\nexport = = broken "line\n'
    app = app_for(target(tmp_path, sandbox.url, sandbox.admin_key, env, sandbox.site_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "env.parse" in notice_ids(app), SOON, "notice")
        await until(pilot, lambda: app.header_state.http == "up", SOON, "probe")
        text = shown(app)
        assert "Env file .env.convex.local:" in text and ".env.convex.local:2: cannot parse" in text
        assert "fix: fix or remove that line (format: NAME=value)" in text
        assert notice_ids(app) == ["env.parse"]  # the key is fine: nothing else fails


async def test_notice_clears_once_fixed_and_modal_shows_the_full_report(
    sandbox: SandboxThread, tmp_path: Path
) -> None:
    """A healthy target shows no notice; `d` opens every check, with the doctor's summary."""
    settings = target(
        tmp_path, sandbox.url, sandbox.admin_key, f"X={sandbox.url}\n", sandbox.site_url
    )
    app = app_for(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.header_state.http == "up", SOON, "probe")
        await pilot.pause()
        assert notice_ids(app) == [] and shown(app) == ""
        screen = DoctorScreen(
            settings, run=lambda s: run_checks(s, lambda _: ("ok", "1/1 up: i8-x", ["i8-x"]))
        )
        await app.push_screen(screen)
        await until(pilot, lambda: screen.checks is not None, 10.0, "doctor checks")
        assert screen.checks is not None
        ids = [c.id for c in screen.checks]
        assert "backend.admin_key" in ids and "docker.containers" in ids
        report = plain(screen.query_one("#report", Static))
        assert "Admin key accepted" in report and "checks: 0 failed" in report
        await pilot.press("escape")
        assert isinstance(app.screen, StatusScreen)
        await pilot.press("d")
        assert isinstance(app.screen, DoctorScreen)


async def test_a_saved_key_is_used_at_once(sandbox: SandboxThread, tmp_path: Path) -> None:
    """The rejected-key notice goes away as soon as the good key is saved: clients rebuilt."""
    app = app_for(target(tmp_path, sandbox.url, FOREIGN_KEY, "", sandbox.site_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "backend.admin_key" in notice_ids(app), SOON, "notice")
        old_context = app.context
        app.use_admin_key(Secret(sandbox.admin_key), tmp_path / ".env.convex.local")
        assert app.context is not old_context
        rows = app.screen.query_one("#services", DataTable)
        await until(pilot, lambda: "valid" in str(rows.get_row_at(0)[3]), SOON, "key accepted")
        assert notice_ids(app) == [] and shown(app) == ""


async def test_profile_switch_runs_the_checks_for_the_new_target(
    sandbox: SandboxThread, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    env = broken / ".env.convex.local"
    env.write_text("export = = broken\n")
    env.chmod(0o600)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.good]\nurl = "{sandbox.url}"\nsite_url = "{sandbox.site_url}"\n'
        f'[profiles.broken]\nurl = "{sandbox.url}"\nsite_url = "{sandbox.site_url}"\n'
        f'project_dir = "{broken}"\n'
    )
    good = load_settings(
        CliOverrides(
            profile="good", admin_key=sandbox.admin_key, project_dir=tmp_path, config_path=config
        ),
        environ={},
    )
    app = make_app(
        dataclasses.replace(good, dashboard_url=""),
        docker=FakeDocker(),
        clock=fixed_clock,
        connect_convex=False,
        settings_loader=lambda name: dataclasses.replace(
            load_settings(
                CliOverrides(profile=name, admin_key=sandbox.admin_key, config_path=config),
                environ={},
            ),
            dashboard_url="",
        ),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.header_state.http == "up", SOON, "probe")
        assert "env.parse" not in notice_ids(app)
        app.apply_profile("broken")
        await until(pilot, lambda: "env.parse" in notice_ids(app), SOON, "notice after switch")
        assert f"{env}:1: cannot parse line" in shown(app)


async def test_no_containers_hint_says_start_them_or_that_the_demo_has_none(tmp_path: Path) -> None:
    """A workspace with no containers is told how to start them; the demo's in-process sandbox
    (no containers by design) is not told to run `docker compose up -d`."""
    base = target(tmp_path, "http://127.0.0.1:9", FOREIGN_KEY)
    for settings, expected, absent in (
        (base, "docker compose up -d", "demo's sandbox"),
        (dataclasses.replace(base, in_process_sandbox=True), "demo's sandbox", "compose up"),
    ):
        app = make_app(
            settings, docker=FakeDocker(containers=()), clock=fixed_clock, connect_convex=False
        )
        async with app.run_test(size=(120, 40)) as pilot:
            message = app.screen.query_one("#docker-message", Static)

            def hint_shown(m: Static = message) -> bool:
                return "-hidden" not in m.classes

            await until(pilot, hint_shown, what="hint")
            text = plain(message)
            assert expected in text and absent not in text, text
