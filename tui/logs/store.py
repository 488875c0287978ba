"""Filters remembered per deployment (the user data dir; keyed by the deployment URL)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from platformdirs import user_data_dir

from tui.config.atomic import write_atomic
from tui.logs.filter import LogFilter


def default_path() -> Path:
    return Path(user_data_dir("convex-tui")) / "log-filters.json"


class FilterStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        # Saves run on worker threads: one read-modify-write at a time.
        self._lock = threading.Lock()

    def _all(self) -> dict[str, object]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return raw if isinstance(raw, dict) else {}

    def load(self, deployment: str) -> LogFilter:
        raw = self._all().get(deployment)
        return LogFilter.from_json(raw) if isinstance(raw, dict) else LogFilter()

    def save(self, deployment: str, log_filter: LogFilter) -> None:
        with self._lock:
            data = self._all()
            data[deployment] = log_filter.to_json()
            write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True))
