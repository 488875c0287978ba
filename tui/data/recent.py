"""The table last viewed on each deployment (the Data pane reopens it, as the dashboard does).

One small JSON file in the user data dir (``$CONVEX_TUI_DATA_DIR`` overrides it), keyed by a
hash of the deployment URL (a URL may carry credentials: it is never written); written
atomically, and a damaged file reads as empty, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from platformdirs import user_data_dir

from tui.config.atomic import write_atomic

FILE = "data-tables.json"


def default_path() -> Path:
    override = os.environ.get("CONVEX_TUI_DATA_DIR")
    return (Path(override) if override else Path(user_data_dir("convex-tui"))) / FILE


class RecentTables:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def _all(self) -> dict[str, str]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict):
            return {}
        return {str(k): v for k, v in raw.items() if isinstance(v, str)}

    def get(self, deployment: str) -> str | None:
        return self._all().get(_key(deployment))

    def save(self, deployment: str, table: str) -> None:
        data = self._all()
        key = _key(deployment)
        if data.get(key) == table:
            return
        data[key] = table
        try:
            write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True))
        except OSError:
            pass  # remembering is a convenience: a read-only home must not break the pane


def _key(deployment: str) -> str:
    return hashlib.sha256(deployment.encode("utf-8")).hexdigest()[:24]


def default_table(
    tables: Sequence[tuple[str, int | None, bool]], remembered: str | None
) -> str | None:
    """The table the pane opens on: the one last viewed (if it still exists), else the largest
    user table (name order breaks ties), else none. ``tables`` are (name, count, system)."""
    names = {name for name, _, _ in tables}
    if remembered is not None and remembered in names:
        return remembered
    users = [(count or 0, name) for name, count, system in tables if not system]
    if not users:
        return None
    return min(users, key=lambda t: (-t[0], t[1]))[1]
