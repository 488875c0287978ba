"""The Env pane against the sandbox with Pilot: masking, add/edit/remove through the guard
(cross-checked with the real `npx convex env list`), the backend's validation messages, and
read-only refusals with nothing sent."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import DataTable, Input

from screens.app import ConsoleApp, make_app
from screens.env import EnvScreen
from screens.env_edit import EnvEditScreen
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, fixed_clock, settings
from tui.config import CliOverrides, load_settings
from tui.config.secret import Secret
from tui.sandbox.server import SandboxThread

CONVEX_BIN = Path(__file__).resolve().parents[1] / "peers" / "node_modules" / ".bin" / "convex"
SECRET = "s3cr3t-value-7f1d"


def build(sandbox: SandboxThread, project: Path | None = None, **kw: Any) -> ConsoleApp:
    s = dataclasses.replace(
        settings(project_dir=project or Path("/nonexistent"), **kw),
        url=sandbox.url,
        admin_key=Secret(sandbox.admin_key),
    )
    if project is not None:  # resolved as at start-up: env files, workspace variables
        cli = CliOverrides(url=sandbox.url, project_dir=project,
                           config_path=project / "no-config.toml")  # fmt: skip
        loaded = load_settings(cli, environ={})
        s = dataclasses.replace(s, env_files=loaded.env_files, workspace=loaded.workspace)
    return make_app(s, prober=FakeProber(), docker=FakeDocker(), clock=fixed_clock)


def http(sandbox: SandboxThread) -> httpx.Client:
    headers = {"Authorization": f"Convex {sandbox.admin_key}"}
    return httpx.Client(base_url=sandbox.url, headers=headers, timeout=10)


def deployment_env(sandbox: SandboxThread) -> dict[str, str]:
    with http(sandbox) as client:
        return dict(client.get("/api/list_environment_variables").json()["environmentVariables"])


def set_env(sandbox: SandboxThread, **changes: str | None) -> None:
    body = {"changes": [{"name": k, "value": v} for k, v in changes.items()]}
    with http(sandbox) as client:
        assert client.post("/api/update_environment_variables", json=body).status_code == 200


def cli_env_list(sandbox: SandboxThread, tmp_path: Path) -> list[str]:
    """`npx convex env list` (the pinned real CLI) — skipped loudly only outside CI."""
    if shutil.which("node") is None or not CONVEX_BIN.exists():
        if os.environ.get("CI"):
            pytest.fail("the real convex CLI is required in CI (tests/peers: npm ci)")
        pytest.skip("REAL CLI MISSING: tests/peers/node_modules")
    app = tmp_path / "cli-app"
    (app / "convex").mkdir(parents=True, exist_ok=True)
    (app / "package.json").write_text(json.dumps({"name": "a", "dependencies": {"convex": "*"}}))
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "CI": "1", "NO_COLOR": "1",
        "CONVEX_SELF_HOSTED_URL": sandbox.url, "CONVEX_SELF_HOSTED_ADMIN_KEY": sandbox.admin_key,
    }  # fmt: skip
    out = subprocess.run([str(CONVEX_BIN), "env", "list"], cwd=app, env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def env_screen(app: ConsoleApp) -> EnvScreen:
    assert isinstance(app.screen, EnvScreen)
    return app.screen


def screen_text(app: ConsoleApp) -> str:
    """What the terminal shows now, as plain text (the top screen over the ones below). A
    render between a table's refill and its idle measurement is what a real paint can do: the
    pane's `FittingTable`s draw the measured widths after it ("missing on the deploym…" stayed
    cut with Textual's own table, the CI flake of `test_local_side_diff_and_apply`)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


async def open_env(pilot: Any) -> EnvScreen:
    await pilot.press("5")
    screen = env_screen(pilot.app)
    await until(pilot, lambda: screen.deployed is not None, what="variables loaded")
    await pilot.pause()
    return screen


async def select(pilot: Any, name: str) -> None:
    table = pilot.app.screen.query_one("#vars", DataTable)
    await until(pilot, lambda: name in table.rows, what=f"row {name}")
    table.move_cursor(row=table.get_row_index(name))
    table.focus()
    await pilot.pause()


async def fill_dialog(pilot: Any, name: str | None, value: str) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, EnvEditScreen), what="edit dialog")
    dialog = pilot.app.screen
    if name is not None:
        dialog.query_one("#name", Input).value = name
    dialog.query_one("#value", Input).value = value
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def test_masked_until_revealed(sandbox: SandboxThread) -> None:
    set_env(sandbox, UI_MASK_TEST=SECRET)
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_env(pilot)
        await select(pilot, "UI_MASK_TEST")
        await until(pilot, lambda: "UI_MASK_TEST" in screen_text(app), what="the name drawn")
        assert SECRET not in screen_text(app)
        await pilot.press("v")
        await until(pilot, lambda: SECRET in screen_text(app), what="revealed")
        await pilot.press("v")
        await until(pilot, lambda: SECRET not in screen_text(app), what="hidden again")
        assert "UI_MASK_TEST" in screen_text(app)
    set_env(sandbox, UI_MASK_TEST=None)


async def test_add_edit_remove_cross_checked(sandbox: SandboxThread, tmp_path: Path) -> None:
    name = "UI_ENV_ROUNDTRIP"
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_env(pilot)
        await pilot.press("a")
        await fill_dialog(pilot, name, "first value")
        await until(pilot, lambda: "npx convex env set UI_ENV_ROUNDTRIP '<value>'"
                    in screen_text(app), what="the command shown")  # fmt: skip
        assert "first value" not in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: (screen.deployed or {}).get(name) == "first value")
        assert f"{name}=first value" in cli_env_list(sandbox, tmp_path)
        assert app.convex is not None
        checked = await app.convex.query("debug:checkEnv", {})
        assert name in checked.value["set"], "functions see the new variable"

        await select(pilot, name)
        await pilot.press("e")
        await fill_dialog(pilot, None, "second value")
        await pilot.press("y")
        await until(pilot, lambda: (screen.deployed or {}).get(name) == "second value")
        assert f"{name}=second value" in cli_env_list(sandbox, tmp_path)

        await select(pilot, name)
        await pilot.press("d")
        await until(pilot, lambda: "npx convex env remove UI_ENV_ROUNDTRIP" in screen_text(app),
                    what="the command shown")  # fmt: skip
        await pilot.press("y")
        await until(pilot, lambda: screen.deployed is not None and name not in screen.deployed)
        assert not any(line.startswith(f"{name}=") for line in cli_env_list(sandbox, tmp_path))


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("1BAD-NAME", "x", "EnvironmentVariableNameInvalid"),
        ("CONVEX_SITE_URL", "http://x", "EnvVarNameForbidden"),
        ("UI_TOO_LARGE", "x" * 9000, "EnvironmentVariableValueTooLarge"),
    ],
)
async def test_backend_validation_messages(
    sandbox: SandboxThread, name: str, value: str, expected: str
) -> None:
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_env(pilot)
        before = dict(screen.deployed or {})
        await pilot.press("a")
        await fill_dialog(pilot, name, value)
        await pilot.press("y")
        # The dialog comes back with the backend's message, so the user can correct it.
        dialog = await until(
            pilot, lambda: isinstance(app.screen, EnvEditScreen) and app.screen, what="retry"
        )
        error = str(dialog.query_one("#error").render())
        assert error, "the backend's message is shown"
        assert any(n.title == expected for n in app._notifications), [
            (n.title, n.message) for n in app._notifications
        ]
        await pilot.press("escape")
        assert deployment_env(sandbox) == before | {} or name not in deployment_env(sandbox)


async def test_read_only_refuses_and_sends_nothing(sandbox: SandboxThread) -> None:
    set_env(sandbox, UI_RO_TEST="keep")
    app = build(sandbox, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_env(pilot)
        await select(pilot, "UI_RO_TEST")
        for key in ("a", "e", "d", "A"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, EnvScreen), f"{key} opened a dialog in read-only mode"
        kinds = [r.kind.value for r in app.context.guard.refused]
        assert kinds.count("env change") >= 3
        assert screen.deployed is not None
    assert deployment_env(sandbox).get("UI_RO_TEST") == "keep"
    set_env(sandbox, UI_RO_TEST=None)


async def test_local_side_diff_and_apply(sandbox: SandboxThread, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "convex").mkdir(parents=True)
    (project / ".env.convex.local").write_text(
        "CONVEX_SELF_HOSTED_ADMIN_KEY=" + sandbox.admin_key + "\n"
        "JWT_ISSUER=http://127.0.0.1:3211\nCONVEX_SITE_ORIGIN=http://127.0.0.1:3999\n"
        "ENABLE_RAG=true\n"
    )
    (project / "convex" / "auth.config.ts").write_text(
        "export default { providers: [{ domain: process.env.CONVEX_SITE_ORIGIN, "
        'applicationID: "convex" }] };\n'
    )
    set_env(sandbox, ENABLE_RAG=None, JWT_ISSUER=None, CONVEX_SITE_ORIGIN=None)
    app = build(sandbox, project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_env(pilot)

        def local_side_drawn() -> bool:  # the tables lay their new rows out when idle
            shown = screen_text(app)
            return ".env.convex.local:3" in shown and "missing on the deployment" in shown

        await until(pilot, local_side_drawn, what="the local side on screen",
                    shown=lambda: f"{screen_text(app)}\ndeployed={screen.deployed}")  # fmt: skip
        text = screen_text(app)
        assert sandbox.admin_key not in text
        assert "CONVEX_SITE_ORIGIN = JWT_ISSUER" in text  # the doctor's relationship check
        assert "JWT_PRIVATE_KEY" in text
        # auth.config.ts readiness: the full message and fix show for the highlighted check.
        table = screen.query_one("#checks", DataTable)
        row = next(n for n, c in enumerate(screen.checks) if c.id == "auth.config")
        assert screen.checks[row].status == "warn"
        table.focus()
        table.move_cursor(row=row)
        await until(pilot, lambda: "not process.env.CONVEX_SITE_URL" in screen_text(app),
                    what="the highlighted check's message")  # fmt: skip
        text = screen_text(app)
        assert "not process.env.CONVEX_SITE_URL" in text
        assert "fix: set domain: process.env.CONVEX_SITE_URL" in text
        await pilot.press("A")
        await until(pilot, lambda: "npx convex env set ENABLE_RAG '<value>'" in screen_text(app),
                    what="the command shown")  # fmt: skip
        await pilot.press("y")
        await until(pilot, lambda: (screen.deployed or {}).get("ENABLE_RAG") == "true")
        assert deployment_env(sandbox)["JWT_ISSUER"] == "http://127.0.0.1:3211"
    set_env(sandbox, ENABLE_RAG=None, JWT_ISSUER=None, CONVEX_SITE_ORIGIN=None)


async def test_multi_line_value_pasted_whole(sandbox: SandboxThread) -> None:
    """A PEM pasted into the value is kept whole (a one-line input keeps only its first line)."""
    from textual import events

    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----"
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_env(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, EnvEditScreen), what="dialog")
        dialog = app.screen
        assert isinstance(dialog, EnvEditScreen)
        dialog.query_one("#name", Input).value = "UI_PEM_TEST"
        value = dialog.query_one("#value", Input)
        value.focus()
        value.post_message(events.Paste(pem))
        await until(pilot, lambda: dialog.multiline, what="multi-line editor")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: (screen.deployed or {}).get("UI_PEM_TEST") == pem)
        # Editing it again opens the multi-line editor with the whole value.
        await select(pilot, "UI_PEM_TEST")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EnvEditScreen), what="edit dialog")
        edit = app.screen
        assert isinstance(edit, EnvEditScreen) and edit.multiline
        await pilot.press("escape")
    set_env(sandbox, UI_PEM_TEST=None)


async def test_env_file_row_offers_its_value(sandbox: SandboxThread, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".env.convex.local").write_text(
        f"CONVEX_SELF_HOSTED_ADMIN_KEY={sandbox.admin_key}\nUI_FROM_FILE=from-the-file\n"
    )
    app = build(sandbox, project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_env(pilot)
        local = screen.query_one("#local", DataTable)
        local.focus()
        local.move_cursor(row=local.get_row_index("local:CONVEX_SELF_HOSTED_ADMIN_KEY"))
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EnvScreen), "the admin key is never offered"
        local.move_cursor(row=local.get_row_index("local:UI_FROM_FILE"))
        await pilot.press("e")
        dialog = await until(pilot, lambda: isinstance(app.screen, EnvEditScreen) and app.screen)
        assert dialog.query_one("#value", Input).value == "from-the-file"
        assert dialog.query_one("#name", Input).value == "UI_FROM_FILE"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: (screen.deployed or {}).get("UI_FROM_FILE") == "from-the-file")
    set_env(sandbox, UI_FROM_FILE=None)
