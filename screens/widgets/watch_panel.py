"""One pinned live query: a title line (path, update count, last change) over a JSON tree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from screens.widgets.json_tree import JsonTree
from tui.functions.diff import changed_paths
from tui.safety.text import clean_line

_UNSET: Any = object()


class WatchPanel(Vertical):
    """Shows each value of a subscription; what changed since the previous one is highlighted."""

    def __init__(self, path: str, args: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(classes="watch-panel", **kwargs)
        self.path = path
        self.args = args
        self.updates = 0
        self.last_change: datetime | None = None
        self.previous: Any = _UNSET
        self.state = "starting"

    def compose(self) -> ComposeResult:
        yield Static(self._title(), classes="watch-title")
        yield JsonTree(self.path, classes="watch-tree")

    def _title(self) -> Text:
        when = self.last_change.strftime("%H:%M:%S") if self.last_change else "—"
        text = Text(self.path, style="bold")
        text.append(f"  {self.updates} update{'s' * (self.updates != 1)} · {when} · {self.state}")
        return text

    def set_state(self, state: str) -> None:
        self.state = clean_line(state, 60)
        self.query_one(".watch-title", Static).update(self._title())

    def update_value(self, value: Any, now: datetime) -> None:
        changed = set() if self.previous is _UNSET else changed_paths(self.previous, value)
        self.previous = value
        self.updates += 1
        self.last_change = now
        self.state = "live"
        self.query_one(".watch-title", Static).update(self._title())
        self.query_one(JsonTree).show(value, changed)
