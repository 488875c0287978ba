"""Grid placement, cells and widths, the remembered table, and live pages pinned by endCursor
(against a real sandbox, through the sync socket)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.config.secret import Secret
from tui.convex.client import ConvexClient
from tui.convex.models import DocumentPage
from tui.data import source
from tui.data.filters import FilterExpr
from tui.data.recent import RecentTables, default_table
from tui.data.view import CELL_WIDTH, GridCells, changed_ids, place, position_text
from tui.data.window import PageWindow
from tui.sandbox.server import SandboxServer


def doc(i: int, **fields: Any) -> dict[str, Any]:
    return {"_id": f"id{i:05d}", "_creationTime": 1.7e12 + i, **fields}


def pages_of(docs: list[dict[str, Any]], size: int) -> Any:
    """A fetch over a fixed list (cursor = start index as text), like the sandbox's pages."""

    async def fetch(cursor: str | None) -> DocumentPage:
        start = int(cursor or 0)
        chunk = tuple(docs[start : start + size])
        done = start + size >= len(docs)
        return DocumentPage(chunk, None if done else str(start + size), done, ())

    return fetch


@given(
    n=st.integers(0, 400),
    size=st.integers(1, 60),
    steps=st.integers(0, 12),
    reversed_=st.booleans(),
    count_known=st.booleans(),
)
def test_placement_maps_every_grid_row_to_its_document(
    n: int, size: int, steps: int, reversed_: bool, count_known: bool
) -> None:
    docs = [doc(i) for i in range(n)]
    order = docs[::-1] if reversed_ else docs  # a reversed window reads from the end
    window = PageWindow(pages_of(order, size), max_pages=3)

    async def walk() -> None:
        await window.load_first()
        for _ in range(steps):
            await window.forward()

    asyncio.run(walk())
    p = place(window, reversed_=reversed_, known_total=n if count_known else None)
    rows = window.rows()
    assert p.count == len(rows)
    assert p.total >= p.first + p.count
    for row in range(p.first, p.first + p.count):
        k = p.window_row(row)
        assert k is not None
        if p.exact:  # rows sit at their true position in the ordered result
            assert rows[k] is docs[row]
    assert p.window_row(p.first - 1) is None and p.window_row(p.first + p.count) is None
    if window.complete and window.at_start and window.at_end:
        assert p.exact and p.total == n and p.first == 0


def test_position_text() -> None:
    window = PageWindow(pages_of([doc(i) for i in range(250)], 100))
    asyncio.run(window.load_first())
    exact = place(window, reversed_=False, known_total=250)
    assert position_text(exact, 0) == "row 1 of 250"
    counting = place(window, reversed_=False, known_total=None)
    assert position_text(counting, 4) == "row 5 of ≥100"
    end = place(window, reversed_=True, known_total=None)
    assert position_text(end, end.total - 1) == "row 1 from the end"


def test_widths_come_from_the_first_page_and_grow_with_a_wider_row() -> None:
    cells = GridCells(declared=("title",))
    assert cells.columns == ["_id", "_creationTime", "title"]
    first = [doc(1, title="short"), doc(2, title="tiny")]
    assert not cells.add(first)  # no new column
    assert cells.measure(first)  # the first page sets the widths
    assert cells.widths[2] == len("short")
    # Later rows: cells (and widths) only once a row is painted.
    cells.add([doc(3, title="abc"), doc(4, title="x" * 25), doc(5, title="y" * 100)])
    assert cells.widths[2] == len("short") and not cells.widened
    assert cells.cells("id00003") is not None and not cells.widened
    cells.cells("id00004")
    assert cells.widened and cells.widths[2] == 25
    cells.widened = False
    cells.cells("id00005")
    assert cells.widened and cells.widths[2] == CELL_WIDTH  # capped, never narrower after
    assert cells.cells("id00099") is None  # not in the window
    # A new field adds a column; every row gets a cell for it.
    assert cells.add([doc(7, title="t", extra=True)])
    assert cells.columns[-1] == "extra"
    row = cells.cells("id00001")
    assert row is not None and len(row) == len(cells.columns)
    cells.keep_only(["id00001"])
    assert cells.cells("id00007") is None and cells.doc("id00001") is not None


def test_cells_follow_a_new_version_of_a_document() -> None:
    cells = GridCells()
    cells.add([doc(1, n=1.0)])
    before = cells.cells("id00001")
    assert cells.cells("id00001") is before  # the same version: not recomputed
    cells.add([doc(1, n=2.0)])
    after = cells.cells("id00001")
    assert after is not before and ("2", "number") in after  # type: ignore[operator]


def test_changed_ids() -> None:
    old = [doc(1, a=1), doc(2, a=2), doc(3, a=3)]
    new = [doc(0, a=0), doc(1, a=1), doc(2, a=5)]
    assert changed_ids(old, new) == {"id00000", "id00002"}


def test_default_table_and_the_remembered_one(tmp_path: Path) -> None:
    tables = [("small", 3, False), ("big", 900, False), ("_storage", None, True)]
    assert default_table(tables, None) == "big"
    assert default_table(tables, "small") == "small"
    assert default_table(tables, "dropped") == "big"
    assert default_table([("_storage", None, True)], None) is None
    assert default_table([("b", 5, False), ("a", 5, False)], None) == "a"
    store = RecentTables(tmp_path / "recent.json")
    assert store.get("http://x") is None
    store.save("http://x", "small")
    store.save("http://y", "big")
    assert RecentTables(tmp_path / "recent.json").get("http://x") == "small"
    store.save("http://user:hunter2@z", "big")
    assert "hunter2" not in (tmp_path / "recent.json").read_text()  # URLs are not written
    (tmp_path / "recent.json").write_text("{not json")
    assert store.get("http://x") is None  # a damaged file reads as empty


def test_the_last_page_growing_past_its_size_is_no_longer_the_end() -> None:
    docs = [doc(i) for i in range(150)]
    window = PageWindow(pages_of(docs, 100))

    async def go() -> None:
        await window.load_first()
        await window.forward()

    asyncio.run(go())
    assert window.at_end and window.page_bounds(1) == ("100", None)
    grown = tuple(doc(i) for i in range(100, 160))
    window.replace_page(1, DocumentPage(grown, "200", False, ()))
    assert not window.at_end and window.cursors[-1] == "200"
    assert window.page_bounds(0) == (None, "100")


@pytest.fixture
async def sandbox_client() -> AsyncIterator[tuple[SandboxServer, ConvexClient]]:
    async with (
        SandboxServer(memory=True, seed="demo") as server,
        ConvexClient(server.url, Secret(server.admin_key)) as client,
    ):
        yield server, client


async def test_a_live_page_pinned_by_its_end_cursor_changes_in_place(
    sandbox_client: tuple[SandboxServer, ConvexClient],
) -> None:
    """A page subscribed with its start and end cursors (as the dashboard's loaded pages are)
    shows an edit where it stands, loses a deleted document and grows with an insert inside
    its range, while the neighbouring pages keep their own rows."""
    _, client = sandbox_client
    expr = FilterExpr(order="asc")
    p0 = await source.fetch_page(client, "messages", None, expr, 5)
    p1 = await source.fetch_page(client, "messages", p0.cursor, expr, 5)
    assert p0.cursor and p1.cursor
    args = source.page_args("messages", p0.cursor, expr, 5, p1.cursor)
    assert args["paginationOpts"]["endCursor"] == p1.cursor
    sub = client.subscribe(source.PAGE_PATH, args)
    try:
        first = source.parse_page(await asyncio.wait_for(sub.__anext__(), 10))
        assert [d["_id"] for d in first.docs] == [d["_id"] for d in p1.docs]
        assert first.cursor == p1.cursor  # continues exactly where the next page starts
        target, gone = p1.docs[1], p1.docs[3]
        await client.patch_fields("messages", [str(target["_id"])], {"body": "edited live"})
        changed = source.parse_page(await asyncio.wait_for(sub.__anext__(), 10))
        assert changed.docs[1]["body"] == "edited live"
        await client.delete_documents([str(gone["_id"])])
        deleted = source.parse_page(await asyncio.wait_for(sub.__anext__(), 10))
        assert str(gone["_id"]) not in {d["_id"] for d in deleted.docs}
        assert len(deleted.docs) == 4
        # Page 0 (no end cursor after a page of 5) keeps its five rows.
        again = await source.fetch_page(client, "messages", None, expr, 5)
        assert [d["_id"] for d in again.docs] == [d["_id"] for d in p0.docs]
    finally:
        await sub.aclose()


async def test_the_first_page_pinned_by_its_end_cursor_grows_with_an_insert(
    sandbox_client: tuple[SandboxServer, ConvexClient],
) -> None:
    _, client = sandbox_client
    expr = FilterExpr()  # newest first: a new document belongs at the top of page 0
    p0 = await source.fetch_page(client, "messages", None, expr, 5)
    sub = client.subscribe(source.PAGE_PATH, source.page_args("messages", None, expr, 5, p0.cursor))
    try:
        first = source.parse_page(await asyncio.wait_for(sub.__anext__(), 10))
        assert len(first.docs) == 5
        await client.add_documents("messages", [{"body": "inserted", "author": "Zed"}])
        grown = source.parse_page(await asyncio.wait_for(sub.__anext__(), 10))
        assert len(grown.docs) == 6 and grown.docs[0]["body"] == "inserted"
        assert [d["_id"] for d in grown.docs[1:]] == [d["_id"] for d in p0.docs]
        assert grown.cursor == p0.cursor
    finally:
        await sub.aclose()
