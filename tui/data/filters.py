"""The Data pane's filter model, sent exactly as the dashboard sends it (reference §5.4).

``paginatedTableDocuments`` takes ``filters``: js-base64 ``encodeURI`` (URL-safe, unpadded) of
the JSON ``FilterExpression {clauses, order, index?}`` (system-udfs ``lib/filters.ts``). Clause
values are Convex encoded JSON. An index filter is an equality prefix of the index's fields,
optionally followed by one range clause on the next field.

The pane's filter bar and ``convex-tui data --filter`` share one compact text syntax::

    status = pending and priority >= 3        # clauses joined by "and" (or ";")
    status in [pending, done]                 # anyOf / "not in" → noneOf
    priority is number                        # type / "is not" → notype
    @by_status status = done and priority > 2 # use the index: its fields become index clauses

Values are JSON5 (``"quoted"``, ``3``, ``true``, ``null``, ``{"$integer": …}``), ``3n`` is an
int64, and anything else is a plain string.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from tui.convex import values
from tui.convex.values import Int64, Value

Op = Literal["eq", "neq", "gt", "gte", "lt", "lte", "anyOf", "noneOf", "type", "notype"]
Order = Literal["asc", "desc"]
TYPE_NAMES = (
    "string",
    "boolean",
    "number",
    "bigint",
    "null",
    "id",
    "array",
    "object",
    "bytes",
    "unset",
)
RANGE_LOWER = ("gt", "gte")
RANGE_UPPER = ("lt", "lte")
_SYMBOLS: dict[str, Op] = {
    "==": "eq",
    "=": "eq",
    "!=": "neq",
    ">=": "gte",
    "<=": "lte",
    ">": "gt",
    "<": "lt",
}
_WORDS: dict[str, Op] = {"not in": "noneOf", "in": "anyOf", "is not": "notype", "is": "type"}
_SHOW = {**{v: k for k, v in _SYMBOLS.items() if k != "=="}, **{v: k for k, v in _WORDS.items()}}
_CLAUSE = re.compile(
    r"^\s*(?P<field>[A-Za-z_][\w.]*)\s*"
    r"(?:(?P<sym>==|!=|>=|<=|=|>|<)|\s(?P<word>not\s+in|in|is\s+not|is)\s)"
    r"\s*(?P<value>.*?)\s*$",
    re.DOTALL,
)
_SPLIT = re.compile(r"\s+and\s+|\s*;\s*", re.IGNORECASE)


class FilterSyntaxError(ValueError):
    """The filter text does not parse; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Clause:
    field: str
    op: Op
    value: Value = None
    enabled: bool = True

    def to_json(self, ident: str) -> dict[str, Any]:
        raw: Any = self.value if self.op in ("type", "notype") else values.encode(self.value)
        return {
            "op": self.op,
            "field": self.field,
            "value": raw,
            "enabled": self.enabled,
            "id": ident,
        }

    def text(self) -> str:
        return f"{self.field} {_SHOW[self.op]} {format_value(self.value)}"


@dataclass(frozen=True, slots=True)
class IndexFilter:
    """``index: {name, clauses}``: equality values for the first fields, then an optional range."""

    name: str
    fields: tuple[str, ...]
    eq: tuple[Value, ...] = ()
    lower: tuple[Literal["gt", "gte"], Value] | None = None
    upper: tuple[Literal["lt", "lte"], Value] | None = None

    def to_json(self) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = [
            {"type": "indexEq", "enabled": True, "value": values.encode(v)} for v in self.eq
        ]
        if self.lower or self.upper:
            rng: dict[str, Any] = {"type": "indexRange", "enabled": True}
            if self.lower:
                rng["lowerOp"], rng["lowerValue"] = self.lower[0], values.encode(self.lower[1])
            if self.upper:
                rng["upperOp"], rng["upperValue"] = self.upper[0], values.encode(self.upper[1])
            clauses.append(rng)
        return {"name": self.name, "clauses": clauses}

    def clauses(self) -> list[Clause]:
        """The same condition as plain clauses (what the index filter selects)."""
        out = [Clause(f, "eq", v) for f, v in zip(self.fields, self.eq, strict=False)]
        if len(self.eq) < len(self.fields):
            rf = self.fields[len(self.eq)]
            if self.lower:
                out.append(Clause(rf, self.lower[0], self.lower[1]))
            if self.upper:
                out.append(Clause(rf, self.upper[0], self.upper[1]))
        return out


@dataclass(frozen=True, slots=True)
class FilterExpr:
    clauses: tuple[Clause, ...] = ()
    order: Order = "desc"
    index: IndexFilter | None = None
    text_: str = field(default="", compare=False)

    @property
    def active(self) -> bool:
        return bool(self.clauses or self.index)

    def with_order(self, order: Order) -> FilterExpr:
        return replace(self, order=order)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "clauses": [c.to_json(str(i)) for i, c in enumerate(self.clauses)],
            "order": self.order,
        }
        if self.index is not None:
            out["index"] = self.index.to_json()
        return out

    def encode(self) -> str | None:
        """The ``filters`` argument: None for the default (newest first, no clause)."""
        if not self.active and self.order == "desc":
            return None
        return encode_expression(self.to_json())

    def all_clauses(self) -> list[Clause]:
        return [*(self.index.clauses() if self.index else []), *self.clauses]

    def text(self) -> str:
        if self.text_:
            return self.text_
        parts = [c.text() for c in self.all_clauses()]
        prefix = f"@{self.index.name} " if self.index else ""
        return prefix + " and ".join(parts)


def encode_expression(expr: dict[str, Any]) -> str:
    """js-base64 ``encodeURI``: URL-safe alphabet, no padding (``useTableFilters.ts``)."""
    raw = json.dumps(expr, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_expression(text: str) -> dict[str, Any]:
    """Both alphabets, padded or not (js-base64 ``decode`` accepts either)."""
    cleaned = text.replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    data = json.loads(base64.b64decode(cleaned))
    if not isinstance(data, dict):
        raise ValueError("a filter expression is a JSON object")
    return data


# ---------------------------------------------------------------- text syntax


def parse_value(text: str) -> Value:
    """JSON5 → Convex value; ``12n`` → int64; anything unparsable is a plain string."""
    text = text.strip()
    if re.fullmatch(r"-?\d+n", text):
        return Int64(int(text[:-1]))
    raw = _json(text)
    if raw is _NOT_JSON:
        return text
    try:
        return values.decode(raw)
    except values.ValueError_:
        return text


_NOT_JSON: Any = object()


def _json(text: str) -> Any:
    """Strict JSON first (exact, also for astral characters), then JSON5 (unquoted keys, '')."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    import json5  # here: `convex-tui data` without a JSON5 value never loads it

    try:
        return json5.loads(text)
    except ValueError:
        return _NOT_JSON


def _parse_list(text: str) -> list[Value]:
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise FilterSyntaxError(f"expected a list like [a, b], got {text!r}")
    raw = _json(text)
    if isinstance(raw, list):
        try:
            return [values.decode(x) for x in raw]
        except values.ValueError_:
            pass
    inner = text[1:-1].strip()
    return [parse_value(part) for part in inner.split(",")] if inner else []


def format_value(value: Value) -> str:
    if isinstance(value, Int64):
        return f"{int(value)}n"
    if isinstance(value, str):
        plain = re.fullmatch(r"[A-Za-z_][\w\-.:]*", value) and value not in (
            "true",
            "false",
            "null",
            "Infinity",
            "NaN",
        )
        return value if plain else json.dumps(value, ensure_ascii=False)
    return json.dumps(values.encode(value), separators=(",", ":"), ensure_ascii=False)


def split_clauses(text: str) -> list[str]:
    """Split on ``and`` / ``;`` outside quotes and brackets (a value may contain either)."""
    parts: list[str] = []
    start = depth = 0
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = _SPLIT.match(text, i)
            if m and m.end() > i:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return parts


def parse_clause(text: str) -> Clause:
    m = _CLAUSE.match(text)
    if not m:
        raise FilterSyntaxError(
            f"cannot read {text.strip()!r}: expected FIELD OP VALUE "
            "(OP: = != > >= < <= in, not in, is, is not)"
        )
    fieldname, raw = m["field"], m["value"]
    op: Op = _SYMBOLS[m["sym"]] if m["sym"] else _WORDS[re.sub(r"\s+", " ", m["word"])]
    if raw == "":
        raise FilterSyntaxError(f"{fieldname}: a value is missing")
    if op in ("type", "notype"):
        if raw not in TYPE_NAMES:
            raise FilterSyntaxError(f"unknown type {raw!r}: one of {', '.join(TYPE_NAMES)}")
        return Clause(fieldname, op, raw)
    if op in ("anyOf", "noneOf"):
        return Clause(fieldname, op, _parse_list(raw))
    return Clause(fieldname, op, parse_value(raw))


def parse_filter(
    text: str,
    order: Order = "desc",
    indexes: dict[str, tuple[str, ...]] | None = None,
) -> FilterExpr:
    """Filter-bar text → :class:`FilterExpr`. ``indexes`` (name → fields) resolves ``@name``."""
    text = text.strip()
    index_name: str | None = None
    if text.startswith("@"):
        head, _, text = text.partition(" ")
        index_name = head[1:]
    clauses = [parse_clause(part) for part in split_clauses(text) if part.strip()]
    if index_name is None:
        return FilterExpr(tuple(clauses), order)
    fields = (indexes or {}).get(index_name)
    if fields is None:
        known = ", ".join(sorted(indexes or {})) or "none"
        raise FilterSyntaxError(f"no index {index_name!r} on this table (indexes: {known})")
    index, rest = split_index(index_name, fields, clauses)
    return FilterExpr(tuple(rest), order, index)


def split_index(
    name: str, fields: Sequence[str], clauses: Sequence[Clause]
) -> tuple[IndexFilter, list[Clause]]:
    """Take the clauses an index can serve: eq on a prefix of its fields, then a range."""
    rest = list(clauses)
    eq: list[Value] = []
    lower: tuple[Literal["gt", "gte"], Value] | None = None
    upper: tuple[Literal["lt", "lte"], Value] | None = None
    for f in fields:
        hit = next((c for c in rest if c.field == f and c.op == "eq"), None)
        if hit is not None:
            eq.append(hit.value)
            rest.remove(hit)
            continue
        for c in [c for c in rest if c.field == f]:
            if c.op in RANGE_LOWER and lower is None:
                lower = (c.op, c.value)  # type: ignore[assignment]
                rest.remove(c)
            elif c.op in RANGE_UPPER and upper is None:
                upper = (c.op, c.value)  # type: ignore[assignment]
                rest.remove(c)
        break
    return IndexFilter(name, tuple(fields), tuple(eq), lower, upper), rest
