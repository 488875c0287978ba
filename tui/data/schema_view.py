"""The schema view of a table: indexes (fields, backfill state), declared schema vs inferred shape."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tui.data.cells import SYSTEM_FIELDS, kind_of
from tui.data.source import TableMeta
from tui.safety.text import clean


def validator_text(v: Any) -> str:
    """A ValidatorJSON as a short ``v.*`` expression."""
    if not isinstance(v, Mapping):
        return "?"
    kind = v.get("type")
    if kind == "id":
        return f"v.id({v.get('tableName')!r})"
    if kind == "array":
        return f"v.array({validator_text(v.get('value'))})"
    if kind == "union":
        return "v.union(" + ", ".join(validator_text(m) for m in v.get("value") or []) + ")"
    if kind == "literal":
        return f"v.literal({v.get('value')!r})"
    if kind == "object":
        return "v.object({…})"
    if kind == "record":
        return "v.record(…)"
    return f"v.{kind}()"


def shape_text(shape: Any) -> str:
    """An inferred shape (reference §5.2) as a short type."""
    if not isinstance(shape, Mapping):
        return "?"
    kind = shape.get("type")
    if kind == "Id":
        return f"Id<{shape.get('tableName')}>"
    if kind == "Array":
        return f"Array<{shape_text(shape.get('shape'))}>"
    if kind == "Union":
        return " | ".join(shape_text(s) for s in shape.get("shapes") or [])
    return str(kind)


def _declared(meta: TableMeta) -> dict[str, tuple[str, bool]]:
    fields = (meta.document_type or {}).get("value") or {}
    out: dict[str, tuple[str, bool]] = {}
    if isinstance(fields, Mapping):
        for name, f in fields.items():
            if isinstance(f, Mapping):
                out[str(name)] = (validator_text(f.get("fieldType")), bool(f.get("optional")))
    return out


def _inferred(meta: TableMeta, docs: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    if meta.shape and meta.shape.get("type") == "Object":
        for f in meta.shape.get("fields") or []:
            if isinstance(f, Mapping):
                opt = "?" if f.get("optional") else ""
                out[str(f.get("fieldName")) + opt] = shape_text(f.get("shape"))
        return out
    kinds: dict[str, set[str]] = {}
    for doc in docs:  # no shape from the server: infer from the loaded documents
        for k, val in doc.items():
            kinds.setdefault(k, set()).add(kind_of(val, k))
    return {k: " | ".join(sorted(v)) for k, v in kinds.items()}


def schema_text(meta: TableMeta, docs: Iterable[Mapping[str, Any]] = ()) -> str:
    lines = ["Indexes"]
    if not meta.indexes:
        lines.append("  (none besides by_id and by_creation_time)")
    for idx in meta.indexes:
        fields = ", ".join(idx.fields) if isinstance(idx.fields, tuple) else str(dict(idx.fields))
        state = idx.backfill_state or "?"
        staged = " · staged" if idx.staged else ""
        lines.append(f"  {idx.name} ({idx.kind}): {fields} · backfill {state}{staged}")
    declared, inferred = _declared(meta), _inferred(meta, docs)
    lines += ["", "Declared schema" if meta.has_schema else "Declared schema: none (no schema.ts)"]
    for name, (text, optional) in declared.items():
        lines.append(f"  {name}{'?' if optional else ''}: {text}")
    lines += ["", "Inferred from the data"]
    for name, text in inferred.items():
        if name.rstrip("?") in SYSTEM_FIELDS:
            continue
        note = "" if not declared or name.rstrip("?") in declared else "   ← not in the schema"
        lines.append(f"  {name}: {text}{note}")
    missing = [n for n in declared if n not in {k.rstrip("?") for k in inferred}]
    if missing and inferred:
        lines.append(f"  (declared but not seen: {', '.join(missing)})")
    return clean("\n".join(lines))
