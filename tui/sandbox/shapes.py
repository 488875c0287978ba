"""Dashboard shapes (§5.2) inferred from a sample of each table's documents."""

from __future__ import annotations

import json
import math
import sqlite3
from typing import Any

from tui.convex import values
from tui.convex.ids import decode_id, is_id
from tui.sandbox.storage import Storage

SAMPLE = 200
Shape = dict[str, Any]


def shape_of(value: Any, tables: dict[int, str]) -> Shape:
    if value is None:
        return {"type": "Null"}
    if isinstance(value, bool):
        return {"type": "Boolean"}
    if isinstance(value, values.Int64):
        return {"type": "Int64"}
    if isinstance(value, float | int):
        special = isinstance(value, float) and (math.isnan(value) or math.isinf(value))
        return {"type": "Float64", "float64Range": {"hasSpecialValues": special}}
    if isinstance(value, str):
        if is_id(value):
            name = tables.get(decode_id(value).table_number)
            if name:
                return {"type": "Id", "tableName": name}
        return {"type": "String"}
    if isinstance(value, bytes):
        return {"type": "Bytes"}
    if isinstance(value, list):
        shape: Shape = {"type": "Never"}
        for item in value:
            shape = merge(shape, shape_of(item, tables))
        return {"type": "Array", "shape": shape}
    fields = [
        {"fieldName": k, "optional": False, "shape": shape_of(v, tables)}
        for k, v in sorted(value.items())
    ]
    return {"type": "Object", "fields": fields}


def merge(a: Shape, b: Shape) -> Shape:
    if a["type"] == "Never":
        return b
    if b["type"] == "Never" or a == b:
        return a
    if a["type"] == "Object" and b["type"] == "Object":
        fa = {f["fieldName"]: f for f in a["fields"]}
        fb = {f["fieldName"]: f for f in b["fields"]}
        fields = []
        for name in sorted({*fa, *fb}):
            if name in fa and name in fb:
                fields.append(
                    {
                        "fieldName": name,
                        "optional": fa[name]["optional"] or fb[name]["optional"],
                        "shape": merge(fa[name]["shape"], fb[name]["shape"]),
                    }
                )
            else:
                fields.append({**(fa.get(name) or fb[name]), "optional": True})
        return {"type": "Object", "fields": fields}
    if a["type"] == "Array" and b["type"] == "Array":
        return {"type": "Array", "shape": merge(a["shape"], b["shape"])}
    members = (a["shapes"] if a["type"] == "Union" else [a]) + (
        b["shapes"] if b["type"] == "Union" else [b]
    )
    unique: list[Shape] = []
    for m in members:
        if m not in unique:
            unique.append(m)
    return {"type": "Union", "shapes": unique}


def table_shapes(storage: Storage, conn: sqlite3.Connection) -> dict[str, Shape]:
    """One shape per user table (empty tables included), from the newest documents."""
    numbers = {num: name for name, num in storage.tables.items()}
    out: dict[str, Shape] = {}
    for name, number in sorted(storage.tables.items()):
        if name.startswith("_"):
            continue
        shape: Shape = {"type": "Never"}
        rows = conn.execute(
            "SELECT body FROM documents WHERE tbl=? ORDER BY ctime DESC LIMIT ?", (number, SAMPLE)
        )
        for (body,) in rows:
            shape = merge(shape, shape_of(values.decode(json.loads(body)), numbers))
        out[name] = shape
    return out
