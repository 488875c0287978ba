"""Add or edit one deployment variable: name and value (the value typed masked)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class EnvEditScreen(ModalScreen[tuple[str, str] | None]):
    CSS_PATH = "../styles/env_edit.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="env_edit.cancel"),
        Binding("ctrl+r", "toggle_mask", "Show value", id="env_edit.show"),
    ]

    def __init__(
        self, name: str = "", value: str = "", *, error: str = "", editing: bool = False
    ) -> None:
        super().__init__()
        self.var_name = name
        self.value = value
        self.editing = editing
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = f"Edit {self.var_name}" if self.editing else "Add a deployment variable"
            yield Static(Content.styled(title, "bold"), id="title")
            yield Static("Name", classes="label")
            yield Input(self.var_name, placeholder="NAME", id="name", disabled=self.editing)
            yield Static("Value (hidden; ctrl+r shows it)", classes="label")
            yield Input(self.value, placeholder="value", password=True, id="value")
            yield Static(Content(self.error), id="error", classes="" if self.error else "-hidden")
            with Horizontal(id="buttons"):
                yield Button("Save (enter)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#value" if self.editing else "#name", Input).focus()

    def action_toggle_mask(self) -> None:
        box = self.query_one("#value", Input)
        box.password = not box.password

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            self.query_one("#name", Input).focus()
            return
        self.dismiss((name, self.query_one("#value", Input).value))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
