"""A pushed schema's indexes in SQLite: definitions, entries kept in step with every write, and
range scans in index order.

``index_entries(idx, key, doc_id)`` holds one row per document per database index, ``key``
being the sort key (:mod:`tui.sandbox.sortkey`) of the index's fields, then ``_creationTime``,
then ``_id`` — the backend's index key. Its primary key ``(idx, key)`` makes
``withIndex(..).eq(..).gte(..)`` a B-tree range scan: a query's cost follows the rows it
returns, not the table's size. Search indexes live in FTS5 tables (:mod:`tui.sandbox.search`).
A push's install brings the stored indexes in line with the schema (``sync``): new or changed
indexes are built from the table's documents, removed ones dropped, and an index whose entry
count disagrees with its table (written while no pushed app was loaded) is rebuilt.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from tui.convex import values
from tui.sandbox import search, sortkey
from tui.sandbox.search import SearchDef

Doc = dict[str, Any]
Order = Literal["asc", "desc"]
DDL = (
    "CREATE TABLE IF NOT EXISTS indexes(id INTEGER PRIMARY KEY, tbl_name TEXT NOT NULL, "
    "name TEXT NOT NULL, kind TEXT NOT NULL, spec TEXT NOT NULL, UNIQUE(tbl_name, name))",
    "CREATE TABLE IF NOT EXISTS index_entries(idx INTEGER NOT NULL, key BLOB NOT NULL, "
    "doc_id TEXT NOT NULL, PRIMARY KEY(idx, key)) WITHOUT ROWID",
)


@dataclass(frozen=True)
class IndexDef:
    id: int
    table: str
    name: str
    fields: tuple[str, ...]  # without the implicit _creationTime

    def key(self, doc: Doc) -> bytes:
        parts = [sortkey.path_value(doc, f) for f in self.fields]
        return sortkey.encode(*parts, doc["_creationTime"], doc["_id"])


@dataclass(frozen=True)
class Catalog:
    """The indexes writes maintain, by table (replaced whole, never mutated)."""

    database: dict[str, tuple[IndexDef, ...]] = field(default_factory=dict)
    searches: dict[str, tuple[SearchDef, ...]] = field(default_factory=dict)

    def find(self, table: str, name: str) -> IndexDef | None:
        return next((i for i in self.database.get(table, ()) if i.name == name), None)

    def find_search(self, table: str, name: str) -> SearchDef | None:
        return next((s for s in self.searches.get(table, ()) if s.name == name), None)


@dataclass(frozen=True)
class Wanted:
    """One index a schema declares."""

    table: str
    name: str
    kind: Literal["database", "search"]
    spec: dict[str, Any]


def ensure_schema(conn: sqlite3.Connection) -> None:
    for ddl in DDL:
        conn.execute(ddl)


def load(conn: sqlite3.Connection) -> Catalog:
    ensure_schema(conn)
    rows = conn.execute("SELECT id, tbl_name, name, kind, spec FROM indexes ORDER BY id")
    return _catalog(rows.fetchall())


def _catalog(rows: Iterable[tuple[int, str, str, str, str]]) -> Catalog:
    database: dict[str, list[IndexDef]] = {}
    searches: dict[str, list[SearchDef]] = {}
    for idx, table, name, kind, raw in rows:
        spec = json.loads(raw)
        if kind == "search":
            s = SearchDef(idx, table, name, spec["searchField"], tuple(spec["filterFields"]))
            searches.setdefault(table, []).append(s)
        else:
            database.setdefault(table, []).append(IndexDef(idx, table, name, tuple(spec["fields"])))
    return Catalog(
        {t: tuple(v) for t, v in database.items()}, {t: tuple(v) for t, v in searches.items()}
    )


def on_write(
    conn: sqlite3.Connection, catalog: Catalog, table: str, old: Doc | None, new: Doc | None
) -> None:
    """Keep ``table``'s indexes in step with one insert (old None), update or delete (new None)."""
    for index in catalog.database.get(table, ()):
        before = index.key(old) if old is not None else None
        after = index.key(new) if new is not None else None
        if before == after:
            continue
        if before is not None:
            conn.execute("DELETE FROM index_entries WHERE idx=? AND key=?", (index.id, before))
        if after is not None and new is not None:
            conn.execute(
                "INSERT INTO index_entries(idx, key, doc_id) VALUES(?,?,?)",
                (index.id, after, new["_id"]),
            )
    for s in catalog.searches.get(table, ()):
        search.on_write(conn, s, old, new)


def on_bulk_insert(
    conn: sqlite3.Connection, catalog: Catalog, table: str, docs: Iterable[Doc]
) -> None:
    indexes = catalog.database.get(table, ())
    searches = catalog.searches.get(table, ())
    if not indexes and not searches:
        return
    docs = list(docs)
    rows = sorted((i.id, i.key(d), d["_id"]) for i in indexes for d in docs)
    conn.executemany("INSERT INTO index_entries(idx, key, doc_id) VALUES(?,?,?)", rows)
    for s in searches:
        search.backfill(conn, s, docs)


# --- sync with a schema (inside the install's write transaction) -------------------------------


def _table_docs(conn: sqlite3.Connection, number: int | None) -> list[Doc]:
    if number is None:
        return []
    rows = conn.execute("SELECT body FROM documents WHERE tbl=?", (number,))
    return [values.decode(json.loads(body)) for (body,) in rows]


def _table_count(conn: sqlite3.Connection, number: int | None) -> int:
    if number is None:
        return 0
    return int(conn.execute("SELECT count(*) FROM documents WHERE tbl=?", (number,)).fetchone()[0])


def _drop(conn: sqlite3.Connection, idx: int, kind: str, table: str, name: str, raw: str) -> None:
    if kind == "search":
        spec = json.loads(raw)
        search.drop(conn, SearchDef(idx, table, name, spec["searchField"], ()))
    else:
        conn.execute("DELETE FROM index_entries WHERE idx=?", (idx,))
    conn.execute("DELETE FROM indexes WHERE id=?", (idx,))


def _build(conn: sqlite3.Connection, catalog: Catalog, table: str, docs: list[Doc]) -> None:
    for index in catalog.database.get(table, ()):
        conn.execute("DELETE FROM index_entries WHERE idx=?", (index.id,))
    for s in catalog.searches.get(table, ()):
        search.drop(conn, s)
        search.create(conn, s)
    on_bulk_insert(conn, catalog, table, docs)


def sync(
    conn: sqlite3.Connection, wanted: list[Wanted], table_number: dict[str, int]
) -> tuple[Catalog, list[str]]:
    """Make the stored indexes exactly ``wanted``; returns the catalog and what was built."""
    ensure_schema(conn)
    stored = {
        (t, n): (i, k, s)
        for i, t, n, k, s in conn.execute("SELECT id, tbl_name, name, kind, spec FROM indexes")
    }
    want = {(w.table, w.name): w for w in wanted}
    built: set[str] = set()
    for (table, name), (idx, kind, raw) in stored.items():
        w = want.get((table, name))
        if w is None or w.kind != kind or json.loads(raw) != w.spec:
            _drop(conn, idx, kind, table, name, raw)
    current = {(t, n) for t, n in conn.execute("SELECT tbl_name, name FROM indexes")}
    for w in wanted:
        if (w.table, w.name) not in current:
            conn.execute(
                "INSERT INTO indexes(tbl_name, name, kind, spec) VALUES(?,?,?,?)",
                (w.table, w.name, w.kind, json.dumps(w.spec, sort_keys=True)),
            )
            built.add(w.table)
    catalog = load(conn)
    for table in {w.table for w in wanted}:
        number = table_number.get(table)
        if table not in built and _consistent(conn, catalog, table, number):
            continue
        _build(conn, catalog, table, _table_docs(conn, number))
        built.add(table)
    return catalog, sorted(built)


def _consistent(conn: sqlite3.Connection, catalog: Catalog, table: str, number: int | None) -> bool:
    docs = _table_count(conn, number)
    for index in catalog.database.get(table, ()):
        row = conn.execute("SELECT count(*) FROM index_entries WHERE idx=?", (index.id,)).fetchone()
        if int(row[0]) != docs:
            return False
    for s in catalog.searches.get(table, ()):
        try:
            conn.execute(f"SELECT 1 FROM {s.fts} LIMIT 0")
        except sqlite3.OperationalError:
            return False
        strings = 0
        if number is not None:
            path = "$." + s.search_field
            strings = conn.execute(
                "SELECT count(*) FROM documents WHERE tbl=? AND json_type(body, ?)='text'",
                (number, path),
            ).fetchone()[0]
        if search.count(conn, s) != strings:
            return False
    return True


# --- range scans ----------------------------------------------------------------------------------


def scan_index(
    conn: sqlite3.Connection,
    idx: int,
    low: bytes | None,
    high: bytes | None,
    order: Order,
    after: bytes | None,
    limit: int,
) -> list[tuple[bytes, str]]:
    """Up to ``limit`` ``(key, body)`` rows with ``low <= key < high``, strictly past ``after``
    in ``order``, read through the index's B-tree."""
    where = ["e.idx = ?"]
    params: list[Any] = [idx]
    if low is not None:
        where.append("e.key >= ?")
        params.append(low)
    if high is not None:
        where.append("e.key < ?")
        params.append(high)
    if after is not None:
        where.append("e.key > ?" if order == "asc" else "e.key < ?")
        params.append(after)
    direction = "ASC" if order == "asc" else "DESC"
    rows = conn.execute(
        "SELECT e.key, d.body FROM index_entries e JOIN documents d ON d.id = e.doc_id "
        f"WHERE {' AND '.join(where)} ORDER BY e.key {direction} LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [(bytes(k), str(b)) for k, b in rows]
