"""Export the filtered view (or everything buffered) to `.log` (sanitized text lines) or
`.jsonl` (exact values, one object a row)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from tui.logs.record import Record, stamp


def log_line(r: Record) -> str:
    level = f" [{r.level_text}]" if r.level else ""
    text = r.plain.replace("\r\n", "\n").replace("\n", "⏎")
    return f"{stamp(r.time)} [{r.tag}]{level} {text}"


def export(rows: Iterable[Record], path: Path) -> int:
    """Write rows to ``path`` (format from the suffix: .jsonl, else .log); returns the count."""
    jsonl = path.suffix.lower() == ".jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in rows:
            if jsonl:
                fh.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
            else:
                fh.write(log_line(r) + "\n")
            n += 1
    os.replace(tmp, path)
    return n
