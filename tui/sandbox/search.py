"""Text search indexes (``searchIndex`` in a schema) on SQLite FTS5.

Each search index is one FTS5 table, ``search_<id>``: the search field's terms, the filter
fields' sort keys and the document's ``_creationTime`` and ``_id``. Matching and scoring follow
the backend's documented behaviour (``crates/search``; docs ``search/text-search``):

- Text is split on everything that is not a letter or a digit, lower-cased, and terms of 32 bytes
  or more are dropped (tantivy's SimpleTokenizer, RemoveLongFilter(32), LowerCaser).
- A query keeps its first 16 terms; a document matches when it has any of them, and the *last*
  query term also matches as a prefix (typeahead).
- Relevance is FTS5's BM25 (k1 = 1.2, b = 0.75) over the index's documents; equal scores put
  the newest document first. At most 1024 results are read, like the backend.
- ``.eq(field, value)`` on a filter field keeps documents whose value is exactly that.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tui.sandbox import sortkey

MAX_QUERY_TERMS = 16
MAX_TERM_BYTES = 32
MAX_CANDIDATES = 1024
MAX_FILTERS = 8
ROWS_DDL = (
    "CREATE TABLE IF NOT EXISTS search_rows(idx INTEGER NOT NULL, doc_id TEXT NOT NULL, "
    "rid INTEGER NOT NULL, PRIMARY KEY(idx, doc_id)) WITHOUT ROWID"
)
_TERM = re.compile(r"[^\W_]+")
Doc = dict[str, Any]


class SearchError(ValueError):
    """A search query the backend would refuse (no search text, too many filters...)."""


@dataclass(frozen=True)
class SearchDef:
    id: int
    table: str
    name: str
    search_field: str
    filter_fields: tuple[str, ...]

    @property
    def fts(self) -> str:
        return f"search_{int(self.id)}"

    @property
    def display(self) -> str:
        return f"{self.table}.{self.name}"


def search_fields(s: SearchDef) -> dict[str, Any]:
    """How index listings show a search index's fields (``IndexMetadataResponse``)."""
    return {"searchField": s.search_field, "filterFields": list(s.filter_fields)}


def terms(text: str) -> list[str]:
    return [t for t in _TERM.findall(text.lower()) if len(t.encode()) < MAX_TERM_BYTES]


def fts_available(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_probe USING fts5(x)")
        conn.execute("DROP TABLE temp.fts_probe")
    except sqlite3.OperationalError:
        return False
    return True


def create(conn: sqlite3.Connection, s: SearchDef) -> None:
    filters = "".join(f", f{i} UNINDEXED" for i in range(len(s.filter_fields)))
    conn.execute(ROWS_DDL)
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {s.fts} USING fts5(body{filters}, "
        "ctime UNINDEXED, doc_id UNINDEXED, tokenize='unicode61 remove_diacritics 0')"
    )


def drop(conn: sqlite3.Connection, s: SearchDef) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {s.fts}")
    conn.execute(ROWS_DDL)
    conn.execute("DELETE FROM search_rows WHERE idx=?", (s.id,))


def _row(s: SearchDef, doc: Doc) -> tuple[Any, ...] | None:
    text = sortkey.path_value(doc, s.search_field)
    if not isinstance(text, str):
        return None  # only strings are indexed for search
    keys = tuple(sortkey.encode(sortkey.path_value(doc, f)) for f in s.filter_fields)
    return (" ".join(terms(text)), *keys, doc["_creationTime"], doc["_id"])


def on_write(conn: sqlite3.Connection, s: SearchDef, old: Doc | None, new: Doc | None) -> None:
    before = _row(s, old) if old is not None else None
    after = _row(s, new) if new is not None else None
    if before == after:
        return
    if old is not None:
        hit = conn.execute(
            "SELECT rid FROM search_rows WHERE idx=? AND doc_id=?", (s.id, old["_id"])
        ).fetchone()
        if hit is not None:
            conn.execute(f"DELETE FROM {s.fts} WHERE rowid=?", (hit[0],))
            conn.execute("DELETE FROM search_rows WHERE idx=? AND doc_id=?", (s.id, old["_id"]))
    if after is not None:
        marks = ",".join("?" * len(after))
        cur = conn.execute(f"INSERT INTO {s.fts} VALUES({marks})", after)
        conn.execute(
            "INSERT INTO search_rows(idx, doc_id, rid) VALUES(?,?,?)",
            (s.id, after[-1], cur.lastrowid),
        )


def backfill(conn: sqlite3.Connection, s: SearchDef, docs: Sequence[Doc]) -> None:
    for doc in docs:
        on_write(conn, s, None, doc)


def count(conn: sqlite3.Connection, s: SearchDef) -> int:
    conn.execute(ROWS_DDL)
    row = conn.execute("SELECT count(*) FROM search_rows WHERE idx=?", (s.id,)).fetchone()
    return int(row[0])


def match_expression(text: str) -> str | None:
    """The FTS5 query for a search text: any term, the last one also as a prefix."""
    words = terms(text)[:MAX_QUERY_TERMS]
    if not words:
        return None
    parts = [f'"{w}"' for w in words]
    parts[-1] += "*"
    return " OR ".join(parts)


def parse_filters(s: SearchDef, filters: list[dict[str, Any]]) -> tuple[str, list[tuple[int, Any]]]:
    """The search text and the ``(filter column, value)`` equalities of a Search source."""
    text: str | None = None
    eqs: list[tuple[int, Any]] = []
    for f in filters:
        path = str(f.get("fieldPath"))
        if f.get("type") == "Search":
            if path != s.search_field:
                raise SearchError(
                    f'Search query against {s.display} references field "{path}", which is not '
                    f'the search field "{s.search_field}".'
                )
            text = str(f.get("value", ""))
        elif f.get("type") == "Eq":
            if path not in s.filter_fields:
                raise SearchError(
                    f'Search query against {s.display} has a filter on "{path}", which is not '
                    f"one of the index's filter fields {list(s.filter_fields)}."
                )
            eqs.append((s.filter_fields.index(path), sortkey.decode_literal(f.get("value"))))
    if text is None:
        raise SearchError(
            f"Search query against {s.display} does not contain any search filters. You must "
            f'include a search filter like `q.search("{s.search_field}", searchText)`.'
        )
    if len(eqs) > MAX_FILTERS:
        raise SearchError(
            f"Search query against {s.display} has too many filter conditions. "
            f"Max: {MAX_FILTERS} Actual: {len(eqs)}"
        )
    return text, eqs


def run(conn: sqlite3.Connection, s: SearchDef, text: str, eqs: list[tuple[int, Any]]) -> list[str]:
    """Matching document ids, most relevant first (at most MAX_CANDIDATES + 1)."""
    expr = match_expression(text)
    if expr is None:
        return []
    where = [f"{s.fts} MATCH ?"]
    params: list[Any] = [expr]
    for column, value in eqs:
        where.append(f"f{column} = ?")
        params.append(sortkey.encode(value))
    rows = conn.execute(
        f"SELECT doc_id FROM {s.fts} WHERE {' AND '.join(where)} "
        f"ORDER BY bm25({s.fts}), ctime DESC LIMIT ?",
        [*params, MAX_CANDIDATES + 1],
    ).fetchall()
    return [str(r[0]) for r in rows]
