"""Every key, from the same table the footer and the palette use (`tui.keys`)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui.keys import APP_KEYS, PANE_KEYS, PANES, display_keys, effective_keys

SECTIONS = (
    ("Everywhere", APP_KEYS),
    *((f"{title} pane", PANE_KEYS[pane]) for pane, title, _ in PANES if PANE_KEYS[pane]),
)


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "../styles/help.tcss"
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", id="help.close")]

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.keymap = dict(keymap)

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(Content.styled("Keys", "bold"), id="help-title")
            yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            yield Static(
                Content.styled(
                    "^P: command palette (panes, profiles, themes, read-only). "
                    "Remap any id in the settings file under [keymap]. esc closes.",
                    "$text-muted",
                ),
                id="help-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one("#keys", DataTable)
        table.add_columns("key", "what it does", "id")
        for section, specs in SECTIONS:
            table.add_row(Text(section, style="bold"), Text(""), Text(""))
            for spec in specs:
                marker = " (write)" if spec.write else ""
                table.add_row(
                    Text(display_keys(effective_keys(spec, self.keymap))),
                    Text(spec.help + marker),
                    Text(spec.id, style="dim"),
                )
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
