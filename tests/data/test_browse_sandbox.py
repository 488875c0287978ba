"""The Data capability against a real sandbox: pages, the window, filters, edits, clear, export."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tui.config.secret import Secret
from tui.convex.client import UNSET, ConvexClient
from tui.convex.values import Int64
from tui.data import source
from tui.data.cells import columns
from tui.data.edits import ClearCancelled, EditError, clear_table, validate
from tui.data.export import parse_csv_cell, read_jsonl, write_export
from tui.data.filters import FilterExpr, parse_filter
from tui.data.window import PageWindow, iter_pages
from tui.safety.guard import WriteGuard, WriteRefused
from tui.sandbox.server import SandboxServer

BULK = 10_000


@pytest.fixture
async def bulk() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(memory=True, seed="demo", bulk={"bulk": BULK}) as s:
        yield s


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[ConvexClient]:
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key)) as c:
        yield c


def fetcher(client: ConvexClient, table: str, expr: FilterExpr, size: int) -> Any:
    async def fetch(cursor: str | None) -> Any:
        return await source.fetch_page(client, table, cursor, expr, size)

    return fetch


async def everything(client: ConvexClient, table: str) -> list[dict[str, Any]]:
    """The oracle: every document, read by the CLI's own query (not the dashboard's)."""
    raw = await client.query(
        "_system/cli/tableData",
        {"table": table, "order": "desc", "paginationOpts": {"numItems": 10_000, "cursor": None}},
    )
    page = raw.value
    assert page["isDone"]
    return list(page["page"])


async def test_window_visits_every_document_once_with_flat_memory(bulk: SandboxServer) -> None:
    async with ConvexClient(bulk.url, Secret(bulk.admin_key)) as client:
        window = PageWindow(fetcher(client, "bulk", FilterExpr(), 100), max_pages=4)
        await window.load_first()
        seen: list[str] = [d["_id"] for d in window.rows()]
        most = len(window.rows())
        while await window.forward():
            seen.extend(d["_id"] for d in window.pages[window.last])
            most = max(most, len(window.rows()))
        assert len(seen) == BULK and len(set(seen)) == BULK  # each exactly once
        assert most <= 4 * 100 and len(window.pages) <= 4  # never more than the window
        assert window.complete and window.seen_rows == BULK
        assert await source.count(client, "bulk") == BULK
        # Newest first: creation times never increase.
        times = [d["_creationTime"] for d in window.rows()]
        assert times == sorted(times, reverse=True)
        # Scrolling back re-fetches dropped pages by their cursors: the same rows again.
        last_rows = window.rows()
        while await window.back():
            pass
        assert window.at_start and [d["_id"] for d in window.rows()][:100] == seen[:100]
        # Jump to the end: one request in the reversed order gives the oldest documents.
        end = PageWindow(fetcher(client, "bulk", FilterExpr(order="asc"), 100))
        await end.load_first()
        assert end.fetches == 1
        assert [d["_id"] for d in end.rows()] == seen[::-1][:100]
        assert last_rows[-1]["_id"] == seen[-1]


FILTERS = [
    ("status = pending", lambda d: d.get("status") == "pending"),
    ("status != pending", lambda d: d.get("status") != "pending"),
    ("priority > 3", lambda d: isinstance(d.get("priority"), float) and d["priority"] > 3),
    ("priority >= 3", lambda d: isinstance(d.get("priority"), float) and d["priority"] >= 3),
    ("priority < 3", lambda d: "priority" in d and d["priority"] < 3),
    ("priority <= 3", lambda d: "priority" in d and d["priority"] <= 3),
    ("status in [pending, completed]", lambda d: d.get("status") in ("pending", "completed")),
    (
        "status not in [pending, completed]",
        lambda d: d.get("status") not in ("pending", "completed"),
    ),
    ("description is unset", lambda d: "description" not in d),
    ("description is string", lambda d: isinstance(d.get("description"), str)),
    ("userId is id", lambda d: isinstance(d.get("userId"), str)),
    (
        "status = pending and priority >= 4",
        lambda d: d["status"] == "pending" and d.get("priority", 0) >= 4,
    ),
    ("@by_status status = in_progress", lambda d: d["status"] == "in_progress"),
    ("@by_priority priority > 1 and priority <= 3", lambda d: 1 < d.get("priority", 0) <= 3),
    (
        "@by_status status = completed and priority < 3",
        lambda d: d["status"] == "completed" and "priority" in d and d["priority"] < 3,
    ),
]


@pytest.mark.parametrize(("text", "oracle"), FILTERS, ids=[t for t, _ in FILTERS])
async def test_each_filter_kind_matches_the_sandboxs_own_query(
    client: ConvexClient, text: str, oracle: Any
) -> None:
    meta = await source.table_meta(client, "tasks")
    expr = parse_filter(text, "desc", meta.index_fields)
    got: list[str] = []
    async for page in iter_pages(fetcher(client, "tasks", expr, 7)):
        got.extend(d["_id"] for d in page)
    want = [d["_id"] for d in await everything(client, "tasks") if oracle(d)]
    assert want, f"the demo data should have documents for {text!r}"
    assert sorted(got) == sorted(want)
    assert len(got) == len(set(got))


async def test_status_filter_equals_the_apps_own_indexed_query(client: ConvexClient) -> None:
    expr = parse_filter("@by_status status = pending", "desc", {"by_status": ("status",)})
    got = [d async for page in iter_pages(fetcher(client, "tasks", expr, 10)) for d in page]
    listed = (await client.query("tasks:list", {"status": "pending"})).value
    assert [d["_id"] for d in got] == [d["_id"] for d in listed]


async def test_every_edit_kind_changes_the_server(client: ConvexClient) -> None:
    meta = await source.table_meta(client, "tasks")
    before = await source.count(client, "tasks")
    await client.add_documents(
        "tasks", [{"title": "edit me", "status": "pending", "priority": 1.0}]
    )
    doc = (await everything(client, "tasks"))[0]
    assert doc["title"] == "edit me" and await source.count(client, "tasks") == (before or 0) + 1
    # Replace (what an edit saves), then patch a field and remove another.
    new = {"title": "edited", "status": "completed", "priority": 7.0, "description": "d"}
    # The schema says priority is a number: an int64 is refused before anything is sent.
    with pytest.raises(EditError, match="priority"):
        validate([{**new, "priority": Int64(7)}], meta.document_type)
    validate([new], meta.document_type)
    await client.replace_document(doc["_id"], new)
    got = await client.get_document(doc["_id"])
    assert got is not None and got["title"] == "edited" and got["priority"] == 7.0
    await client.patch_fields("tasks", [doc["_id"]], {"status": "pending", "description": UNSET})
    got = await client.get_document(doc["_id"])
    assert got is not None and got["status"] == "pending" and "description" not in got
    assert got["_creationTime"] == doc["_creationTime"]
    await client.delete_documents([doc["_id"]])
    assert await client.get_document(doc["_id"]) is None
    assert await source.count(client, "tasks") == before
    assert meta.has_schema and meta.declared[:2] == ("title", "description")


async def test_read_only_refuses_every_edit_with_nothing_sent(sandbox: SandboxServer) -> None:
    guard = WriteGuard()
    guard.lock()
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key), guard=guard) as client:
        doc = (await everything(client, "tasks"))[0]
        sent = len(sandbox.request_log)
        attempts = [
            client.add_documents("tasks", [{"title": "x", "status": "pending"}]),
            client.replace_document(doc["_id"], {"title": "x", "status": "pending"}),
            client.patch_fields("tasks", [doc["_id"]], {"title": "x"}),
            client.delete_documents([doc["_id"]]),
            clear_table(client, "tasks"),
        ]
        for attempt in attempts:
            with pytest.raises(WriteRefused):
                await attempt
        assert list(sandbox.request_log)[sent:] == []  # not one request reached the deployment
        assert await client.get_document(doc["_id"]) == doc


async def test_cancelling_a_clear_stops_between_pages_and_leaves_a_consistent_table(
    bulk: SandboxServer,
) -> None:
    async with ConvexClient(bulk.url, Secret(bulk.admin_key)) as client:
        before = {d["_id"] async for d in _ids(client, "bulk")}
        progress: list[int] = []
        with pytest.raises(ClearCancelled) as stopped:
            await clear_table(
                client,
                "bulk",
                lambda p: progress.append(p.deleted),
                cancelled=lambda: len(progress) >= 1,
            )
        assert stopped.value.deleted == progress[-1] == 4000
        after = {d["_id"] async for d in _ids(client, "bulk")}
        assert after < before and len(after) == BULK - 4000
        assert await source.count(client, "bulk") == BULK - 4000
        # The oldest were deleted first; the rest are intact and still page cleanly.
        await clear_table(client, "bulk")
        assert await source.count(client, "bulk") == 0


async def _ids(client: ConvexClient, table: str) -> AsyncIterator[dict[str, Any]]:
    async for page in iter_pages(fetcher(client, table, FilterExpr(), 1000)):
        for d in page:
            yield d


async def test_export_files_round_trip(client: ConvexClient) -> None:
    want = await everything(client, "tasks")
    meta = await source.table_meta(client, "tasks")
    out = io.StringIO()
    seen: list[int] = []
    n = await write_export(
        iter_pages(fetcher(client, "tasks", FilterExpr(), 16)),
        out,
        "jsonl",
        on_progress=lambda p: seen.append(p.written),
        total=len(want),
    )
    assert n == len(want) and seen[-1] == len(want) and len(seen) >= 3
    assert read_jsonl(out.getvalue()) == [_decoded(d) for d in want]

    csv_out = io.StringIO()
    await write_export(
        iter_pages(fetcher(client, "tasks", FilterExpr(), 16)),
        csv_out,
        "csv",
        lambda docs: columns(meta.declared, meta.inferred, docs),
    )
    import csv

    rows = list(csv.DictReader(io.StringIO(csv_out.getvalue())))
    assert [r["_id"] for r in rows] == [d["_id"] for d in want]
    for row, doc in zip(rows, want, strict=True):
        assert row["title"] == doc["title"]
        assert parse_csv_cell(row["_creationTime"], is_string=False) == doc["_creationTime"]
        if "priority" in doc:
            assert parse_csv_cell(row["priority"], is_string=False) == doc["priority"]
        else:
            assert row["priority"] == ""


def _decoded(doc: dict[str, Any]) -> dict[str, Any]:
    from tui.convex import values

    return dict(values.decode(json.loads(json.dumps(values.encode(doc)))))


async def test_system_tables_page_through_the_cli_query(client: ConvexClient) -> None:
    tables = await source.list_tables(client, system=True)
    assert {"_storage", "_scheduled_functions"} <= {t.name for t in tables if t.system}
    assert {"users", "authAccounts"} <= {t.name for t in tables if t.auth}
    page = await source.fetch_page(client, "_scheduled_functions", None, FilterExpr(), 5)
    assert page.errors == ()
    await asyncio.sleep(0)
