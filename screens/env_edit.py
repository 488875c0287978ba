"""Add or edit one deployment variable: name and value (the value typed masked).

A multi-line value (a PEM `JWT_PRIVATE_KEY`, a `JWKS`) is edited in a text area instead: a
one-line input would keep only the first line of a paste.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static, TextArea


class ValueInput(Input):
    """The masked value; a paste of several lines asks for the multi-line editor."""

    @dataclass
    class MultiLine(Message):
        text: str

    def _on_paste(self, event: events.Paste) -> None:
        if "\n" in event.text.strip("\n"):
            event.stop()
            self.post_message(self.MultiLine(event.text))
            return
        super()._on_paste(event)


class EnvEditScreen(ModalScreen[tuple[str, str] | None]):
    CSS_PATH = "../styles/env_edit.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="env_edit.cancel"),
        Binding("ctrl+r", "toggle_mask", "Show value", id="env_edit.show"),
        Binding("ctrl+s", "save", "Save", id="env_edit.save"),
    ]

    def __init__(
        self, name: str = "", value: str = "", *, error: str = "", editing: bool = False
    ) -> None:
        super().__init__()
        self.var_name = name
        self.value = value
        self.editing = editing
        self.error = error
        self.multiline = "\n" in value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = f"Edit {self.var_name}" if self.editing else "Add a deployment variable"
            yield Static(Content.styled(title, "bold"), id="title")
            yield Static("Name", classes="label")
            yield Input(self.var_name, placeholder="NAME", id="name", disabled=self.editing)
            yield Static(self._value_label(), classes="label", id="value-label")
            yield ValueInput(
                "" if self.multiline else self.value, placeholder="value", password=True,
                id="value", classes="-hidden" if self.multiline else "",
            )  # fmt: skip
            yield TextArea(
                self.value if self.multiline else "", id="value-multi", soft_wrap=True,
                classes="" if self.multiline else "-hidden",
            )  # fmt: skip
            yield Static(Content(self.error), id="error", classes="" if self.error else "-hidden")
            with Horizontal(id="buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def _value_label(self) -> str:
        if self.multiline:
            return "Value: several lines, shown while you edit (ctrl+s saves)"
        return "Value (hidden; ctrl+r shows it; enter saves)"

    def on_mount(self) -> None:
        if self.editing:
            self.query_one("#value-multi" if self.multiline else "#value").focus()
        else:
            self.query_one("#name", Input).focus()

    @on(ValueInput.MultiLine)
    def _to_multiline(self, message: ValueInput.MultiLine) -> None:
        self.multiline = True
        self.query_one("#value", Input).add_class("-hidden")
        area = self.query_one("#value-multi", TextArea)
        area.text = message.text
        area.remove_class("-hidden")
        area.focus()
        self.query_one("#value-label", Static).update(self._value_label())

    def action_toggle_mask(self) -> None:
        box = self.query_one("#value", Input)
        box.password = not box.password

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            self.query_one("#name", Input).focus()
            return
        if self.multiline:
            value = self.query_one("#value-multi", TextArea).text
        else:
            value = self.query_one("#value", Input).value
        self.dismiss((name, value))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
