"""Run history per workspace, in the user data directory (one JSON-lines file per workspace).

Each entry: script, command line, start, duration, exit status, state and the last lines
(already sanitized and scrubbed of the admin key by the runner).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from tui.config.atomic import write_atomic
from tui.scripts.runner import ProcessRun

KEEP_ENTRIES = 200
LAST_LINES = 8


def data_dir() -> Path:
    override = os.environ.get("CONVEX_TUI_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("convex-tui", appauthor=False))


@dataclass(frozen=True)
class HistoryEntry:
    script: str
    command: str
    started_at: float
    duration: float
    exit_status: int | None
    state: str
    last_lines: tuple[str, ...]


def history_path(workspace: Path, base: Path | None = None) -> Path:
    digest = hashlib.sha256(str(workspace.resolve()).encode()).hexdigest()[:16]
    return (base or data_dir()) / "history" / f"{workspace.name or 'root'}-{digest}.jsonl"


def entry_of(run: ProcessRun) -> HistoryEntry:
    last = tuple(line for line in run.lines if line.strip())[-LAST_LINES:]
    return HistoryEntry(
        run.name, run.command_line, run.started_at, round(run.elapsed, 3), run.exit_status,
        str(run.state), last,
    )  # fmt: skip


def append(workspace: Path, entry: HistoryEntry, base: Path | None = None) -> Path:
    path = history_path(workspace, base)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    entries = load(workspace, base)[-(KEEP_ENTRIES - 1) :] + [entry]
    lines = (json.dumps(asdict(item), ensure_ascii=False) + "\n" for item in entries)
    write_atomic(path, "".join(lines))  # two runs ending together each get a temp file
    return path


def load(workspace: Path, base: Path | None = None) -> list[HistoryEntry]:
    path = history_path(workspace, base)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    out: list[HistoryEntry] = []
    for line in text.splitlines():
        try:
            raw = json.loads(line)
            raw["last_lines"] = tuple(str(x) for x in raw.get("last_lines", ()))
            out.append(HistoryEntry(**raw))
        except (ValueError, TypeError):
            continue  # a damaged line is skipped, the rest still shows
    return out
