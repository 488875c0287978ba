"""SVG snapshots of the Env and Scripts panes at 120x40 and 80x24, with fixed data.

The Env pane reads a fake Convex client (fixed variables and schema); the Scripts pane runs a
real script whose clock fields are pinned after it ends. Update after looking at the report:
pytest tests/ui/test_snapshots_env_scripts.py --snapshot-update
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest

from screens.app import ConsoleApp, make_app
from tests.scripts.workspaces import make_workspace
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, fixed_clock, settings
from tui.config import CliOverrides, load_settings

SNAP_ROOT = Path("/tmp/convex-tui-snapshots")
SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
ENV_FILE = """\
CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210
CONVEX_SELF_HOSTED_ADMIN_KEY=convex-self-hosted|01abababababababababababababababab9f3c
CONVEX_CLOUD_ORIGIN=https://convex-api--main--me.coder.example.com
CONVEX_SITE_URL=https://convex-api--main--me.coder.example.com
CONVEX_SITE_ORIGIN=https://convex-site--main--me.coder.example.com
JWT_ISSUER=https://convex-site--main--me.coder.example.com
OPENAI_API_KEY=sk-local-not-on-deployment
ENABLE_RAG=true
"""


class FakeConvex:
    """What the Env pane asks of the client, with fixed answers."""

    async def list_env(self) -> dict[str, str]:
        return {
            "CONVEX_SITE_ORIGIN": "https://convex-site--main--me.coder.example.com",
            "ENABLE_RAG": "false",
            "JWKS": '{"keys":[{"kty":"RSA"}]}',
            "JWT_ISSUER": "https://convex-site--main--me.coder.example.com",
            "JWT_PRIVATE_KEY": "-----BEGIN PRIVATE KEY----- MIIEv",
            "LITELLM_BASE_URL": "https://llm-gateway.example.com",
        }

    async def schema(self) -> dict[str, Any]:
        names = ["users", "authAccounts", "authSessions", "authRefreshTokens", "tasks"]
        return {"tables": [{"tableName": n} for n in names]}

    def subscribe(self, path: str, args: Any = None) -> Any:
        from tui.convex.errors import ConvexTransportError

        raise ConvexTransportError("no live subscriptions in this fake")

    async def close(self) -> None:
        return None


def env_project() -> Path:
    project = SNAP_ROOT / "env-project"
    (project / "convex").mkdir(parents=True, exist_ok=True)
    (project / ".env.convex.local").write_text(ENV_FILE)
    (project / "convex" / "auth.config.ts").write_text(
        'export default { providers: [{ domain: process.env.CONVEX_SITE_URL, applicationID: "convex" }] };\n'
    )
    return project


def build(project: Path) -> ConsoleApp:
    loaded = load_settings(
        CliOverrides(project_dir=project, config_path=project / "none.toml"), environ={}
    )
    s = dataclasses.replace(
        settings(project_dir=project), env_files=loaded.env_files, workspace=loaded.workspace
    )
    return make_app(
        s, prober=FakeProber(), docker=FakeDocker(), clock=fixed_clock, connect_convex=False
    )


@SIZES
def test_env_pane(snap_compare: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        await until(pilot, lambda: app.header_state.http == "up", what="probe")
        app.convex = FakeConvex()
        await pilot.press("5")
        app.convex_generation += 1
        await until(pilot, lambda: app.screen.deployed is not None, what="variables")
        await pilot.pause()
        if size[1] < 34:  # the short terminal's other lower table: the checks
            await pilot.press("l")
            await pilot.pause()

    assert snap_compare(build(env_project()), terminal_size=size, run_before=run_before)


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm runs the scripts")
@SIZES
def test_scripts_pane(
    snap_compare: Any, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CONVEX_TUI_DATA_DIR", str(tmp_path / "data"))
    project = make_workspace(SNAP_ROOT / "scripts-project", "npm")

    async def run_before(pilot: Any) -> None:
        app = pilot.app
        await until(pilot, lambda: app.header_state.http == "up", what="probe")
        await pilot.press("6")
        table = app.screen.query_one("#scripts")
        table.move_cursor(row=table.get_row_index("typecheck"))
        await pilot.pause()
        # Pinned output and exit status: the body as the runner would run it.
        script = app.workspace().get("typecheck")
        run = app.new_run(dataclasses.replace(script, argv=("sh", "-c", "echo checking; exit 3")))
        app.board.start("typecheck", run)
        await until(pilot, lambda: not run.running, what="script finished")
        run.started_at, run._t0, run._t1 = 1777636800.0, 0.0, 1.25  # pinned clock
        app.screen._show("typecheck", script.command_line)
        app.screen._refresh_states()
        await pilot.pause()

    assert snap_compare(build(project), terminal_size=size, run_before=run_before)
