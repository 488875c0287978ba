"""Yes/no confirmation, optionally requiring a typed word (a protected target's name)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "../styles/confirm.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("y", "accept", "Yes", id="confirm.yes"),
        Binding("n,q", "cancel", "No", id="confirm.no"),
    ]

    def __init__(
        self, title: str, detail: str = "", *, typed: str | None = None, danger: bool = False
    ) -> None:
        super().__init__()
        self.title_text = title
        self.detail = detail
        self.typed = typed
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-danger" if self.danger else ""):
            yield Static(Content.styled(self.title_text, "bold"), id="question")
            if self.detail:
                yield Static(Content(self.detail), id="detail")
            if self.typed is not None:
                yield Static(Content(f"Type {self.typed!r} to confirm:"), id="prompt")
                yield Input(placeholder=self.typed, id="typed")
            with Horizontal(id="buttons"):
                yield Button("Yes (y)", id="yes", variant="error" if self.danger else "primary")
                yield Button("No (n)", id="no")

    # The typed word's input, else "No". A selector, not a query in on_mount: a screen pushed
    # while the app closes (`q` then `s` in one read) mounts without its children.
    AUTO_FOCUS = "#typed, #no"

    def _typed_ok(self) -> bool:
        if self.typed is None:
            return True
        typed = self.query("#typed").first(Input) if self.query("#typed") else None
        return typed is not None and typed.value.strip() == self.typed

    def action_accept(self) -> None:
        if self._typed_ok():
            self.dismiss(True)
        else:
            self.notify(
                f"Type {self.typed!r} exactly to confirm.", severity="warning", markup=False
            )

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Input.Submitted, "#typed")
    def _submitted(self) -> None:
        self.action_accept()

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.action_accept()

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(False)
