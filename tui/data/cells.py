"""Cells and columns of the documents grid: Convex types rendered for people, schema column order.

Everything returned here is plain text already passed through the one sanitizer: documents are
untrusted (a string field can hold an escape sequence).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from tui.convex import values
from tui.convex.ids import is_id
from tui.convex.values import Int64, Value
from tui.safety.text import clean_line

SYSTEM_FIELDS = ("_id", "_creationTime")
CellKind = Literal["unset", "null", "string", "id", "number", "bigint", "boolean", "bytes", "array", "object", "time"]  # fmt: skip
MAX_CELL = 60
SHORT_ID = 12


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""A field the document does not have (shown blank, distinct from null)."""


def kind_of(value: Value, field: str = "") -> CellKind:
    if value is MISSING:
        return "unset"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Int64):
        return "bigint"
    if isinstance(value, float | int):
        return "time" if field == "_creationTime" else "number"
    if isinstance(value, str):
        return "id" if _is_id(value) else "string"
    if isinstance(value, bytes):
        return "bytes"
    return "array" if isinstance(value, list) else "object"


@lru_cache(maxsize=8192)
def _is_id(text: str) -> bool:
    # Decoding an id is costly (base32, checksum, re-encode) and grid cells repeat (userId).
    return 31 <= len(text) <= 37 and is_id(text)


def format_number(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0 and math.copysign(1.0, x) < 0:
        return "-0"
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    return repr(x)


def format_time(ms: float, *, utc: bool = False) -> str:
    """``_creationTime`` (ms since the epoch, with a fraction) → ``2026-11-29 19:16:00.123``."""
    when = datetime.fromtimestamp(ms / 1000.0, UTC if utc else None)
    if not utc:
        when = when.astimezone()
    return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{int(ms % 1000):03d}"


def compact(value: Value, limit: int = MAX_CELL) -> str:
    """One-line JSON-ish text of a value, cut at ``limit`` characters."""
    text = _compact(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _compact(value: Value) -> str:
    if value is MISSING:
        return ""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Int64):
        return f"{int(value)}n"
    if isinstance(value, float | int):
        return format_number(float(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        return f"bytes({len(value)})"
    if isinstance(value, list):
        return (
            "[" + ", ".join(_compact(v) for v in value[:20]) + (", …]" if len(value) > 20 else "]")
        )
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {_compact(v)}" for k, v in list(value.items())[:20])
        return "{" + inner + (", …}" if len(value) > 20 else "}")
    return str(value)


def cell_text(
    value: Value, field: str = "", limit: int = MAX_CELL, *, compact_ids: bool = False
) -> tuple[str, CellKind]:
    """(text, kind) for one grid cell; strings unquoted, containers abbreviated.

    ``compact_ids`` (the grid): ids cut to ``SHORT_ID`` characters and times to the second, so
    the fields that differ get the width; the detail view shows both whole."""
    kind = kind_of(value, field)
    if kind == "time":
        text = format_time(float(value))
        text = text[:19] if compact_ids else text
    elif kind == "id" and compact_ids:
        text = value[: SHORT_ID - 1] + "…"
    elif kind in ("string", "id"):
        text = value
    elif kind == "array":
        text = f"[{len(value)}] " + _compact(value)[1:-1] if value else "[]"
    elif kind == "object":
        text = "{" + ", ".join(value.keys()) + "}" if value else "{}"
    else:
        text = _compact(value)
    return clean_line(text, limit), kind


def field_value(doc: Mapping[str, Value], field: str) -> Value:
    return doc.get(field, MISSING)


# ---------------------------------------------------------------- columns


def schema_tables(schema: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """``getSchemas`` active JSON → table name → its table definition."""
    if not schema:
        return {}
    tables = schema.get("tables")
    if not isinstance(tables, list):
        return {}
    return {str(t.get("tableName")): t for t in tables if isinstance(t, Mapping)}


def schema_fields(table_def: Mapping[str, Any] | None) -> list[str]:
    """Declared top-level fields in schema order (``documentType`` object validator)."""
    if not table_def:
        return []
    doc = table_def.get("documentType")
    if isinstance(doc, Mapping) and doc.get("type") == "object":
        fields = doc.get("value")
        if isinstance(fields, Mapping):
            return [str(k) for k in fields]
    return []


def shape_fields(shape: Mapping[str, Any] | None) -> list[str]:
    """Inferred shape (reference §5.2) → its object fields, in the server's order."""
    if not shape:
        return []
    if shape.get("type") == "Object":
        return [
            str(f.get("fieldName")) for f in shape.get("fields") or [] if isinstance(f, Mapping)
        ]
    if shape.get("type") == "Union":
        out: list[str] = []
        for member in shape.get("shapes") or []:
            for name in shape_fields(member if isinstance(member, Mapping) else None):
                if name not in out:
                    out.append(name)
        return out
    return []


def columns(
    declared: Sequence[str] = (),
    inferred: Sequence[str] = (),
    docs: Iterable[Mapping[str, Value]] = (),
) -> list[str]:
    """``_id``, ``_creationTime`` first, then the schema's order, then the inferred shape's, then
    any other field seen in the loaded documents (first seen first)."""
    out = list(SYSTEM_FIELDS)
    for name in (*declared, *inferred):
        if name not in out:
            out.append(name)
    for doc in docs:
        for name in doc:
            if name not in out:
                out.append(name)
    return out


def index_fields(table_def: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """Declared database indexes of a table (name → fields), plus the built-in creation one."""
    out: dict[str, tuple[str, ...]] = {}
    for idx in (table_def or {}).get("indexes") or []:
        if isinstance(idx, Mapping):
            out[str(idx.get("indexDescriptor"))] = tuple(str(f) for f in idx.get("fields") or [])
    out["by_creation_time"] = ("_creationTime",)
    return out


def encoded_json(doc: Mapping[str, Value], *, indent: int | None = 2) -> str:
    """A document as Convex encoded JSON text (what the edit box shows and takes back)."""
    return json.dumps(values.encode(dict(doc)), indent=indent, ensure_ascii=False)
