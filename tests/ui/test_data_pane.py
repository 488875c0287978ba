"""The Data pane against a real sandbox: tables, paging, filters, detail and id links, edits."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, TextArea

from screens.app import ConsoleApp, make_app
from screens.confirm import ConfirmScreen
from screens.data import DataScreen
from screens.pane import PaneTarget
from screens.widgets.data_dialogs import DocumentDialog, PromptDialog, TextDialog
from screens.widgets.json_tree import JsonTree
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
    return list(screen.grid.keys)


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
        assert screen.cells is not None
        columns = screen.cells.columns
        assert columns[:2] == ["_id", "_creationTime"]
        assert columns[2:7] == ["title", "description", "status", "priority", "userId"]
        assert "row 1 of " + f"{len(docs):,}" in str(screen.query_one("#position").render())
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DocumentDialog), what="detail")
        dialog = app.screen
        assert isinstance(dialog, DocumentDialog) and dialog.doc["_id"] == docs[0]["_id"]
        tree = dialog.query_one(JsonTree)
        # Move to the userId leaf (an id link) and follow it: the user document opens.
        line = next(
            i
            for i in range(tree.last_line + 1)
            if (n := tree.get_node_at_line(i)) is not None
            and n.data is not None
            and n.data.value == docs[0]["userId"]
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


async def test_filter_bar_then_escape_clears(box: SandboxThread) -> None:
    app = app_for(box)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot, app)
        await open_table(pilot, screen, "tasks")
        await pilot.press("slash", *"status = in_progress", "enter")
        await until(pilot, lambda: screen.expr.active and screen.window and screen.window.complete)
        await pilot.pause()
        want = [d["_id"] for d in all_docs(box, "tasks") if d["status"] == "in_progress"]
        assert grid_ids(screen) == want
        assert "filter: status = in_progress" in str(screen.query_one("#position").render())
        await pilot.press("slash")
        screen.query_one("#doc-filter", Input).value = ""
        await pilot.press(*"@nope status = 1", "enter")
        await until(pilot, lambda: not screen.query_one("#filter-error").has_class("-hidden"))
        await pilot.press("escape")
        await until(pilot, lambda: not screen.expr.active and len(grid_ids(screen)) > len(want))
        assert screen.query_one("#doc-filter").has_class("-hidden")


async def test_order_and_jump_to_end(box: SandboxThread) -> None:
    app = app_for(box)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot, app)
        await open_table(pilot, screen, "messages")
        docs = all_docs(box, "messages")
        await pilot.press("G")
        grid = screen.grid
        await until(pilot, lambda: grid.cursor_key == docs[-1]["_id"], what="the last document")
        assert grid.cursor_row == grid.total - 1
        position = str(screen.query_one("#position").render())
        assert f"row {len(docs)} of {len(docs)}" in position
        await pilot.press("g")
        await until(pilot, lambda: grid.cursor_key == docs[0]["_id"], what="the first document")
        await pilot.press("o")
        await until(pilot, lambda: grid_ids(screen)[:1] == [docs[-1]["_id"]], what="oldest first")
        assert "oldest first" in str(screen.query_one("#position").render())


async def test_document_target_from_another_pane(box: SandboxThread) -> None:
    app = app_for(box)
    user = all_docs(box, "users")[2]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.convex is not None, what="client")
        app.open_in("data", PaneTarget("document", user["_id"]))
        await until(
            pilot,
            lambda: isinstance(app.screen, DocumentDialog) and app.screen.doc == user,
            what="the user document",
        )
        await pilot.press("escape")
        screen = data(app)
        await until(pilot, lambda: screen.table == "users" and screen.window is not None)
        app.open_in("data", PaneTarget("table", "messages"))
        await until(pilot, lambda: screen.table == "messages", what="messages")


async def test_another_clients_mutation_shows_in_the_live_page(box: SandboxThread) -> None:
    app = app_for(box)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot, app)
        await open_table(pilot, screen, "messages")
        await until(pilot, lambda: screen.live_pages == [0], what="live")
        await until(pilot, lambda: screen.live_values > 0, what="the live page's first value")
        new_id = call(box, "mutation", "messages:send", {"body": "live one", "author": "Zed"})
        await until(pilot, lambda: grid_ids(screen)[:1] == [new_id], what="the new row on top")
        assert new_id in screen.changed
        row = screen.grid_row(new_id)
        assert row is not None and row.mark == "•"
        # Hidden panes pause: the subscription is dropped while another pane shows.
        await pilot.press("1")
        await until(pilot, lambda: not screen.live_pages, what="paused")
        await pilot.press("4")
        await until(pilot, lambda: screen.live_pages == [0], what="resumed")


async def test_read_only_pane_refuses_edits_with_nothing_sent(box: SandboxThread) -> None:
    app = app_for(box, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot, app)
        await open_table(pilot, screen, "tasks")
        sent = len(box.request_log)
        for key in ("a", "e", "f", "d", "X", "space", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, ModalScreen), key
        writes = [
            r for r in list(box.request_log)[sent:] if r[1] in ("/api/mutation", "/api/action")
        ]
        assert writes == []


async def test_add_edit_patch_delete_through_the_pane(box: SandboxThread) -> None:
    app = app_for(box)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot, app)
        await open_table(pilot, screen, "messages")
        before = len(all_docs(box, "messages"))
        # Add: the schema's template, refused while invalid, then saved and confirmed.
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        editor = app.screen.query_one(TextArea)
        editor.text = '{"body": 5}'
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#error")
        await until(pilot, lambda: not error.has_class("-hidden"), what="schema error")
        editor.text = '[{"body": "added 1", "author": "T"}, {"body": "added 2", "author": "T"}]'
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm add")
        await pilot.press("y")
        await until(pilot, lambda: len(all_docs(box, "messages")) == before + 2, what="added")
        await until(pilot, lambda: grid_body(screen, 0) == "added 2", what="view reflects server")
        # Edit the top document: the diff is shown, then saved.
        screen.grid.move_cursor(0)
        await pilot.pause()
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        dialog = app.screen
        dialog.query_one(TextArea).text = '{"body": "edited", "author": "T", "extra": 1}'
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "extra" in str(dialog.query_one("#error").render()))
        dialog.query_one(TextArea).text = '{"body": "edited", "author": "T2"}'
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="diff")
        detail = str(app.screen.query_one("#detail").render())
        assert '~ body: "added 2" → "edited"' in detail and '~ author: "T" → "T2"' in detail
        await pilot.press("y")
        await until(pilot, lambda: all_docs(box, "messages")[0]["body"] == "edited", what="saved")
        # Select both added documents, patch a field, then delete them.
        await pilot.press("space", "down", "space")
        assert len(screen.selected) == 2
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, PromptDialog))
        await pilot.press(*"author = 'P'", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(
            pilot, lambda: [d["author"] for d in all_docs(box, "messages")[:2]] == ["P", "P"]
        )
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: len(all_docs(box, "messages")) == before, what="deleted")
        await until(pilot, lambda: not screen.selected and len(grid_ids(screen)) == before)


def grid_body(screen: DataScreen, row: int) -> str:
    key = screen.grid.key_at(row)
    cells = screen.grid_row(key) if key is not None and screen.cells is not None else None
    assert cells is not None and screen.cells is not None
    return cells.cells[screen.cells.columns.index("body")][0]


async def test_clear_table_asks_for_its_name_then_empties_it() -> None:
    with SandboxThread(memory=True, seed="demo") as sb:
        app = app_for(sb)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_pane(pilot, app)
            await open_table(pilot, screen, "messages")
            await pilot.press("X")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press(*"message", "enter")  # not the name: refused
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and all_docs(sb, "messages")
            await pilot.press("s", "enter")
            await until(pilot, lambda: not all_docs(sb, "messages"), what="cleared")
            await until(pilot, lambda: not grid_ids(screen), what="the view reflects it")
            assert "no documents yet" in str(screen.query_one("#position").render())
            await until(pilot, lambda: {t.name: t.count for t in screen.tables}["messages"] == 0)


@pytest.mark.parametrize("case", ["dead url", "wrong key"])
async def test_unreachable_or_refused_deployment_is_said(box: SandboxThread, case: str) -> None:
    url = "http://127.0.0.1:9" if case == "dead url" else box.url
    s = dataclasses.replace(
        settings(url=url), admin_key=Secret("convex-self-hosted|01" + "ab" * 40)
    )
    app = make_app(s, prober=FakeProber(), docker=FakeDocker())
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.convex is not None, what="client")
        await pilot.press("4")
        screen = data(app)
        message = screen.query_one("#message")
        await until(pilot, lambda: "Cannot read the tables" in str(message.render()), timeout=20)
        text = str(message.render())
        assert ("Cannot reach" in text) if case == "dead url" else ("key" in text.lower())
        assert "r retries" in str(screen.query_one("#position").render())
        assert "ab" * 40 not in text  # the key itself never shows


async def test_palette_opens_any_table_by_name(box: SandboxThread) -> None:
    from tests.ui.test_shell import hits

    app = app_for(box)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.press(*"Table: authAccounts")
        await until(pilot, lambda: hits(app), what="hits")
        await pilot.press("enter")
        await until(pilot, lambda: screen.table == "authAccounts", what="table opened")


async def test_export_from_the_pane_writes_the_filtered_set(
    box: SandboxThread, tmp_path: Path
) -> None:
    from tui.data.export import read_jsonl

    app = app_for(box)
    target = tmp_path / "pending.jsonl"
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot, app)
        await open_table(pilot, screen, "tasks")
        assert screen.apply_filter("status = pending")
        await until(pilot, lambda: screen.window is not None and screen.expr.active)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, PromptDialog))
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        want = [d for d in all_docs(box, "tasks") if d["status"] == "pending"]
        # The progress bar hides once the last page is written.
        bar = screen.query_one("#progress")
        await until(pilot, lambda: target.exists() and bar.has_class("-hidden"), what="exported")
        got = read_jsonl(target.read_text())
        assert [d["_id"] for d in got] == [d["_id"] for d in want]
