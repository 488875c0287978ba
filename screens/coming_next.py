"""Panes 2–6 until they are built: an honest note of what will be there, nothing fake."""

from __future__ import annotations

from typing import ClassVar

from textual._path import CSSPathType
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from screens.pane import PaneScreen, PaneTarget
from tui.keys import PANES

DETAILS: dict[str, tuple[str, ...]] = {
    "logs": (
        "Function logs streamed from the deployment, with levels and request ids",
        "Container logs (stdout/stderr) of the compose services",
        "/ filter, follow mode, and jump from a log line to the document it names",
    ),
    "functions": (
        "Every query, mutation and action of the deployment, from its function spec",
        "Run one with JSON arguments; see the result and its log lines",
    ),
    "data": (
        "Tables with document counts, paged documents, indexes and schema",
        "Edits refused in read-only mode, typed confirmation for destructive ones",
    ),
    "env": ("Deployment environment variables: list, set, unset (values masked)",),
    "scripts": ("Saved invocations you can replay against this deployment",),
}


class ComingNextScreen(PaneScreen):
    CSS_PATH: ClassVar[CSSPathType | None] = "../styles/coming_next.tcss"

    # The Logs pane carries the container filter chosen on the Status pane.
    container_filter: reactive[str | None] = reactive(None)

    def __init__(self, pane: str) -> None:
        super().__init__(name=pane, id=f"pane-{pane}")
        self.pane = pane
        self.title_text, self.summary = next((t, w) for p, t, w in PANES if p == pane)

    def compose_body(self) -> ComposeResult:
        with Vertical(id="coming-next"):
            yield Static(Content.styled(f"{self.title_text} — coming next", "bold"), id="title")
            yield Static(Content(f"Not built yet. It is for: {self.summary}."), id="summary")
            items = "\n".join(f"  • {line}" for line in DETAILS.get(self.pane, ()))
            yield Static(Content(items), id="details")
            yield Static(Content(""), id="filter")
            yield Static(
                Content.styled("Press 1 for the Status pane, ? for help.", "$text-muted"),
                id="hint",
            )

    def open_target(self, target: PaneTarget) -> None:
        if target.kind == "container":
            self.container_filter = target.value

    def watch_container_filter(self, value: str | None) -> None:
        if not self.is_mounted:
            return
        text = f"It will open filtered to container: {value}" if value else ""
        self.query_one("#filter", Static).update(Content(text))

    def on_mount(self) -> None:
        self.watch_container_filter(self.container_filter)
