"""``ctx.db`` for sandbox functions: reads, writes, index lookups and keyset pagination."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tui.convex import values
from tui.convex.ids import InvalidId, decode_id, new_id
from tui.convex.validators import ArgValidationError, V
from tui.sandbox import indexes
from tui.sandbox.errors import SystemError_
from tui.sandbox.storage import INSERT_SQL, UPDATE_SQL, Storage, field_expr, index_key, index_keys

Order = Literal["asc", "desc"]
Doc = dict[str, Any]
UNSET: Any = object()  # `undefined` in a patch: remove the field
MAX_DOC_BYTES = 1 << 20
MAX_NESTING = 16
_TABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass
class Tracker:
    """What one function execution touched."""

    read_tables: set[str] = field(default_factory=set)
    written_tables: set[str] = field(default_factory=set)
    created_tables: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0
    bytes_read: int = 0
    rows_written: int = 0
    bytes_written: int = 0
    # File bytes this transaction wrote (removed if it rolls back) or deleted (removed after it
    # commits): tui/sandbox/files.py.
    created_files: list[Path] = field(default_factory=list)
    deleted_files: list[Path] = field(default_factory=list)
    # A paginated query's end cursor: read from the previous run's journal, written for the next
    # (reactive pagination keeps a page's end fixed, like the backend's QueryJournal).
    journal_in: str | None = None
    journal_out: str | None = None


def encode_cursor(key: tuple[float, str] | None, *, end: bool = False) -> str:
    """Opaque cursor: a position (``None`` = the start) or the end marker."""
    raw = json.dumps({"k": list(key) if key else None, "end": end}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str] | None | Literal["end"]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if data.get("end"):
            return "end"
        if data["k"] is None:
            return None
        ctime, doc_id = data["k"]
        return float(ctime), str(doc_id)
    except (ValueError, KeyError, TypeError) as exc:
        raise SystemError_(f"Failed to parse cursor: {cursor!r}") from exc


def validate_table_name(name: str, *, user: bool = True) -> None:
    if not _TABLE_RE.match(name) or set(name) == {"_"}:
        raise SystemError_(f'Invalid table name: "{name}"')
    if user and name.startswith("_"):
        raise SystemError_(
            f'Table names cannot start with an underscore ("{name}" is reserved for system tables)'
        )


def validate_fields(value: Any, *, top: bool = True, depth: int = 0) -> None:
    """Field-name rules of reference §3."""
    if depth > MAX_NESTING:
        raise SystemError_(f"Document is too nested (maximum depth is {MAX_NESTING})")
    if isinstance(value, list):
        for item in value:
            validate_fields(item, top=False, depth=depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$"):
                raise SystemError_(f"Field name {key} starts with a '$', which is reserved.")
            if len(key) > 1024:
                raise SystemError_(f"Field name {key[:32]}... is too long (max 1024 characters)")
            if any(not 32 <= ord(c) <= 126 for c in key):
                raise SystemError_(f"Field name {key!r} has invalid character(s)")
            if top and key.startswith("_"):
                raise SystemError_(
                    f"Field '{key}' starts with an underscore, which is only allowed for system "
                    "fields like '_id'."
                )
            validate_fields(item, top=False, depth=depth + 1)


class Reader:
    """Read access inside one SQLite snapshot (a reader transaction or the writer's)."""

    def __init__(self, storage: Storage, conn: sqlite3.Connection, tracker: Tracker) -> None:
        self.storage = storage
        self.conn = conn
        self.tracker = tracker

    def _number(self, table: str) -> int | None:
        return self.tracker.created_tables.get(table, self.storage.table_number(table))

    def table_number(self, table: str) -> int | None:
        """The table's number as this transaction sees it (None: no such table)."""
        return self._number(table)

    def _row_to_doc(self, body: str) -> Doc:
        self.tracker.rows_read += 1
        self.tracker.bytes_read += len(body)
        doc: Doc = values.decode(json.loads(body))
        return doc

    def table_names(self) -> list[str]:
        return sorted({*self.storage.tables, *self.tracker.created_tables})

    def table_of(self, doc_id: str) -> str | None:
        try:
            number = decode_id(doc_id).table_number
        except InvalidId:
            return None
        for name, num in {**self.storage.tables, **self.tracker.created_tables}.items():
            if num == number:
                return name
        return None

    def get(self, doc_id: str) -> Doc | None:
        table = self.table_of(doc_id)
        if table is None:
            return None
        self.tracker.read_tables.add(table)
        row = self.conn.execute("SELECT body FROM documents WHERE id=?", (doc_id,)).fetchone()
        return None if row is None else self._row_to_doc(row[0])

    def count(self, table: str) -> int:
        self.tracker.read_tables.add(table)
        number = self._number(table)
        if number is None:
            return 0
        return int(
            self.conn.execute("SELECT count(*) FROM documents WHERE tbl=?", (number,)).fetchone()[0]
        )

    def _scan_sql(
        self,
        number: int,
        eq: Sequence[tuple[str, Any]],
        order: Order,
        after: tuple[float, str] | None,
    ) -> tuple[str, list[Any]]:
        where = ["tbl=?"]
        params: list[Any] = [number]
        for name, value in eq:
            where.append(f"{field_expr(name)} IS ?")
            params.append(index_key(value) if field_expr(name).startswith("k_") else value)
        if after is not None:
            where.append("(ctime, id) > (?, ?)" if order == "asc" else "(ctime, id) < (?, ?)")
            params.extend(after)
        direction = "ASC" if order == "asc" else "DESC"
        sql = (
            f"SELECT body, ctime, id FROM documents WHERE {' AND '.join(where)} "
            f"ORDER BY ctime {direction}, id {direction} LIMIT ?"
        )
        return sql, params

    def query(
        self,
        table: str,
        *,
        eq: Sequence[tuple[str, Any]] = (),
        order: Order = "asc",
        limit: int | None = None,
        where: Callable[[Doc], bool] | None = None,
    ) -> list[Doc]:
        """``db.query(table).withIndex(..eq..).order(order).filter(where).take(limit)``."""
        page = self.paginate(
            table,
            limit if limit is not None else 1 << 62,
            None,
            eq=eq,
            order=order,
            where=where,
            max_rows=1 << 62,
        )
        docs: list[Doc] = page["page"]
        return docs

    def paginate(
        self,
        table: str,
        num_items: int,
        cursor: str | None,
        *,
        eq: Sequence[tuple[str, Any]] = (),
        order: Order = "asc",
        where: Callable[[Doc], bool] | None = None,
        max_rows: int = 10_000,
        end_cursor: str | None = None,
    ) -> dict[str, Any]:
        """Keyset pagination over (``_creationTime``, ``_id``): no duplicates or gaps.

        With ``end_cursor`` (``paginationOpts.endCursor``, what a reactive client pins a loaded
        page with) the page runs up to and including that position whatever ``num_items``, and
        continues there: a live page grows or shrinks in place instead of shifting."""
        self.tracker.read_tables.add(table)
        number = self._number(table)
        position = decode_cursor(cursor) if cursor else None
        if number is None or position == "end":
            return {"page": [], "isDone": True, "continueCursor": encode_cursor(None, end=True)}
        if end_cursor:
            return self._page_to(number, position, end_cursor, eq, order, where, max_rows)
        last = position
        page: list[Doc] = []
        scanned = 0
        exhausted = False
        while len(page) < num_items and scanned < max_rows:
            want = min(500 if where else num_items - len(page), max_rows - scanned, 1000)
            sql, params = self._scan_sql(number, eq, order, last)
            rows = self.conn.execute(sql, [*params, want]).fetchall()
            consumed = 0
            for body, ctime, doc_id in rows:
                consumed += 1
                scanned += 1
                last = (ctime, doc_id)
                doc = self._row_to_doc(body)
                if where is None or where(doc):
                    page.append(doc)
                    if len(page) >= num_items:
                        break
            if consumed == len(rows) and len(rows) < want:
                exhausted = True
                break
        done = exhausted
        if not done:
            # Peek whether anything follows so the last page says isDone without a round trip.
            sql, params = self._scan_sql(number, eq, order, last)
            done = not self.conn.execute(sql, [*params, 1]).fetchall()
        return {
            "page": page,
            "isDone": done,
            "continueCursor": encode_cursor(last, end=done and last is None),
        }

    def _page_to(
        self,
        number: int,
        start: tuple[float, str] | None,
        end_cursor: str,
        eq: Sequence[tuple[str, Any]],
        order: Order,
        where: Callable[[Doc], bool] | None,
        max_rows: int,
    ) -> dict[str, Any]:
        end = decode_cursor(end_cursor)
        if end is None:  # the start of the order: nothing lies before it
            return {"page": [], "isDone": False, "continueCursor": end_cursor}
        sql, params = self._scan_sql(number, eq, order, start)
        if end != "end":
            sql = sql.replace(
                " ORDER BY",
                " AND (ctime, id) <= (?, ?) ORDER BY"
                if order == "asc"
                else " AND (ctime, id) >= (?, ?) ORDER BY",
            )
            params.extend(end)
        rows = self.conn.execute(sql, [*params, max_rows]).fetchall()
        docs = (self._row_to_doc(body) for body, _, _ in rows)
        page = [d for d in docs if where is None or where(d)]
        return {"page": page, "isDone": end == "end", "continueCursor": end_cursor}


class Writer(Reader):
    """Writes inside the writer thread's open transaction."""

    def __init__(
        self,
        storage: Storage,
        conn: sqlite3.Connection,
        tracker: Tracker,
        schema: dict[str, V] | None = None,
    ) -> None:
        super().__init__(storage, conn, tracker)
        self.schema = schema or {}

    def _check_schema(self, table: str, doc: Doc) -> None:
        validator = self.schema.get(table)
        if validator is None:
            return
        user_fields = {k: v for k, v in doc.items() if k not in ("_id", "_creationTime")}
        try:
            validator.check(user_fields)
        except ArgValidationError as exc:
            raise SystemError_(
                f'Failed to insert or update a document in table "{table}" because it does not '
                f"match the schema: {exc}"
            ) from exc

    def _serialize(self, doc: Doc) -> str:
        try:
            body = json.dumps(values.encode(doc), separators=(",", ":"))
        except values.ValueError_ as exc:
            raise SystemError_(str(exc)) from exc
        if len(body) > MAX_DOC_BYTES:
            raise SystemError_(f"Document is too large ({len(body)} bytes, max {MAX_DOC_BYTES})")
        return body

    def ensure_table(self, table: str) -> int:
        """The table's number, creating the (empty) table if needed."""
        number = self._number(table)
        if number is None:
            number = self.storage.allocate_table(self.conn, table)
            self.tracker.created_tables[table] = number
        return number

    def insert(self, table: str, doc: Doc) -> str:
        validate_table_name(table)
        if not isinstance(doc, dict):
            raise SystemError_("insert() expects an object")
        validate_fields(doc)
        self._check_schema(table, doc)
        number = self.ensure_table(table)
        ctime = self.storage.clock.tick() / 1e6
        doc_id = new_id(number)
        full = {"_id": doc_id, "_creationTime": ctime, **doc}
        body = self._serialize(full)
        self.conn.execute(INSERT_SQL, (doc_id, number, ctime, body, *index_keys(doc)))
        indexes.on_write(self.conn, self.storage.catalog, table, None, full)
        self._wrote(table, body)
        return doc_id

    def _wrote(self, table: str, body: str) -> None:
        self.tracker.written_tables.add(table)
        self.tracker.rows_written += 1
        self.tracker.bytes_written += len(body)

    def _existing(self, doc_id: str) -> tuple[str, Doc]:
        table = self.table_of(doc_id)
        doc = self.get(doc_id) if table else None
        if table is None or doc is None:
            raise SystemError_(f"Document with id '{doc_id}' does not exist")
        if table.startswith("_"):  # system tables change only through their own APIs
            raise SystemError_(f"System table '{table}' cannot be modified directly")
        return table, doc

    def _store(self, table: str, doc: Doc, old: Doc) -> None:
        self._check_schema(table, doc)
        body = self._serialize(doc)
        self.conn.execute(UPDATE_SQL, (body, *index_keys(doc), doc["_id"]))
        indexes.on_write(self.conn, self.storage.catalog, table, old, doc)
        self._wrote(table, body)

    def patch(self, doc_id: str, fields: Doc) -> None:
        table, doc = self._existing(doc_id)
        for key in ("_id", "_creationTime"):
            if key in fields and fields[key] != doc[key]:
                raise SystemError_(f"Provided {key} field does not match the document's {key}")
        updates = {k: v for k, v in fields.items() if k not in ("_id", "_creationTime")}
        validate_fields({k: v for k, v in updates.items() if v is not UNSET})
        new = dict(doc)
        for key, value in updates.items():
            if value is UNSET:
                new.pop(key, None)
            else:
                new[key] = value
        self._store(table, new, doc)

    def replace(self, doc_id: str, new: Doc) -> None:
        table, doc = self._existing(doc_id)
        body = {k: v for k, v in new.items() if k not in ("_id", "_creationTime")}
        validate_fields(body)
        new = {"_id": doc["_id"], "_creationTime": doc["_creationTime"], **body}
        self._store(table, new, doc)

    def delete(self, doc_id: str) -> None:
        table, doc = self._existing(doc_id)
        self.conn.execute("DELETE FROM documents WHERE id=?", (doc_id,))
        indexes.on_write(self.conn, self.storage.catalog, table, doc, None)
        self.tracker.written_tables.add(table)
        self.tracker.rows_written += 1
