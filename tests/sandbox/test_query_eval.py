"""Pushed code's queries (tui/sandbox/query_eval.py, query_stream.py, indexes.py, sortkey.py):
index keys in Convex's value order, index ranges read through SQLite, filters and limits, and
pages that neither skip nor repeat a document — checked against a brute-force model."""

from __future__ import annotations

import math
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.convex.values import Int64
from tui.sandbox import indexes, query_stream, sortkey
from tui.sandbox.db import Reader, Tracker, Writer
from tui.sandbox.query_eval import Plan, QueryError, evaluate
from tui.sandbox.storage import Storage

WANTED = [
    indexes.Wanted("tasks", "by_priority", "database", {"fields": ["priority"]}),
    indexes.Wanted("tasks", "by_status_priority", "database", {"fields": ["status", "priority"]}),
]
STATUSES = ["todo", "doing", "done"]

# --- sort keys --------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1).map(Int64),
    st.floats(allow_nan=False).filter(lambda f: not (f == 0 and math.copysign(1, f) < 0)),
    st.text(max_size=6),
    st.binary(max_size=6),
)
convex_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(alphabet="abcxyz", max_size=3), inner, max_size=3),
    ),
    max_leaves=6,
)


def reference(value: Any) -> Any:
    """Convex's documented order: undefined < null < int64 < float64 < boolean < string <
    bytes < array < object (strings by UTF-8 bytes, objects by sorted fields)."""
    if value is sortkey.MISSING:
        return (0,)
    if value is None:
        return (1,)
    if isinstance(value, bool):
        return (4, value)
    if isinstance(value, Int64):
        return (2, int(value))
    if isinstance(value, float):
        return (3, value)
    if isinstance(value, str):
        return (5, value.encode())
    if isinstance(value, bytes):
        return (6, value)
    if isinstance(value, list):
        return (7, [reference(v) for v in value])
    return (8, [(k.encode(), reference(v)) for k, v in sorted(value.items())])


@settings(max_examples=300, deadline=None)
@given(convex_values, convex_values)
def test_sort_keys_order_like_convex_and_round_trip(a: Any, b: Any) -> None:
    ka, kb = sortkey.encode(a), sortkey.encode(b)
    assert sortkey.decode(ka) == [a]
    ra, rb = reference(a), reference(b)
    assert (ka < kb) == (ra < rb) and (ka == kb) == (ra == rb)


def test_float_total_order_and_nested_keys() -> None:
    nan = struct.unpack(">d", bytes.fromhex("7ff8000000000000"))[0]
    ordered = [float("-inf"), -1.5, -0.0, 0.0, 2.0, float("inf"), nan]
    keys = [sortkey.encode(f) for f in ordered]
    assert keys == sorted(keys)
    assert sortkey.encode("a\x00b") > sortkey.encode("a")
    assert sortkey.decode(sortkey.encode("x", 1.0, "id")) == ["x", 1.0, "id"]
    with pytest.raises(sortkey.KeyError_):
        sortkey.decode(b"\x10abc")  # unterminated string


# --- a database with schema indexes ---------------------------------------------------------------


def open_tasks(path: Path) -> tuple[Storage, sqlite3.Connection, Writer, int]:
    """A database with an empty ``tasks`` table and its indexes, in an open transaction."""
    storage = Storage(path / "db.sqlite3", durable=False)
    conn = storage.connect()
    w = Writer(storage, conn, Tracker())
    conn.execute("BEGIN IMMEDIATE")
    number = w.ensure_table("tasks")
    storage.catalog, _ = indexes.sync(conn, WANTED, {"tasks": number})
    return storage, conn, w, number


@pytest.fixture(scope="module")
def db() -> Iterator[tuple[Storage, sqlite3.Connection]]:
    with tempfile.TemporaryDirectory() as tmp:
        storage, conn, w, _number = open_tasks(Path(tmp))
        for i in range(60):
            doc: dict[str, Any] = {"text": f"t{i}", "priority": float(i % 7)}
            if i % 4:
                doc["status"] = STATUSES[i % 3]
            w.insert("tasks", doc)
        conn.execute("COMMIT")
        storage.publish_tables(w.tracker.created_tables)
        yield storage, conn
        conn.close()


def reader(db: tuple[Storage, sqlite3.Connection]) -> Reader:
    return Reader(db[0], db[1], Tracker())


def everything(db: tuple[Storage, sqlite3.Connection]) -> list[dict[str, Any]]:
    return reader(db).query("tasks")


def query(index: str, order: str, *bounds: dict[str, Any], ops: Any = None) -> dict[str, Any]:
    source: dict[str, Any] = {"type": "IndexRange", "indexName": f"tasks.{index}"}
    source.update(range=list(bounds), order=order)
    return {"source": source, "operators": ops or []}


def collect(db: tuple[Storage, sqlite3.Connection], q: dict[str, Any], batch: int = 5) -> list[Any]:
    stream = query_stream.Stream(Plan(q, db[0].catalog), reader(db))
    out: list[Any] = []
    for _ in range(1000):
        docs, done = stream.batch(batch)
        out += docs
        if done:
            return out
    raise AssertionError("the stream never ended")


OPS = {"Eq": "__eq__", "Gt": "__gt__", "Gte": "__ge__", "Lt": "__lt__", "Lte": "__le__"}


def model(
    db: tuple[Storage, sqlite3.Connection], fields: list[str], q: dict[str, Any]
) -> list[str]:
    """The same query by brute force: filter every document, sort by the index key."""
    rows = []
    for doc in everything(db):
        key = [sortkey.path_value(doc, f) for f in fields]
        ok = all(
            getattr(sortkey.encode(sortkey.path_value(doc, b["fieldPath"])), OPS[b["type"]])(
                sortkey.encode(sortkey.decode_literal(b["value"]))
            )
            for b in q["source"]["range"]
        )
        if ok:
            rows.append((sortkey.encode(*key, doc["_creationTime"], doc["_id"]), doc["_id"]))
    rows.sort(reverse=q["source"]["order"] == "desc")
    return [i for _k, i in rows]


bound = st.sampled_from(["Gt", "Gte", "Lt", "Lte"])


@settings(max_examples=60, deadline=None)
@given(
    status=st.one_of(st.none(), st.sampled_from([*STATUSES, "nope"])),
    bounds=st.lists(st.tuples(bound, st.integers(-1, 7)), max_size=2),
    order=st.sampled_from(["asc", "desc"]),
    batch=st.integers(1, 9),
)
def test_index_ranges_match_a_brute_force_model(
    db: tuple[Storage, sqlite3.Connection],
    status: str | None,
    bounds: list[tuple[str, int]],
    order: str,
    batch: int,
) -> None:
    kinds = [k[:2] for k, _ in bounds]
    if len(set(kinds)) != len(kinds):
        return  # two lower (or upper) bounds: refused, tested below
    rng: list[dict[str, Any]] = []
    if status is not None:
        rng.append({"type": "Eq", "fieldPath": "status", "value": status})
    rng += [{"type": k, "fieldPath": "priority", "value": float(v)} for k, v in bounds]
    index = "by_status_priority" if status is not None else "by_priority"
    fields = ["status", "priority"] if status is not None else ["priority"]
    q = query(index, order, *rng)
    got = [d["_id"] for d in collect(db, q, batch)]
    assert got == model(db, fields, q)


def test_filters_limits_and_missing_fields(db: tuple[Storage, sqlite3.Connection]) -> None:
    missing = {"$eq": [{"$field": "status"}, {"$literal": {"$undefined": None}}]}
    q = {
        "source": {"type": "FullTableScan", "tableName": "tasks", "order": "desc"},
        "operators": [{"filter": missing}, {"limit": 3}],
    }
    docs = collect(db, q)
    assert len(docs) == 3 and all("status" not in d for d in docs)
    assert docs[0]["_creationTime"] > docs[-1]["_creationTime"]
    expr = {"$and": [{"$gt": [{"$field": "priority"}, {"$literal": 2}]}, {"$not": missing}]}
    assert evaluate(expr, {"priority": 3.0, "status": "todo"}) is True
    assert evaluate(expr, {"priority": 3.0}) is False
    assert evaluate({"$mod": [{"$literal": 7}, {"$literal": 4}]}, {}) == 3
    # A limit before a filter caps the rows read, not the rows returned.
    capped = query("by_priority", "asc", ops=[{"limit": 5}, {"filter": {"$not": missing}}])
    expected = [d["_id"] for d in _first(db, 5) if "status" in d]
    assert [d["_id"] for d in collect(db, capped)] == expected and len(expected) < 5


def _first(db: tuple[Storage, sqlite3.Connection], n: int) -> list[dict[str, Any]]:
    return collect(db, query("by_priority", "asc", ops=[{"limit": n}]))


def test_take_reads_only_what_it_returns(db: tuple[Storage, sqlite3.Connection]) -> None:
    r = reader(db)
    stream = query_stream.Stream(
        Plan(query("by_priority", "desc", ops=[{"limit": 2}]), db[0].catalog), r
    )
    docs, done = stream.batch(64)
    assert len(docs) == 2 and done
    assert r.tracker.rows_read == 2  # not the table: an index range, not a scan


def test_bad_ranges_and_unknown_indexes_fail_like_the_backend(
    db: tuple[Storage, sqlite3.Connection],
) -> None:
    cat = db[0].catalog
    with pytest.raises(QueryError, match="didn't use the index fields in order"):
        Plan(
            query("by_status_priority", "asc", {"type": "Eq", "fieldPath": "priority", "value": 1}),
            cat,
        )
    gt = {"type": "Gt", "fieldPath": "priority", "value": 1}
    with pytest.raises(QueryError, match="Already defined lower bound"):
        Plan(query("by_priority", "asc", gt, {**gt, "type": "Gte"}), cat)
    with pytest.raises(QueryError, match="doesn't index this field"):
        Plan(query("by_priority", "asc", {"type": "Eq", "fieldPath": "text", "value": "x"}), cat)
    with pytest.raises(QueryError, match="Already defined inequality bound"):
        Plan(query("by_priority", "asc", {**gt, "type": "Eq"}, gt), cat)
    with pytest.raises(QueryError, match='Index "tasks.nope" not found'):
        Plan(query("nope", "asc"), cat)


# --- pages --------------------------------------------------------------------------------------


def drain(
    db: tuple[Storage, sqlite3.Connection], q: dict[str, Any], size: int
) -> tuple[list[str], list[tuple[str | None, str, list[str]]]]:
    plan = Plan(q, db[0].catalog)
    got: list[str] = []
    pages: list[tuple[str | None, str, list[str]]] = []
    cursor: str | None = None
    for _ in range(200):
        out = query_stream.page(plan, reader(db), cursor, None, size)
        assert len(out["page"]) <= size
        ids = [d["_id"] for d in out["page"]]
        got += ids
        pages.append((cursor, out["continueCursor"], ids))
        cursor = out["continueCursor"]
        if out["isDone"]:
            return got, pages
    raise AssertionError("never done")


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 15), order=st.sampled_from(["asc", "desc"]), low=st.integers(0, 6))
def test_pages_cover_every_result_once(
    db: tuple[Storage, sqlite3.Connection], size: int, order: str, low: int
) -> None:
    q = query("by_priority", order, {"type": "Gte", "fieldPath": "priority", "value": float(low)})
    got, pages = drain(db, q, size)
    assert got == model(db, ["priority"], q)
    # Refetching a page with its end cursor returns the same documents and cursor.
    start, end, ids = pages[0]
    again = query_stream.page(Plan(q, db[0].catalog), reader(db), start, end, size)
    assert [d["_id"] for d in again["page"]] == ids and again["continueCursor"] == end


def test_a_page_ending_on_the_last_document_is_not_done(
    db: tuple[Storage, sqlite3.Connection],
) -> None:
    q = query("by_priority", "asc", {"type": "Eq", "fieldPath": "priority", "value": 6.0})
    total = len(model(db, ["priority"], q))
    plan = Plan(q, db[0].catalog)
    first = query_stream.page(plan, reader(db), None, None, total)
    assert len(first["page"]) == total and first["isDone"] is False  # read_page_from_query
    last = query_stream.page(plan, reader(db), first["continueCursor"], None, total)
    assert last["page"] == [] and last["isDone"] is True
    again = query_stream.page(plan, reader(db), last["continueCursor"], None, total)
    assert again["page"] == [] and again["isDone"] is True


def test_pages_are_stable_under_inserts(tmp_path: Path) -> None:
    storage, conn, w, _number = open_tasks(tmp_path)
    for p in range(0, 20, 2):
        w.insert("tasks", {"text": f"p{p}", "priority": float(p)})
    plan = Plan(query("by_priority", "asc"), storage.catalog)
    first = query_stream.page(plan, w, None, None, 4)
    assert [d["priority"] for d in first["page"]] == [0, 2, 4, 6]
    w.insert("tasks", {"text": "early", "priority": 1.0})  # before the cursor: no shift
    w.insert("tasks", {"text": "later", "priority": 7.0})  # after it: on the next page
    second = query_stream.page(plan, w, first["continueCursor"], None, 4)
    assert [d["priority"] for d in second["page"]] == [7, 8, 10, 12]
    # Re-running the first page up to its end cursor now includes the new early document.
    rerun = query_stream.page(plan, w, None, first["continueCursor"], 4)
    assert [d["priority"] for d in rerun["page"]] == [0, 1, 2, 4, 6]
    conn.execute("ROLLBACK")
    conn.close()


def test_cursors_belong_to_their_query(db: tuple[Storage, sqlite3.Connection]) -> None:
    asc = Plan(query("by_priority", "asc"), db[0].catalog)
    desc = Plan(query("by_priority", "desc"), db[0].catalog)
    cursor = query_stream.page(asc, reader(db), None, None, 3)["continueCursor"]
    with pytest.raises(QueryError, match="from a different query"):
        query_stream.page(desc, reader(db), cursor, None, 3)
    with pytest.raises(QueryError, match="at least 1 document"):
        query_stream.page(asc, reader(db), None, None, 0)


@given(st.text(max_size=30))
def test_garbage_cursors_fail_cleanly(text: str) -> None:
    plan = Plan({"source": {"type": "FullTableScan", "tableName": "t"}}, indexes.Catalog())
    try:
        query_stream.decode_cursor(plan, text)
    except QueryError:
        pass


# --- index maintenance -----------------------------------------------------------------------------


def test_writes_keep_entries_in_step_and_sync_rebuilds_stale_indexes(tmp_path: Path) -> None:
    storage, conn, w, number = open_tasks(tmp_path)
    a = w.insert("tasks", {"text": "a", "priority": 1.0, "status": "todo"})
    w.insert("tasks", {"text": "b", "priority": 2.0})
    w.patch(a, {"priority": 9.0})
    by_priority = Plan(query("by_priority", "asc"), storage.catalog)
    assert [d["text"] for d in query_stream.page(by_priority, w, None, None, 9)["page"]] == [
        "b",
        "a",
    ]
    w.delete(a)
    assert [d["text"] for d in query_stream.page(by_priority, w, None, None, 9)["page"]] == ["b"]
    entries = conn.execute("SELECT count(*) FROM index_entries").fetchone()[0]
    assert entries == 2  # one document, two indexes
    # Entries lost (say, writes while no pushed app was loaded): the next sync rebuilds them.
    conn.execute("DELETE FROM index_entries")
    storage.catalog, built = indexes.sync(conn, WANTED, {"tasks": number})
    assert built == ["tasks"]
    assert conn.execute("SELECT count(*) FROM index_entries").fetchone()[0] == 2
    # A dropped index loses its entries.
    storage.catalog, _ = indexes.sync(conn, WANTED[:1], {"tasks": number})
    assert conn.execute("SELECT count(*) FROM index_entries").fetchone()[0] == 1
    conn.execute("COMMIT")
    conn.close()


@settings(max_examples=30, deadline=None)
@given(
    cut=st.integers(0, 59),
    kind=st.sampled_from(["Gt", "Gte", "Lt", "Lte", "Eq"]),
    order=st.sampled_from(["asc", "desc"]),
    size=st.integers(1, 9),
)
def test_creation_time_ranges_and_pages_match_the_model(
    db: tuple[Storage, sqlite3.Connection], cut: int, kind: str, order: str, size: int
) -> None:
    """``by_creation_time`` reads the documents table's own index; its ranges and cursors
    behave like a schema index's."""
    at = everything(db)[cut]["_creationTime"]
    q = query("by_creation_time", order, {"type": kind, "fieldPath": "_creationTime", "value": at})
    got, _pages = drain(db, q, size)
    assert got == model(db, [], q)
    by_id = query(
        "by_id", order, {"type": "Eq", "fieldPath": "_id", "value": everything(db)[cut]["_id"]}
    )
    assert [d["_id"] for d in collect(db, by_id)] == [everything(db)[cut]["_id"]]


range_exprs = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Eq", "Gt", "Gte", "Lt", "Lte", "Nope"]),
            "fieldPath": st.sampled_from(["status", "priority", "_creationTime", "_id", "text"]),
            "value": st.one_of(st.none(), st.integers(-3, 9), st.text(max_size=3)),
        }
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(
    rng=range_exprs,
    index=st.sampled_from(["by_priority", "by_status_priority", "by_creation_time"]),
)
def test_any_index_range_is_a_result_or_a_clean_error(
    db: tuple[Storage, sqlite3.Connection], rng: list[dict[str, Any]], index: str
) -> None:
    try:
        plan = Plan(query(index, "asc", *rng), db[0].catalog)
    except QueryError:
        return
    stream = query_stream.Stream(plan, reader(db))
    stream.batch(100)
