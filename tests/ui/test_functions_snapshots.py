"""SVG snapshots of the Functions pane: the demo app's function list (from the sandbox registry,
no server: fixed data), tasks:create open, a result with Convex types, a pinned watch with a change.

Update only after looking at the report: pytest tests/ui/test_functions_snapshots.py --snapshot-update
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from textual.containers import Horizontal

from screens.functions import FunctionsScreen
from screens.pane import PaneTarget
from screens.widgets.watch_panel import WatchPanel
from tests.ui.conftest import until
from tests.ui.test_snapshots import build
from tui.convex.ids import encode_id
from tui.convex.models import FunctionResult, FunctionSpec, LogLine
from tui.convex.values import Int64
from tui.functions.runner import CallReport
from tui.sandbox.functions import build_registry
from tui.sandbox.system_cli import api_spec

TASK_ID = encode_id(10001, bytes(range(16)))
USER_ID = encode_id(10002, bytes(range(16, 32)))


def demo_specs() -> list[FunctionSpec]:
    return [FunctionSpec.from_json(raw) for raw in api_spec(build_registry())]


def task(title: str, status: str) -> dict[str, Any]:
    return {
        "_id": TASK_ID,
        "_creationTime": 1714564800123.5,
        "title": title,
        "status": status,
        "userId": USER_ID,
    }


async def pane_with(pilot: Any, path: str) -> FunctionsScreen:
    """The pane listing the demo app's functions (no server), ``path`` open in the editor."""
    await pilot.press("3")
    screen = await until(
        pilot, lambda: isinstance(pilot.app.screen, FunctionsScreen) and pilot.app.screen
    )
    assert isinstance(screen, FunctionsScreen)
    screen.specs = demo_specs()
    screen._rebuild_tree()
    screen.open_target(PaneTarget("function", path))
    await pilot.pause()
    return screen


def functions_pane() -> Any:
    async def run_before(pilot: Any) -> None:
        screen = await pane_with(pilot, "tasks:create")
        spec = next(s for s in screen.specs if s.path == "tasks:create")
        value = {
            "task": task("Write the runbook", "pending"),
            "attempts": Int64(3),
            "digest": b"\x00\x01convex-tui",
            "tags": ["ops", "docs"],
        }
        result = FunctionResult(
            value,
            (LogLine("INFO", "'Created task' 'k57...'"), LogLine("LOG", "'scheduled processTask'")),
            23.4,
            "8f2a6c1d0b9e7a35",
        )
        screen.show_report(
            CallReport(spec, {"title": "Write the runbook"}, None, "ok", result, None, 23.4)
        )
        panel = WatchPanel("tasks:list", {})
        box = screen.query_one("#fn-watches", Horizontal)
        await box.mount(panel)
        box.remove_class("-hidden")
        at = datetime(2026, 5, 1, 12, 0, 0)
        panel.update_value([task("Write the runbook", "pending")], at)
        panel.update_value([task("Write the runbook", "done")], at.replace(second=7))
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_functions_pane(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(build(), terminal_size=size, run_before=functions_pane())


def test_functions_validation_problem(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await pane_with(pilot, "tasks:update")
        await pilot.press("ctrl+r")  # the template's id is empty: refused before sending
        await pilot.pause()

    assert snap_compare(build(), terminal_size=(120, 40), run_before=run_before)
