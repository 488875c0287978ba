"""Filters remembered per deployment (the user data dir; keyed by the deployment URL)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from platformdirs import user_data_dir

from tui.logs.filter import LogFilter


def default_path() -> Path:
    return Path(user_data_dir("convex-tui")) / "log-filters.json"


class FilterStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

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
        data = self._all()
        data[deployment] = log_filter.to_json()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
