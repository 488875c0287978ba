"""Export documents to JSONL (exact: Convex encoded JSON, one document a line) or CSV.

CSV cells: strings as they are, a missing field empty, every other value as its Convex encoded
JSON (``5``, ``true``, ``null``, ``{"$integer": …}``, ``[…]``), so nothing is lost and a string
column reads naturally in a spreadsheet. Both writers stream page by page: memory stays flat.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from tui.convex import values
from tui.convex.values import Value

Format = Literal["jsonl", "csv"]


@dataclass(frozen=True, slots=True)
class ExportProgress:
    written: int
    total: int | None  # None when unknown (a filtered set)
    done: bool = False


def jsonl_line(doc: Mapping[str, Value]) -> str:
    return json.dumps(values.encode(dict(doc)), ensure_ascii=False, separators=(",", ":"))


def csv_cell(doc: Mapping[str, Value], field: str) -> str:
    if field not in doc:
        return ""
    value = doc[field]
    if isinstance(value, str):
        return value
    return json.dumps(values.encode(value), ensure_ascii=False, separators=(",", ":"))


def parse_csv_cell(text: str, *, is_string: bool) -> Value:
    """The inverse of :func:`csv_cell` when the column's type is known (strings stay text)."""
    if is_string:
        return text
    return values.decode(json.loads(text))


def csv_rows(docs: Iterable[Mapping[str, Value]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for doc in docs:
        writer.writerow([csv_cell(doc, c) for c in columns])
    return buf.getvalue()


def csv_header(columns: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(list(columns))
    return buf.getvalue()


async def write_export(
    pages: AsyncIterator[Sequence[Mapping[str, Value]]],
    out: TextIO,
    fmt: Format,
    columns: Callable[[Sequence[Mapping[str, Value]]], Sequence[str]] | None = None,
    *,
    total: int | None = None,
    on_progress: Callable[[ExportProgress], None] | None = None,
) -> int:
    """Write every page to ``out``; CSV columns come from ``columns(first page)``."""
    written = 0
    header: Sequence[str] | None = None
    async for docs in pages:
        if fmt == "jsonl":
            out.write("".join(jsonl_line(d) + "\n" for d in docs))
        else:
            if header is None:
                header = list(columns(docs) if columns else _fields(docs))
                out.write(csv_header(header))
            out.write(csv_rows(docs, header))
        written += len(docs)
        if on_progress is not None:
            on_progress(ExportProgress(written, total))
    if fmt == "csv" and header is None and columns is not None:
        out.write(csv_header(columns([])))
    if on_progress is not None:
        on_progress(ExportProgress(written, total, done=True))
    return written


def _fields(docs: Sequence[Mapping[str, Value]]) -> list[str]:
    out: list[str] = []
    for d in docs:
        out.extend(k for k in d if k not in out)
    return out


def default_path(table: str, fmt: Format, directory: Path | None = None) -> Path:
    base = directory or Path.cwd()
    path = base / f"{table}.{fmt}"
    n = 1
    while path.exists():
        path = base / f"{table}-{n}.{fmt}"
        n += 1
    return path


def read_jsonl(text: str) -> list[dict[str, Any]]:
    return [values.decode(json.loads(line)) for line in text.splitlines() if line.strip()]
