"""The Data pane's grid against a real sandbox: it opens on a table, reads ahead of a held key,
follows every page in view live, and widens a column when a later page is wider."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual import events

from screens.app import ConsoleApp, make_app
from screens.data import DataScreen
from screens.data_messages import MAX_PAGES, PAGE_SIZE, PREFETCH
from screens.widgets.doc_grid import DocGrid
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, settings
from tests.ui.test_data_pane import all_docs, call
from tui.config import Secret
from tui.sandbox.server import SandboxThread

BULK = 1_500


@pytest.fixture(scope="module")
def box() -> Iterator[SandboxThread]:
    """The demo plus a `tasks` table of BULK documents (the largest table), for these tests."""
    with SandboxThread(memory=True, seed="demo", bulk={"tasks": BULK}) as server:
        yield server


def app_for(sb: SandboxThread) -> ConsoleApp:
    s = dataclasses.replace(settings(url=sb.url), admin_key=Secret(sb.admin_key))
    return make_app(s, prober=FakeProber(), docker=FakeDocker())


async def opened(pilot: Any, app: ConsoleApp) -> DataScreen:
    """Key 4, and the pane is showing a table's first page (no table picked by hand)."""
    await until(pilot, lambda: app.convex is not None, what="client")
    await pilot.press("4")
    screen = app.screen
    assert isinstance(screen, DataScreen)
    await until(pilot, lambda: screen.grid.keys and not screen.busy, what="a table open")
    return screen


def position(screen: DataScreen) -> str:
    return str(screen.query_one("#position").render())


async def test_the_pane_opens_on_the_largest_table_then_on_the_last_viewed(
    box: SandboxThread,
) -> None:
    app = app_for(box)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, app)
        assert screen.table == "tasks"  # the largest user table
        assert f"row 1 of {BULK:,}" in position(screen)
        assert isinstance(app.focused, DocGrid)  # its documents have the keys
        newest = all_docs(box, "tasks")[0]
        assert screen.grid.cursor_key == newest["_id"]
        tables = screen.query_one("#tables")
        assert tables.cursor_row == tables.get_row_index("tasks")  # type: ignore[attr-defined]
        screen.open_table("messages")
        await until(pilot, lambda: screen.table == "messages" and not screen.busy)
    app = app_for(box)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, app)
        assert screen.table == "messages"  # the one last viewed on this deployment
        # Enter on the list still opens the table under its cursor.
        await pilot.press("tab")
        tables = screen.query_one("#tables")
        assert app.focused is tables
        tables.move_cursor(row=tables.get_row_index("users"))  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: screen.table == "users" and screen.grid.keys)


async def test_a_held_down_key_moves_one_row_per_key_with_pages_read_ahead(
    box: SandboxThread,
) -> None:
    app = app_for(box)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, app)
        if screen.table != "tasks":
            screen.open_table("tasks")
            await until(pilot, lambda: screen.table == "tasks" and not screen.busy)
        grid = screen.grid
        assert screen.window is not None and screen.window.fetches >= 2  # read ahead at once
        docs = all_docs(box, "tasks")
        keys = BULK - 1
        # Key repeat: events as the terminal driver posts them, ~2,000 a second.
        started = time.monotonic()
        sent = 0
        while sent < keys:
            due = min(keys, int((time.monotonic() - started) * 2000) + 1)
            while sent < due:
                app.post_message(events.Key("down", None))
                sent += 1
            await pilot.pause(0.005)
        await until(
            pilot, lambda: grid.cursor_row == keys and grid.cursor_key, timeout=60, what="the end"
        )
        assert grid.cursor_key == docs[-1]["_id"]  # one row per key, none lost or skipped
        assert f"row {BULK:,} of {BULK:,}" in position(screen)
        window = screen.window
        assert window is not None and len(window.pages) <= MAX_PAGES  # flat memory
        assert screen.cells is not None
        assert len(screen.cells._cells) <= len(window.rows())
        # PageUp/PageDown and the jumps.
        await pilot.press("pageup")
        assert grid.cursor_row == keys - grid.view_height
        await pilot.press("g")
        await until(pilot, lambda: grid.cursor_key == docs[0]["_id"], what="the start")
        await pilot.press("G")
        await until(pilot, lambda: grid.cursor_key == docs[-1]["_id"] and not screen.busy)
        assert f"row {BULK:,} of {BULK:,}" in position(screen)
        await pilot.press("up", "up")
        assert grid.cursor_key == docs[-3]["_id"]


async def test_every_page_in_view_is_live_and_the_count_follows(box: SandboxThread) -> None:
    app = app_for(box)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, app)
        if screen.table != "tasks":
            screen.open_table("tasks")
            await until(pilot, lambda: screen.table == "tasks" and not screen.busy)
        grid = screen.grid
        # Down to a page past the first: the view's page is followed, page 0 is not.
        grid.move_cursor(PAGE_SIZE + 120)
        await until(pilot, lambda: screen.live_pages == [1], what="page 1 live", timeout=20)
        await until(pilot, lambda: screen.live_values > 0, what="its first value")
        shown = grid.cursor_key
        assert shown is not None
        below = grid.key_at(grid.cursor_row + 2)
        assert below is not None
        call(
            box,
            "mutation",
            "_system/frontend/patchDocumentsFields",
            {"table": "tasks", "fields": {"title": "changed elsewhere"}, "ids": [shown]},
        )
        await until(pilot, lambda: shown in screen.changed, what="the change")
        row = screen.grid_row(shown)
        assert row is not None and row.mark == "•"
        assert ("changed elsewhere", "string") in row.cells
        assert grid.cursor_key == shown  # repainted where it stands
        strip = grid.render_line(grid.cursor_row - round(grid.scroll_y) + 1)
        assert "changed elsewhere" in strip.text
        call(
            box,
            "mutation",
            "_system/frontend/deleteDocuments",
            {"toDelete": [{"id": below, "tableName": "tasks"}]},
        )
        await until(pilot, lambda: below not in grid.keys, what="the deleted row gone")
        assert grid.cursor_key == shown
        await until(pilot, lambda: f"of {BULK - 1:,}" in position(screen), what="count - 1")
        # An insert lands on page 0 (newest first, out of view): its count shows.
        call(
            box,
            "mutation",
            "_system/frontend/addDocument",
            {"table": "tasks", "documents": [{"title": "new", "status": "pending"}]},
        )
        await until(pilot, lambda: f"of {BULK:,}" in position(screen), what="count + 1")
        listed = {t.name: t.count for t in screen.tables}
        assert listed["tasks"] == BULK
        assert grid.cursor_key == shown


async def test_a_column_widens_when_a_later_page_is_wider() -> None:
    with SandboxThread(memory=True, seed="empty") as sb:
        # Newest first: the short labels fill the first page and the pages read ahead; the
        # oldest documents, with the widest labels, come in a page read later.
        ahead = PAGE_SIZE + PREFETCH + 100
        older = [{"label": "L" * 30, "n": i} for i in range(60)]
        newer = [{"label": "s", "n": i} for i in range(ahead)]
        for batch in (older, newer):
            call(
                sb,
                "mutation",
                "_system/frontend/addDocument",
                {"table": "wide", "documents": batch},
            )
        app = app_for(sb)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await opened(pilot, app)
            assert screen.table == "wide" and screen.cells is not None
            label = screen.cells.columns.index("label")
            await until(pilot, lambda: not screen.busy, what="the pages read ahead")
            # Read ahead but not painted: the column keeps the first page's width.
            assert screen.grid.columns[label].width == len("label")
            screen.grid.move_cursor(ahead + 5)  # the older rows come into view
            await until(pilot, lambda: screen.grid.cursor_key is not None, what="a wide row")
            await until(pilot, lambda: screen.grid.columns[label].width == 30, what="wider")
            assert screen.cells.widths[label] == 30
            await pilot.pause()
            strip = screen.grid.render_line(
                screen.grid.cursor_row - round(screen.grid.scroll_y) + 1
            )
            assert "L" * 30 in strip.text  # shown whole, not cut
