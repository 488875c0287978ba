"""Pushed code's database queries (reference §14.3): where a query's documents come from.

A :class:`Plan` is one parsed query JSON: its source (``FullTableScan``, ``IndexRange`` or
``Search``) compiled to a key interval — ``low <= key < high`` on the backend's index key
(:mod:`tui.sandbox.sortkey`), like ``crates/common/src/query.rs`` ``IndexRange::compile`` —
plus the operators (filters and limits) applied in order. ``Plan.fetch`` reads the next rows of
that interval in index order through SQLite (``index_entries`` for a schema index, the
documents table's ``(tbl, ctime, id)`` index for ``by_creation_time`` and table scans, FTS5 for
search), so ``first()``/``take(n)``/a page cost what they return, not the table's size.
Streams and pages over a plan are in :mod:`tui.sandbox.query_stream`.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from tui.convex import values
from tui.sandbox import indexes, search, sortkey
from tui.sandbox.db import Doc, Reader
from tui.sandbox.sortkey import AFTER, MISSING, decode_literal, path_value

__all__ = ["MISSING", "Plan", "QueryError", "decode_literal", "evaluate"]
Order = Literal["asc", "desc"]
Row = tuple[bytes, Doc]


class QueryError(ValueError):
    """A query the backend refuses (bad index range, unknown index...)."""


def _num(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float | values.Int64):
        raise TypeError(f"expected a number, got {value!r}")
    return int(value) if isinstance(value, values.Int64) else value


def _key(value: Any) -> bytes:
    return sortkey.encode(value)


def evaluate(expr: Any, doc: Doc) -> Any:  # noqa: C901 - one branch per operator
    """A ``.filter()`` expression on one document; comparisons use Convex's value order."""
    if not isinstance(expr, dict) or len(expr) != 1:
        raise ValueError(f"bad filter expression {expr!r}")
    op, arg = next(iter(expr.items()))
    if op == "$field":
        return path_value(doc, str(arg))
    if op == "$literal":
        return decode_literal(arg)
    if op == "$and":
        return all(evaluate(a, doc) is True for a in arg)
    if op == "$or":
        return any(evaluate(a, doc) is True for a in arg)
    if op == "$not":
        return not evaluate(arg, doc)
    if op == "$neg":
        return -_num(evaluate(arg, doc))
    a, b = (evaluate(x, doc) for x in arg)
    if op == "$eq":
        return _key(a) == _key(b)
    if op == "$neq":
        return _key(a) != _key(b)
    if op in ("$lt", "$lte", "$gt", "$gte"):
        ka, kb = _key(a), _key(b)
        return {"$lt": ka < kb, "$lte": ka <= kb, "$gt": ka > kb, "$gte": ka >= kb}[op]
    x, y = _num(a), _num(b)
    if op == "$add":
        return x + y
    if op == "$sub":
        return x - y
    if op == "$mul":
        return x * y
    if op == "$div":
        return x / y
    if op == "$mod":
        return math.fmod(x, y)
    raise ValueError(f"unknown filter operator {op}")


Bound = tuple[Any, bool]  # (value, inclusive)


def _split(
    index: str, fields: tuple[str, ...], rng: list[dict[str, Any]]
) -> tuple[bytes, bytes, dict[str, Any], Bound | None, Bound | None]:
    """``IndexRange::compile``: equalities on a prefix of the fields, then at most one
    inequality on the next one → ``(low, high)`` keys (high exclusive; ``b""`` = unbounded),
    with the equalities and bounds themselves."""
    eqs: dict[str, Any] = {}
    lower: Bound | None = None
    upper: Bound | None = None
    bound_field: str | None = None
    for expr in rng:
        kind, path = str(expr.get("type")), str(expr.get("fieldPath"))
        value = decode_literal(expr.get("value"))
        if kind == "Eq":
            if path in eqs:
                raise QueryError(
                    f'Already defined equality bound in index range. Can\'t add "{path}" == ...'
                )
            eqs[path] = value
            continue
        if bound_field is not None and bound_field != path:
            raise QueryError(
                "Upper and lower bounds in `range` can only be applied to a single index field. "
                f"This query against index {index} attempted to set a range bound on both "
                f'"{bound_field}" and "{path}". Consider using `filter` instead.'
            )
        bound_field = path
        if kind in ("Gt", "Gte"):
            if lower is not None:
                raise QueryError(
                    f'Already defined lower bound in index range. Can\'t add "{path}".'
                )
            lower = (value, kind == "Gte")
        elif kind in ("Lt", "Lte"):
            if upper is not None:
                raise QueryError(
                    f'Already defined upper bound in index range. Can\'t add "{path}".'
                )
            upper = (value, kind == "Lte")
        else:
            raise QueryError(f"unknown index range expression {kind!r}")
    if bound_field is not None and bound_field in eqs:
        raise QueryError(
            f'Already defined inequality bound in index range. Can\'t add "{bound_field}" == ...'
        )
    for f in [*eqs, *([bound_field] if bound_field else [])]:
        if f not in fields:
            raise QueryError(
                f'The index range included a comparison with "{f}", but {index} with fields '
                f"{list(fields)} doesn't index this field. "
                "For more information see https://docs.convex.dev/using/indexes."
            )
    ordered = [*[f for f in fields if f in eqs], *([bound_field] if bound_field else [])]
    if ordered != list(fields[: len(ordered)]):
        wrong = next(f for f, g in zip(ordered, fields, strict=False) if f != g)
        raise QueryError(
            f"Tried to query index {index} but the query didn't use the index fields in order.\n"
            f"Index fields: {list(fields)}\nQuery fields: {ordered}\n"
            f"First incorrect field: {wrong}\n"
            "For more information see https://docs.convex.dev/using/indexes."
        )
    prefix = sortkey.encode_values([eqs[f] for f in fields if f in eqs])
    low = prefix
    high = prefix + AFTER if prefix else b""
    if lower is not None:
        low = prefix + _key(lower[0]) + (b"" if lower[1] else AFTER)
    if upper is not None:
        high = prefix + _key(upper[0]) + (AFTER if upper[1] else b"")
    return low, high, eqs, lower, upper


class Plan:
    """One parsed query: source, key interval, order and operators."""

    def __init__(self, query: dict[str, Any], catalog: indexes.Catalog) -> None:
        source = query.get("source") or {}
        kind = source.get("type")
        self.order: Order = "desc" if source.get("order") == "desc" else "asc"
        self.operators: list[dict[str, Any]] = list(query.get("operators") or [])
        self.index: indexes.IndexDef | None = None
        self.search: search.SearchDef | None = None
        self.low, self.high = b"", b""
        self.ctime_sql: list[tuple[str, float]] = []  # SQL bounds for by_creation_time
        self.results: list[str] | None = None  # a search's ranked ids, once run
        if kind == "FullTableScan":
            self.table, self.index_name = str(source["tableName"]), "by_creation_time"
        elif kind == "IndexRange":
            self.table, _, self.index_name = str(source["indexName"]).partition(".")
            fields = self._fields(catalog)
            self.low, self.high, eqs, lower, upper = _split(
                str(source["indexName"]), fields, list(source.get("range") or [])
            )
            if self.index_name == "by_creation_time":
                self.ctime_sql = _ctime_sql(eqs.get("_creationTime", MISSING), lower, upper)
        elif kind == "Search":
            self.table, _, self.index_name = str(source["indexName"]).partition(".")
            self.search = catalog.find_search(self.table, self.index_name)
            if self.search is None:
                raise QueryError(f'Search index "{source["indexName"]}" not found.')
            self.text, self.eqs = search.parse_filters(self.search, list(source["filters"]))
        else:
            raise QueryError(f"unknown query source {kind!r}")
        # What a cursor must come from: the same source in the same order.
        self.fingerprint = json.dumps([kind, self.table, self.index_name, self.order]).encode()

    def _fields(self, catalog: indexes.Catalog) -> tuple[str, ...]:
        if self.index_name == "by_creation_time":
            return ("_creationTime", "_id")
        if self.index_name == "by_id":
            return ("_id",)
        self.index = catalog.find(self.table, self.index_name)
        if self.index is None:
            raise QueryError(f'Index "{self.table}.{self.index_name}" not found.')
        return (*self.index.fields, "_creationTime", "_id")

    # --- reading ---------------------------------------------------------------------------

    def fetch(self, reader: Reader, after: bytes | None, limit: int) -> list[Row]:
        """The next ``limit`` rows past ``after`` (``None``: from the start), in order."""
        reader.tracker.read_tables.add(self.table)
        number = reader.table_number(self.table)
        if number is None or limit <= 0:
            return []
        if self.search is not None:
            return self._fetch_search(reader, after, limit)
        if self.index is not None:
            rows = indexes.scan_index(
                reader.conn, self.index.id, self.low or None, self.high or None,
                self.order, after, limit,
            )  # fmt: skip
            return [(k, _decode(reader, body)) for k, body in rows]
        out: list[Row] = []
        while len(out) < limit:
            rows = self._documents(reader, number, after, limit)
            for key, body in rows:
                after = key
                if key >= self.low and (not self.high or key < self.high):
                    out.append((key, _decode(reader, body)))
            if len(rows) < limit:
                break
        return out[:limit]

    def _documents(
        self, reader: Reader, number: int, after: bytes | None, limit: int
    ) -> list[tuple[bytes, str]]:
        """``by_creation_time`` (and table scans) or ``by_id`` rows from the documents table's
        own indexes; SQL narrows by ``_creationTime``, the caller checks the exact interval."""
        by_id = self.index_name == "by_id"
        columns = "id" if by_id else "ctime, id"
        where: list[str] = ["tbl=?"]
        params: list[Any] = [number]
        if after is not None:
            position = sortkey.decode(after)
            if len(position) != (1 if by_id else 2):
                raise QueryError("Failed to parse cursor: it does not belong to this query")
            marks = "?" if by_id else "?, ?"
            where.append(f"({columns}) {'>' if self.order == 'asc' else '<'} ({marks})")
            params.extend(position)
        for condition, value in self.ctime_sql:
            where.append(condition)
            params.append(value)
        direction = "ASC" if self.order == "asc" else "DESC"
        order_by = "id " + direction if by_id else f"ctime {direction}, id {direction}"
        rows = reader.conn.execute(
            f"SELECT ctime, id, body FROM documents WHERE {' AND '.join(where)} "
            f"ORDER BY {order_by} LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [(sortkey.encode(i) if by_id else sortkey.encode(c, i), str(b)) for c, i, b in rows]

    def _fetch_search(self, reader: Reader, after: bytes | None, limit: int) -> list[Row]:
        assert self.search is not None
        if self.results is None:
            self.results = search.run(reader.conn, self.search, self.text, self.eqs)
        start = 0
        if after is not None:
            position = sortkey.decode(after)
            if len(position) != 1 or not isinstance(position[0], float):
                raise QueryError("Failed to parse cursor: it does not belong to this query")
            start = int(position[0]) + 1
        out: list[Row] = []
        for rank in range(start, min(start + limit, len(self.results))):
            if rank >= search.MAX_CANDIDATES:
                raise QueryError(
                    f"Search query scanned too many documents (fetched {search.MAX_CANDIDATES}). "
                    "Consider using a smaller limit, paginating the query, or using a filter "
                    "field to limit the number of documents pulled from the search index."
                )
            doc = reader.get(self.results[rank])
            if doc is not None:
                out.append((sortkey.encode(float(rank)), doc))
        return out


def _decode(reader: Reader, body: str) -> Doc:
    reader.tracker.rows_read += 1
    reader.tracker.bytes_read += len(body)
    doc: Doc = values.decode(json.loads(body))
    return doc


def _ctime_sql(eq: Any, lower: Bound | None, upper: Bound | None) -> list[tuple[str, float]]:
    """SQL bounds on ``ctime`` that a ``by_creation_time`` range implies (numbers only: the
    exact interval is checked on the keys)."""

    def number(value: Any) -> bool:
        return isinstance(value, float | int) and not isinstance(value, bool | values.Int64)

    out: list[tuple[str, float]] = []
    if number(eq):
        out += [("ctime >= ?", float(eq)), ("ctime <= ?", float(eq))]
    if lower is not None and number(lower[0]) and not math.isnan(lower[0]):
        out.append(("ctime >= ?", float(lower[0])))
    if upper is not None and number(upper[0]) and not math.isnan(upper[0]):
        out.append(("ctime <= ?", float(upper[0])))
    return out
