"""The Data pane against a real sandbox: tables, paging, filters, detail and id links, edits."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from textual.widgets import DataTable

from screens.app import ConsoleApp, make_app
from screens.data import DataScreen
from screens.widgets.data_dialogs import DocumentDialog
from screens.widgets.doc_tree import DocTree
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, settings
from tui.config import Secret
from tui.sandbox.server import SandboxThread


@pytest.fixture(scope="module")
def box() -> Iterator[SandboxThread]:
    """A sandbox of this module's own: these tests write."""
    with SandboxThread(memory=True, seed="demo") as server:
        yield server


def call(sb: SandboxThread, kind: str, path: str, args: dict[str, Any]) -> Any:
    resp = httpx.post(
        f"{sb.url}/api/{kind}",
        json={"path": path, "args": args, "format": "convex_encoded_json"},
        headers={"Authorization": f"Convex {sb.admin_key}"},
    )
    body = resp.json()
    assert body["status"] == "success", body
    return body["value"]


def all_docs(sb: SandboxThread, table: str) -> list[dict[str, Any]]:
    page = call(
        sb,
        "query",
        "_system/cli/tableData",
        {"table": table, "order": "desc", "paginationOpts": {"numItems": 10000, "cursor": None}},
    )
    return list(page["page"])


def app_for(sb: SandboxThread, **kw: Any) -> ConsoleApp:
    s = dataclasses.replace(settings(url=sb.url, **kw), admin_key=Secret(sb.admin_key))
    return make_app(s, prober=FakeProber(), docker=FakeDocker())


def data(app: ConsoleApp) -> DataScreen:
    screen = app.screen
    assert isinstance(screen, DataScreen)
    return screen


async def open_pane(pilot: Any, app: ConsoleApp) -> DataScreen:
    await pilot.press("4")
    screen = data(app)
    await until(pilot, lambda: screen.tables, what="tables listed")
    return screen


async def open_table(pilot: Any, screen: DataScreen, name: str) -> None:
    tables = screen.query_one("#tables", DataTable)
    tables.focus()
    tables.move_cursor(row=tables.get_row_index(name))
    await pilot.press("enter")
    await until(
        pilot,
        lambda: screen.table == name and screen.window is not None and screen.window.loaded,
        what=f"{name} open",
    )
    await pilot.pause()


def grid_ids(screen: DataScreen) -> list[str]:
    return [str(k.value) for k in screen.query_one("#grid", DataTable).rows]


async def test_tables_with_counts_then_tasks_page_and_detail(box: SandboxThread) -> None:
    app = app_for(box)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot, app)
        counts = {t.name: t.count for t in screen.tables}
        for name in ("tasks", "messages", "users", "authAccounts"):
            assert counts[name] == len(all_docs(box, name)), name
        await open_table(pilot, screen, "tasks")
        docs = all_docs(box, "tasks")
        assert grid_ids(screen) == [d["_id"] for d in docs][: len(grid_ids(screen))]
        assert screen.columns[:2] == ["_id", "_creationTime"]
        assert screen.columns[2:7] == ["title", "description", "status", "priority", "userId"]
        assert "row 1 of " + f"{len(docs):,}" in str(screen.query_one("#position").render())
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DocumentDialog), what="detail")
        dialog = app.screen
        assert isinstance(dialog, DocumentDialog) and dialog.doc["_id"] == docs[0]["_id"]
        tree = dialog.query_one(DocTree)
        # Move to the userId leaf (an id link) and follow it: the user document opens.
        line = next(
            i
            for i in range(tree.last_line + 1)
            if (n := tree.get_node_at_line(i)) is not None and n.data == docs[0]["userId"]
        )
        tree.move_cursor_to_line(line)
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, DocumentDialog)
                and app.screen.doc.get("_id") == docs[0]["userId"]
            ),
            what="linked user document",
        )
        assert app.screen.table == "users"  # type: ignore[attr-defined]
