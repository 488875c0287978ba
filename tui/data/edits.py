"""Edits of the Data pane, decided here and sent through ``ConvexClient`` (which asks the guard).

- documents typed as JSON5 (Convex encoded values allowed) and validated against the table's
  schema with the one validator implementation (``tui.convex.validators``);
- the diff of an edited document, shown before saving;
- ``field = value`` patches (``unset`` removes the field);
- clearing a table page by page, cancellable between pages (each page is one transaction, so a
  cancelled clear leaves a consistent table: some documents gone, the rest intact).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import json5

from tui.convex import values
from tui.convex.models import ClearProgress
from tui.convex.validators import ArgValidationError, from_json
from tui.convex.values import Value
from tui.convex.wire import UNSET
from tui.data.cells import SYSTEM_FIELDS, compact
from tui.data.filters import parse_value

MAX_ADD = 4096  # addDocument's limit per call (reference §5.6)


class EditError(ValueError):
    """The typed document or patch is not acceptable; the message says why."""


def parse_documents(text: str) -> list[dict[str, Value]]:
    """One object or an array of objects, JSON5, values in Convex encoded JSON."""
    try:
        raw = json5.loads(text)
    except ValueError as exc:
        raise EditError(f"not valid JSON: {exc}") from None
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise EditError("nothing to add: the list is empty")
    if len(items) > MAX_ADD:
        raise EditError(f"at most {MAX_ADD} documents at a time")
    out: list[dict[str, Value]] = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise EditError(f"document {n} is not an object")
        try:
            doc = values.decode(item)
        except values.ValueError_ as exc:
            raise EditError(f"document {n}: {exc}") from None
        system = [k for k in doc if k.startswith("_")]
        if system:
            raise EditError(f"document {n}: system fields cannot be set ({', '.join(system)})")
        out.append(doc)
    return out


def parse_document(text: str) -> dict[str, Value]:
    docs = parse_documents(text)
    if len(docs) != 1:
        raise EditError("expected one document")
    return docs[0]


def validate(docs: Sequence[Mapping[str, Value]], document_type: Mapping[str, Any] | None) -> None:
    """Check against the schema's ``documentType`` (no schema: anything goes)."""
    if not document_type:
        return
    try:
        validator = from_json(dict(document_type))
    except ValueError:
        return  # a validator this console does not know: let the server judge
    for n, doc in enumerate(docs, start=1):
        try:
            validator.check(dict(doc))
        except ArgValidationError as exc:
            prefix = f"document {n}: " if len(docs) > 1 else ""
            raise EditError(f"{prefix}{exc}") from None


def editable(doc: Mapping[str, Value]) -> dict[str, Value]:
    return {k: v for k, v in doc.items() if k not in SYSTEM_FIELDS}


def edit_text(doc: Mapping[str, Value]) -> str:
    """What the editor shows: the document without system fields, Convex encoded JSON."""
    return json.dumps(values.encode(editable(doc)), indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True, slots=True)
class Change:
    kind: Literal["added", "removed", "changed"]
    field: str
    old: Value = None
    new: Value = None

    def text(self, limit: int = 70) -> str:
        if self.kind == "added":
            return f"+ {self.field}: {compact(self.new, limit)}"
        if self.kind == "removed":
            return f"- {self.field}: {compact(self.old, limit)}"
        return f"~ {self.field}: {compact(self.old, limit)} → {compact(self.new, limit)}"


def diff(old: Mapping[str, Value], new: Mapping[str, Value]) -> list[Change]:
    """Top-level field changes from ``old`` to ``new`` (system fields ignored)."""
    before, after = editable(old), editable(new)
    out: list[Change] = []
    for key in before:
        if key not in after:
            out.append(Change("removed", key, old=before[key]))
        elif not same(before[key], after[key]):
            out.append(Change("changed", key, before[key], after[key]))
    out.extend(Change("added", k, new=after[k]) for k in after if k not in before)
    return out


def same(a: Value, b: Value) -> bool:
    """Equal as Convex values (an int64 5 is not the float 5)."""
    return json.dumps(values.encode(a), sort_keys=True) == json.dumps(
        values.encode(b), sort_keys=True
    )


def parse_patch(text: str) -> tuple[str, Value]:
    """``field = value`` → (field, value); ``field = unset`` removes the field."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name:
        raise EditError("expected FIELD = VALUE (VALUE as JSON5, or unset to remove the field)")
    if name.startswith("_"):
        raise EditError(f"{name} is a system field")
    if raw == "unset":
        return name, UNSET
    if raw == "":
        raise EditError("a value is missing (use unset to remove the field)")
    return name, parse_value(raw)


class ClearCancelled(Exception):
    """Raised between two pages of a clear that the user cancelled."""

    def __init__(self, deleted: int) -> None:
        self.deleted = deleted
        super().__init__(f"cancelled after {deleted} documents")


async def clear_table(
    client: Any,
    table: str,
    on_progress: Callable[[ClearProgress], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> int:
    """``ConvexClient.clear_table`` (guard first, ≤4000 a page), stopping when ``cancelled()``."""

    def progress(p: ClearProgress) -> None:
        if on_progress is not None:
            on_progress(p)
        if p.has_more and cancelled():
            raise ClearCancelled(p.deleted)

    if cancelled():
        raise ClearCancelled(0)
    return int(await client.clear_table(table, progress))
