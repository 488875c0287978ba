"""Pinned live queries: each panel owns its subscription worker; the shelf holds the panels.

A panel shows each value of its subscription (title: path, update count, last change, state)
over a JSON tree with what changed since the previous value highlighted. Removing a panel
cancels its worker, which closes the subscription.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from screens.widgets.json_tree import JsonTree
from tui.convex.errors import FunctionError
from tui.functions.diff import changed_paths
from tui.safety.text import clean_line

if TYPE_CHECKING:
    from tui.convex.client import ConvexClient

MAX_WATCHES = 3
_UNSET: Any = object()


class WatchPanel(Vertical):
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
        text = Text(clean_line(self.path, 80), style="bold")
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

    # ------------------------------------------------------------ the subscription

    def start(self, client: ConvexClient | None) -> None:
        self.run_worker(
            self._follow(client),
            group="watch",
            description=f"watch {self.path}",
            exclusive=True,
            exit_on_error=False,
        )

    def pause(self) -> None:
        self.workers.cancel_group(self, "watch")
        self.set_state("paused")

    async def _follow(self, client: ConvexClient | None) -> None:
        if client is None:
            self.set_state("not connected")
            return
        async with client.subscribe(self.path, self.args) as sub:
            self.set_state("subscribed")
            while True:
                try:
                    value = await sub.__anext__()
                except StopAsyncIteration:
                    return
                except FunctionError as exc:
                    self.set_state(f"error: {exc.summary}")
                    continue
                self.update_value(value, datetime.now())


class WatchShelf(Horizontal):
    """Up to `MAX_WATCHES` panels side by side; hidden (class -hidden) when empty."""

    @property
    def panels(self) -> list[WatchPanel]:
        return list(self.query(WatchPanel))

    def find(self, path: str) -> WatchPanel | None:
        return next((p for p in self.panels if p.path == path), None)

    def pin(self, path: str, args: dict[str, Any], client: ConvexClient | None) -> WatchPanel:
        panel = WatchPanel(path, args)
        self.mount(panel)
        self.remove_class("-hidden")
        panel.start(client)
        return panel

    def unpin(self, panel: WatchPanel) -> None:
        panel.remove()  # its worker is cancelled with it: the subscription closes
        self.set_class(len(self.panels) <= 1, "-hidden")

    def pause(self) -> None:
        for panel in self.panels:
            panel.pause()

    def resume(self, client: ConvexClient | None) -> None:
        for panel in self.panels:
            if panel.state == "paused":
                panel.start(client)

    def clear(self) -> None:
        self.remove_children()
        self.add_class("-hidden")
