"""The Functions pane lists exactly what `npx convex function-spec` (convex@1.48.0) lists."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Tree

from screens.app import make_app
from screens.functions import FunctionsScreen
from tests.peers.conftest import ConvexCli, Sandbox
from tests.ui.conftest import until
from tests.ui.fakes import FakeProber, settings
from tui.config.secret import Secret
from tui.convex import values
from tui.convex.models import FunctionSpec
from tui.convex.values import Int64
from tui.functions.store import HistoryEntry

pytestmark = [pytest.mark.peers, pytest.mark.timeout(90)]


def _leaves(node: Any) -> list[FunctionSpec]:
    out: list[FunctionSpec] = []
    for child in node.children:
        if child.data is not None:
            out.append(child.data)
        out.extend(_leaves(child))
    return out


async def test_pane_list_equals_function_spec(
    convex_cli: ConvexCli, peer_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVEX_TUI_DATA_DIR", str(tmp_path))
    result = convex_cli.run("function-spec")
    assert result.code == 0, result.describe()
    cli = {
        (
            f"{fn['method']} {fn['path']}"
            if fn["functionType"] == "HttpAction"
            else fn["identifier"],
            fn["functionType"],
            (fn.get("visibility") or {}).get("kind"),
            json.dumps(fn.get("args"), sort_keys=True) if "args" in fn else None,
        )
        for fn in json.loads(result.stdout)["functions"]
    }
    s = dataclasses.replace(
        settings(url=peer_sandbox.url), admin_key=Secret(peer_sandbox.admin_key)
    )
    app = make_app(s, prober=FakeProber())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        screen = await until(
            pilot,
            lambda: isinstance(app.screen, FunctionsScreen) and app.screen.specs and app.screen,
            what="function list",
        )
        assert isinstance(screen, FunctionsScreen)
        shown = _leaves(screen.query_one("#fn-tree", Tree).root)
    pane = {
        (
            spec.identifier,
            spec.function_type,
            spec.visibility,
            None if spec.is_http else json.dumps(dict(spec.args or {}), sort_keys=True),
        )
        for spec in shown
    }
    assert len(shown) == len(cli)
    assert pane == cli


def test_copied_command_lines_run_and_agree(
    convex_cli: ConvexCli, peer_sandbox: Sandbox, tmp_path: Path
) -> None:
    """The history's `npx convex run …` and `convex-tui run …` lines, run as copied, print the
    same value (int64 and nested args included)."""
    entry = HistoryEntry(
        function="debug:echo",
        args=values.encode({"value": {"n": Int64(5), "s": 'it\'s "quoted"', "l": [1.5]}}),
        identity=None,
        outcome="ok",
        duration_ms=1.0,
    )
    npx = shlex.split(entry.npx_line())
    assert npx[:2] == ["npx", "convex"]
    theirs = convex_cli.run(*npx[2:])
    assert theirs.code == 0, theirs.describe()
    tui = shlex.split(entry.tui_line(None, peer_sandbox.url))
    assert tui[0] == "convex-tui"
    env = {**os.environ, "CONVEX_SELF_HOSTED_ADMIN_KEY": peer_sandbox.admin_key}
    ours = subprocess.run(
        [sys.executable, "-m", "tui", *tui[1:]],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert ours.returncode == 0, ours.stderr
    assert json.loads(ours.stdout) == json.loads(theirs.stdout)
    assert json.loads(ours.stdout)["n"] == {"$integer": "BQAAAAAAAAA="}
