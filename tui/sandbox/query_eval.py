"""Pushed code's database queries (reference §14.3): sources, ranges, filters, order, pages.

A query's matching documents are read in one go from the caller's snapshot (so the read set is
the whole table, as the existing reactivity tracks it), sorted in index order — index fields,
then ``_creationTime``, then ``_id`` — and filtered by the JS filter expressions.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from typing import Any

from tui.convex import values
from tui.sandbox.db import Doc, Reader

MISSING: Any = object()  # a field that is not there (`undefined`)
Key = tuple[Any, ...]


class Unsupported(Exception):
    """A query feature the sandbox does not implement (text or vector search)."""


def decode_literal(raw: Any) -> Any:
    if isinstance(raw, dict) and list(raw) == ["$undefined"]:
        return MISSING
    return values.decode(raw)


def field_value(doc: Doc, path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return MISSING
        cur = cur[part]
    return cur


def order_key(value: Any) -> Key:
    """Convex's total order across types: undefined < null < int64 < number < boolean <
    string < bytes < array < object."""
    if value is MISSING:
        return (0,)
    if value is None:
        return (1,)
    if isinstance(value, bool):
        return (5, value)
    if isinstance(value, values.Int64):
        return (2, int(value))
    if isinstance(value, int | float):
        f = float(value)
        return (3, (1, 0.0)) if math.isnan(f) else (3, (0, f))
    if isinstance(value, str):
        return (6, value)
    if isinstance(value, bytes):
        return (7, value)
    if isinstance(value, list):
        return (8, tuple(order_key(v) for v in value))
    if isinstance(value, dict):
        return (9, tuple((k, order_key(v)) for k, v in sorted(value.items())))
    return (10, repr(value))


def _num(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float | values.Int64):
        raise TypeError(f"expected a number, got {value!r}")
    return int(value) if isinstance(value, values.Int64) else value


def evaluate(expr: Any, doc: Doc) -> Any:  # noqa: C901 - one branch per operator
    if not isinstance(expr, dict) or len(expr) != 1:
        raise ValueError(f"bad filter expression {expr!r}")
    op, arg = next(iter(expr.items()))
    if op == "$field":
        return field_value(doc, str(arg))
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
        return order_key(a) == order_key(b)
    if op == "$neq":
        return order_key(a) != order_key(b)
    if op in ("$lt", "$lte", "$gt", "$gte"):
        ka, kb = order_key(a), order_key(b)
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


def _range_ok(doc: Doc, bound: dict[str, Any]) -> bool:
    have = order_key(field_value(doc, str(bound["fieldPath"])))
    want = order_key(decode_literal(bound.get("value")))
    kind = bound["type"]
    return {
        "Eq": have == want,
        "Gt": have > want,
        "Gte": have >= want,
        "Lt": have < want,
        "Lte": have <= want,
    }[kind]


class Plan:
    """One parsed query: table, index fields, range bounds, order and operators."""

    def __init__(self, query: dict[str, Any], indexes: Mapping[str, tuple[str, ...]]) -> None:
        source = query.get("source") or {}
        kind = source.get("type")
        if kind == "Search":
            raise Unsupported(
                "Text search (withSearchIndex) is not supported by the convex-tui sandbox yet"
            )
        self.order = "desc" if source.get("order") == "desc" else "asc"
        self.range: list[dict[str, Any]] = []
        self.fields: tuple[str, ...] = ()
        if kind == "FullTableScan":
            self.table = str(source["tableName"])
        elif kind == "IndexRange":
            table, _, index = str(source["indexName"]).partition(".")
            self.table = table
            self.range = list(source.get("range") or [])
            if index not in ("by_creation_time", "by_id"):
                if f"{table}.{index}" not in indexes:
                    raise ValueError(f'Index "{table}.{index}" not found.')
                self.fields = indexes[f"{table}.{index}"]
        else:
            raise ValueError(f"unknown query source {kind!r}")
        self.operators: list[dict[str, Any]] = list(query.get("operators") or [])

    def key(self, doc: Doc) -> Key:
        return (
            *(order_key(field_value(doc, f)) for f in self.fields),
            order_key(doc.get("_creationTime")),
            str(doc.get("_id")),
        )

    def run(self, reader: Reader) -> list[Doc]:
        """Every result, in order (the operators applied)."""
        eq = [
            (b["fieldPath"], decode_literal(b.get("value")))
            for b in self.range
            if b["type"] == "Eq" and "." not in b["fieldPath"]
        ]
        eq = [(f, v) for f, v in eq if isinstance(v, str | float) and not isinstance(v, bool)]
        docs = reader.query(
            self.table, eq=eq, where=lambda d: all(_range_ok(d, b) for b in self.range)
        )
        docs.sort(key=self.key, reverse=self.order == "desc")
        for operator in self.operators:
            if "filter" in operator:
                docs = [d for d in docs if evaluate(operator["filter"], d) is True]
            elif "limit" in operator:
                docs = docs[: int(operator["limit"])]
        return docs


def _raw(value: Any) -> Any:
    return {"$undefined": None} if value is MISSING else values.encode(value)


def cursor_for(plan: Plan, doc: Doc) -> str:
    raw = [*(_raw(field_value(doc, f)) for f in plan.fields), doc["_creationTime"], doc["_id"]]
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode()


END_CURSOR = base64.urlsafe_b64encode(b'"END"').decode()


def _cursor_key(plan: Plan, cursor: str) -> Key | str:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if raw == "END":
            return "END"
        *fields, ctime, doc_id = raw
        return (*(order_key(decode_literal(f)) for f in fields), order_key(ctime), str(doc_id))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Failed to parse cursor: {cursor!r}") from exc


def _after(plan: Plan, key: Key, bound: Key) -> bool:
    return key > bound if plan.order == "asc" else key < bound


def page(
    plan: Plan, reader: Reader, cursor: str | None, end_cursor: str | None, size: int
) -> dict[str, Any]:
    """``1.0/queryPage``: keyset pages in the plan's order; a cursor holds the last key."""
    docs = plan.run(reader)
    if cursor:
        start = _cursor_key(plan, cursor)
        docs = [] if start == "END" else [d for d in docs if _after(plan, plan.key(d), start)]  # type: ignore[arg-type]
    if end_cursor:  # a refetch of a known page: up to and including its end, no further
        end = _cursor_key(plan, end_cursor)
        if end != "END":
            docs = [d for d in docs if not _after(plan, plan.key(d), end)]  # type: ignore[arg-type]
        chunk, done, next_cursor = docs, end == "END", end_cursor
    else:
        chunk, done = docs[:size], len(docs) <= size
        if done:
            next_cursor = END_CURSOR
        elif chunk:
            next_cursor = cursor_for(plan, chunk[-1])
        else:
            next_cursor = cursor or END_CURSOR
    return {
        "page": [values.encode(d) for d in chunk],
        "isDone": done,
        "continueCursor": next_cursor,
        "splitCursor": None,
        "pageStatus": None,
    }
