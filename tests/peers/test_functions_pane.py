"""The Functions pane lists exactly what `npx convex function-spec` (convex@1.48.0) lists."""

from __future__ import annotations

import dataclasses
import json
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
from tui.convex.models import FunctionSpec

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
