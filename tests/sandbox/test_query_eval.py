"""Pushed code's queries (tui/sandbox/query_eval.py): index order, ranges, filters, and pages
that neither skip nor repeat a document, whatever the page size."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.sandbox import query_eval
from tui.sandbox.db import Reader, Tracker, Writer
from tui.sandbox.storage import Storage

INDEXES: dict[str, tuple[str, ...]] = {
    "tasks.by_priority": ("priority",),
    "tasks.by_status": ("status",),
}


@pytest.fixture(scope="module")
def db() -> Iterator[tuple[Storage, sqlite3.Connection]]:
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage(Path(tmp) / "db.sqlite3", durable=False)
        conn = storage.connect()
        tracker = Tracker()
        w = Writer(storage, conn, tracker)
        conn.execute("BEGIN IMMEDIATE")
        for i in range(40):
            doc: dict[str, Any] = {"text": f"t{i}", "priority": float(i % 7)}
            if i % 3:
                doc["status"] = ["todo", "doing", "done"][i % 3]
            w.insert("tasks", doc)
        conn.execute("COMMIT")
        storage.publish_tables(tracker.created_tables)
        yield storage, conn
        conn.close()


def reader(db: tuple[Storage, sqlite3.Connection]) -> Reader:
    return Reader(db[0], db[1], Tracker())


def index_query(order: str, *bounds: dict[str, Any], ops: list[Any] | None = None) -> Any:
    return {
        "source": {
            "type": "IndexRange",
            "indexName": "tasks.by_priority",
            "range": list(bounds),
            "order": order,
        },
        "operators": ops or [],
    }


def test_index_range_orders_by_index_then_creation(db: tuple[Storage, sqlite3.Connection]) -> None:
    plan = query_eval.Plan(
        index_query("asc", {"type": "Gte", "fieldPath": "priority", "value": 5.0}), INDEXES
    )
    docs = plan.run(reader(db))
    assert [d["priority"] for d in docs] == sorted(d["priority"] for d in docs)
    assert {d["priority"] for d in docs} == {5.0, 6.0}
    fives = [d["_creationTime"] for d in docs if d["priority"] == 5.0]
    assert fives == sorted(fives)


def test_filters_limit_and_missing_fields(db: tuple[Storage, sqlite3.Connection]) -> None:
    missing = {"$eq": [{"$field": "status"}, {"$literal": {"$undefined": None}}]}
    plan = query_eval.Plan(
        {
            "source": {"type": "FullTableScan", "tableName": "tasks", "order": "desc"},
            "operators": [{"filter": missing}, {"limit": 3}],
        },
        INDEXES,
    )
    docs = plan.run(reader(db))
    assert len(docs) == 3 and all("status" not in d for d in docs)
    assert docs[0]["_creationTime"] > docs[-1]["_creationTime"]
    expr = {"$and": [{"$gt": [{"$field": "priority"}, {"$literal": 2}]}, {"$not": missing}]}
    assert query_eval.evaluate(expr, {"priority": 3.0, "status": "todo"}) is True
    assert query_eval.evaluate(expr, {"priority": 3.0}) is False
    assert query_eval.evaluate({"$mod": [{"$literal": 7}, {"$literal": 4}]}, {}) == 3


def test_search_is_refused_by_name() -> None:
    with pytest.raises(query_eval.Unsupported, match="Text search"):
        query_eval.Plan({"source": {"type": "Search", "indexName": "x"}, "operators": []}, {})


def test_unknown_index_is_an_error() -> None:
    with pytest.raises(ValueError, match="tasks.nope"):
        query_eval.Plan(
            {"source": {"type": "IndexRange", "indexName": "tasks.nope", "range": []}}, INDEXES
        )


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 15), order=st.sampled_from(["asc", "desc"]), low=st.integers(0, 6))
def test_pages_cover_every_result_once(
    db: tuple[Storage, sqlite3.Connection], size: int, order: str, low: int
) -> None:
    query = index_query(order, {"type": "Gte", "fieldPath": "priority", "value": float(low)})
    plan = query_eval.Plan(query, INDEXES)
    expected = [d["_id"] for d in plan.run(reader(db))]
    got: list[str] = []
    cursor = None
    pages = []
    for _ in range(100):
        out = query_eval.page(plan, reader(db), cursor, None, size)
        assert len(out["page"]) <= size
        got += [d["_id"] for d in out["page"]]
        pages.append((cursor, out["continueCursor"], [d["_id"] for d in out["page"]]))
        cursor = out["continueCursor"]
        if out["isDone"]:
            break
    assert got == expected
    # Refetching a page with its end cursor returns the same documents.
    start, end, ids = pages[0]
    again = query_eval.page(plan, reader(db), start, end, size)
    assert [d["_id"] for d in again["page"]] == ids and again["continueCursor"] == end


@given(st.text(max_size=30))
def test_garbage_cursors_fail_cleanly(text: str) -> None:
    plan = query_eval.Plan(index_query("asc"), INDEXES)
    try:
        query_eval._cursor_key(plan, text)
    except ValueError:
        pass
