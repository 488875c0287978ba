"""Every key, from the same table the footer and the palette use (`tui.keys`).

Grouped by pane, the pane you came from first; long descriptions wrap (nothing is cut off at
80 columns) and the whole sheet scrolls.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keys import APP_KEYS, PANE_KEYS, PANES, KeySpec, display_keys, effective_keys

HelpRow = tuple[str, str, str]  # keys as shown, what it does, binding id


def help_sections(
    keymap: Mapping[str, str], pane: str | None = None
) -> list[tuple[str, list[HelpRow]]]:
    """(title, rows) per pane: ``pane``'s own keys first, then the global ones, then the rest."""

    def rows(specs: tuple[KeySpec, ...]) -> list[HelpRow]:
        return [
            (
                display_keys(effective_keys(spec, keymap)),
                spec.help + (" (write)" if spec.write else ""),
                spec.id,
            )
            for spec in specs
        ]

    panes = [(p, f"{title} pane") for p, title, _ in PANES if PANE_KEYS[p]]
    current = [(p, t) for p, t in panes if p == pane]
    others = [(p, t) for p, t in panes if p != pane]
    return [
        *((t, rows(PANE_KEYS[p])) for p, t in current),
        ("Everywhere", rows(APP_KEYS)),
        *((t, rows(PANE_KEYS[p])) for p, t in others),
    ]


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "../styles/help.tcss"
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", id="help.close")]

    def __init__(self, keymap: Mapping[str, str], pane: str | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap)
        self.sections = help_sections(self.keymap, pane)

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(Content.styled("Keys", "bold"), id="help-title")
            with VerticalScroll(id="keys"):
                for title, rows in self.sections:
                    yield Static(Text(title, style="bold"), classes="help-section")
                    yield Static(_grid(rows), classes="help-keys")
            yield Static(
                Content.styled(
                    "^P: command palette (panes, profiles, themes, read-only). "
                    "Remap any id in the settings file under [keymap]. esc closes.",
                    "$text-muted",
                ),
                id="help-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#keys", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)


def _grid(rows: list[HelpRow]) -> Table:
    """Keys and ids never wrap; the description takes the rest of the width and wraps."""
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column(no_wrap=True, min_width=9)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_column(no_wrap=True, style="dim")
    for keys, what, binding_id in rows:
        grid.add_row(Text(keys, style="bold"), Text(what), Text(binding_id))
    return grid
