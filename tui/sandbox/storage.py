"""SQLite persistence for the sandbox: documents, table numbers, env vars, the commit clock.

One file in WAL mode. The single writer connection lives on the engine's writer thread; every
reader thread opens its own connection. Documents are stored as Convex encoded JSON (with
``_id`` and ``_creationTime``) so a read is one ``json.loads`` plus :func:`values.decode`.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from tui.convex.ids import ALPHABET, _vint_encode
from tui.convex.values import encode
from tui.sandbox import indexes

FIRST_USER_TABLE = 10001
# Index fields of the demo schema that SQLite indexes by expression (tasks' by_status, ...).
INDEXED_FIELDS = ("status", "priority", "userId")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tables(number INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS documents(
    id TEXT NOT NULL,
    tbl INTEGER NOT NULL,
    ctime REAL NOT NULL,
    body TEXT NOT NULL,
    k_status, k_priority, k_userId
);
CREATE TABLE IF NOT EXISTS env(
    name TEXT PRIMARY KEY, value TEXT NOT NULL, id TEXT NOT NULL, ctime REAL NOT NULL
);
"""


INSERT_SQL = (
    "INSERT INTO documents(id, tbl, ctime, body, k_status, k_priority, k_userId) "
    "VALUES(?,?,?,?,?,?,?)"
)
UPDATE_SQL = "UPDATE documents SET body=?, k_status=?, k_priority=?, k_userId=? WHERE id=?"


def field_expr(field: str) -> str:
    """SQL for a top-level field: a key column when indexed, else ``json_extract``."""
    if field in INDEXED_FIELDS:
        return f"k_{field}"
    return f"json_extract(body, '$.{field}')"


def index_key(value: object) -> object:
    """How an index field's value is stored in its key column (and compared)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    return "\x00" + json.dumps(encode(value), sort_keys=True)


def index_keys(doc: dict[str, object]) -> tuple[object, ...]:
    return tuple(index_key(doc.get(f)) for f in INDEXED_FIELDS)


def _index_ddl() -> list[str]:
    return [
        "CREATE UNIQUE INDEX IF NOT EXISTS documents_id ON documents(id)",
        "CREATE INDEX IF NOT EXISTS documents_by_creation ON documents(tbl, ctime, id)",
        *(
            f"CREATE INDEX IF NOT EXISTS documents_by_{f} ON documents(tbl, {field_expr(f)}, ctime, id)"
            for f in INDEXED_FIELDS
        ),
    ]


_B32_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())


def fast_ids(table_number: int, count: int) -> list[str]:
    """``count`` fresh ids, byte-identical to :func:`tui.convex.ids.encode_id`, much faster.

    Crockford base32 here is RFC 4648 base32 with another alphabet and no padding, so one C
    call encodes them all when each raw id is a multiple of 5 bytes; Fletcher-16's second sum
    is the sum of prefix sums.
    """
    prefix = _vint_encode(table_number)
    rand = os.urandom(16 * count)
    raws = []
    for i in range(count):
        body = prefix + rand[16 * i : 16 * i + 16]
        raws.append(body + bytes((sum(body) & 0xFF, sum(itertools.accumulate(body)) & 0xFF)))
    size = len(raws[0]) if raws else 0
    if size % 5:
        return [base64.b32encode(r).translate(_B32_TO_CROCKFORD).decode().rstrip("=") for r in raws]
    width = size * 8 // 5
    text = base64.b32encode(b"".join(raws)).translate(_B32_TO_CROCKFORD).decode()
    return [text[width * i : width * (i + 1)] for i in range(count)]


class Clock:
    """Monotonic nanosecond timestamps, 1 µs apart so ``_creationTime`` floats stay distinct."""

    STEP = 1000

    def __init__(self, last: int) -> None:
        self._last = last
        self._lock = threading.Lock()

    @property
    def last(self) -> int:
        return self._last

    def tick(self) -> int:
        with self._lock:
            self._last = max(time.time_ns(), self._last + self.STEP)
            return self._last

    def reserve(self, count: int) -> int:
        """The first of ``count`` consecutive ticks (STEP apart)."""
        with self._lock:
            first = max(time.time_ns(), self._last + self.STEP)
            self._last = first + (count - 1) * self.STEP
            return first


class Storage:
    """Owns the database file and hands out connections."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        self.path = path
        self.durable = durable
        conn = self.connect()
        conn.executescript(_SCHEMA)
        for ddl in _index_ddl():
            conn.execute(ddl)
        row = conn.execute("SELECT value FROM meta WHERE key='ts'").fetchone()
        if row is None:
            conn.execute("INSERT INTO meta(key, value) VALUES('ts', '0')")
        self.initial_ts = int(row[0]) if row else 0
        self.tables: dict[str, int] = {
            name: num for num, name in conn.execute("SELECT number, name FROM tables")
        }
        # The pushed schema's indexes: every write keeps them in step (tui/sandbox/indexes.py).
        self.catalog = indexes.load(conn)
        conn.close()
        self.clock = Clock(self.initial_ts)
        self._tables_lock = threading.Lock()

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL fsyncs the WAL on every commit: an acknowledged mutation survives kill -9 and
        # power loss. Throwaway sandboxes skip the fsync.
        conn.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'OFF'}")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    # --- table numbers -----------------------------------------------------------------

    def table_number(self, name: str) -> int | None:
        return self.tables.get(name)

    def table_name(self, number: int) -> str | None:
        for name, num in self.tables.items():
            if num == number:
                return name
        return None

    def allocate_table(self, conn: sqlite3.Connection, name: str) -> int:
        """Create a table inside the caller's write transaction (visible after commit)."""
        # max() inside the transaction also sees tables created earlier in it.
        (top,) = conn.execute("SELECT max(number) FROM tables").fetchone()
        number = max(FIRST_USER_TABLE - 1, top or 0) + 1
        conn.execute("INSERT INTO tables(number, name) VALUES(?, ?)", (number, name))
        return number

    def publish_tables(self, created: dict[str, int]) -> None:
        with self._tables_lock:
            self.tables = {**self.tables, **created}

    def forget_tables(self, names: Iterable[str]) -> None:
        with self._tables_lock:
            self.tables = {k: v for k, v in self.tables.items() if k not in set(names)}

    # --- commit clock --------------------------------------------------------------------

    @staticmethod
    def read_ts(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT value FROM meta WHERE key='ts'").fetchone()[0])

    @staticmethod
    def write_ts(conn: sqlite3.Connection, ts: int) -> None:
        conn.execute("UPDATE meta SET value=? WHERE key='ts'", (str(ts),))

    # --- meta key/value --------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        conn = self.connect()
        try:
            row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            return None if row is None else str(row[0])
        finally:
            conn.close()

    def set_meta(self, key: str, value: str) -> None:
        conn = self.connect()
        try:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, value))
        finally:
            conn.close()

    # --- bulk load -------------------------------------------------------------------------

    def bulk_insert(
        self, conn: sqlite3.Connection, table: str, docs: list[dict[str, object]]
    ) -> int:
        """Insert plain-JSON documents in one transaction; returns the commit ts.

        Used by ``--bulk`` and the seed: ids and creation times are precomputed and rows go
        through ``executemany`` so a million documents take seconds.
        """
        conn.execute("BEGIN IMMEDIATE")
        try:
            created: dict[str, int] = {}
            number = self.tables.get(table)
            if number is None:
                number = self.allocate_table(conn, table)
                created[table] = number

            ids = fast_ids(number, len(docs))
            first = self.clock.reserve(len(docs)) if docs else 0
            dumps = json.JSONEncoder(separators=(",", ":")).encode
            rows = []
            for i, (doc_id, doc) in enumerate(zip(ids, docs, strict=True)):
                ctime = (first + i * Clock.STEP) / 1e6
                # Build the text directly: the generated docs are plain JSON already.
                rest = dumps(doc)
                body = f'{{"_id":"{doc_id}","_creationTime":{ctime!r}' + (
                    "," + rest[1:] if rest != "{}" else "}"
                )
                rows.append((doc_id, number, ctime, body, *index_keys(doc)))
            # Big loads: append without secondary indexes, then rebuild each in one sorted
            # pass; far faster than maintaining random-order indexes row by row.
            big = len(rows) > 50_000
            if big:
                conn.execute("PRAGMA cache_size=-262144")
                for name in ("id", "by_creation", *(f"by_{f}" for f in INDEXED_FIELDS)):
                    conn.execute(f"DROP INDEX IF EXISTS documents_{name}")
            conn.executemany(INSERT_SQL, rows)
            if self.catalog.database.get(table) or self.catalog.searches.get(table):
                full = (
                    {"_id": r[0], "_creationTime": r[2], **d}
                    for r, d in zip(rows, docs, strict=True)
                )
                indexes.on_bulk_insert(conn, self.catalog, table, full)
            if big:
                for ddl in _index_ddl():
                    conn.execute(ddl)
            ts = self.clock.tick()
            self.write_ts(conn, ts)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.publish_tables(created)
        return ts
