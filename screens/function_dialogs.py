"""Dialogs of the Functions pane: act as a user, and the call history."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static, TextArea

from screens.widgets.tables import FittingTable
from tui.functions.store import IDENTITY_FIELDS, HistoryEntry, build_identity
from tui.safety.text import clean_line

IdentityChoice = tuple[str, dict[str, Any] | None]  # ("set", identity) / ("clear", None)


class ActAsScreen(ModalScreen[IdentityChoice | None]):
    """Subject/issuer/name/email, or raw JSON (which wins when not empty)."""

    CSS_PATH = "../styles/act_as.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="act_as.cancel"),
        Binding("ctrl+s", "save", "Save", id="act_as.save", priority=True),
    ]

    def __init__(self, current: dict[str, Any] | None, default_issuer: str) -> None:
        super().__init__()
        self.current = current or {}
        self.default_issuer = default_issuer

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content.styled("Act as user", "bold"))
            yield Static(
                Content(
                    "Calls run with the admin key acting as this identity "
                    f"(issuer defaults to {self.default_issuer or 'convex-tui'})."
                ),
                classes="hint",
            )
            for name in IDENTITY_FIELDS:
                value = self.current.get(name)
                with Horizontal(classes="field"):
                    yield Static(Content(name), classes="label")
                    yield Input(
                        str(value) if isinstance(value, str) else "",
                        placeholder=name,
                        id=f"id-{name}",
                        compact=True,
                    )
            yield Static(Content("or raw JSON (UserIdentityAttributes, camelCase):"))
            extra = {
                k: v
                for k, v in self.current.items()
                if k not in (*IDENTITY_FIELDS, "tokenIdentifier")
            }
            raw = json.dumps(self.current, indent=1) if extra else ""
            yield TextArea(raw, id="id-raw", soft_wrap=True, compact=True)
            yield Static("", id="id-error")
            with Horizontal(id="buttons"):
                yield Button("Save (^S)", id="save", variant="primary", compact=True)
                yield Button("Act as admin", id="clear", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#id-subject", Input).focus()

    def action_save(self) -> None:
        fields = {n: self.query_one(f"#id-{n}", Input).value for n in IDENTITY_FIELDS}
        raw = self.query_one("#id-raw", TextArea).text
        try:
            identity = build_identity(fields, raw, self.default_issuer)
        except ValueError as exc:
            self.query_one("#id-error", Static).update(Text(clean_line(str(exc), 200)))
            return
        self.dismiss(("set", identity) if identity else ("clear", None))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#clear")
    def _clear(self) -> None:
        self.dismiss(("clear", None))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


HistoryChoice = tuple[str, HistoryEntry]  # ("rerun" | "load", entry)


class FunctionHistoryScreen(ModalScreen[HistoryChoice | None]):
    CSS_PATH = "../styles/function_history.tcss"
    BINDINGS = [
        Binding("escape,q", "cancel", "Close", id="history.close"),
        Binding("r", "choose('rerun')", "Re-run", id="history.rerun"),
        Binding("e", "choose('load')", "To editor", id="history.load"),
        Binding("c", "copy('npx')", "Copy npx", id="history.copy_npx"),
        Binding("t", "copy('tui')", "Copy convex-tui", id="history.copy_tui"),
        Binding("f", "scope", "This function/all", id="history.scope"),
    ]

    def __init__(
        self,
        entries: list[HistoryEntry],
        profile: str | None,
        url: str,
        function: str | None = None,
    ) -> None:
        super().__init__()
        self.all_entries = list(reversed(entries))  # newest first
        self.profile = profile  # a settings-file profile, or None: copied lines use --url
        self.url = url
        # Like the dashboard: the open function's calls first; `f` shows every call.
        self.function = function if any(e.function == function for e in entries) else None
        self._scoped = self.function  # what `f` toggles back to
        self.entries: list[HistoryEntry] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("", id="title")
            yield FittingTable(id="history", cursor_type="row")
            yield Static(
                Content(
                    "enter/r re-run · e to editor · c copy npx · t copy convex-tui · "
                    "f this function/all · esc"
                ),
                classes="hint",
            )
            yield Static("", id="line")

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one(DataTable)
        for col in ("time", "function", "outcome", "ms", "as", "args"):
            table.add_column(col, key=col)
        self._fill()
        table.focus()

    def _fill(self) -> None:
        table: DataTable[Text] = self.query_one(DataTable)
        table.clear()
        fn = self.function
        self.entries = [e for e in self.all_entries if fn is None or e.function == fn]
        scope = f"{clean_line(fn, 60)} · " if fn else ""
        self.query_one("#title", Static).update(
            Content.styled(f"History · {scope}{len(self.entries)} calls", "bold")
        )
        for i, e in enumerate(self.entries):
            when = datetime.fromtimestamp(e.at).strftime("%m-%d %H:%M:%S")
            who = (e.identity or {}).get("subject") or ("user" if e.identity else "admin")
            table.add_row(
                Text(when),
                Text(clean_line(e.function, 60)),
                Text(e.outcome, style="bold" if e.outcome != "ok" else ""),
                Text(f"{e.duration_ms:.0f}" if e.duration_ms is not None else "—"),
                Text(clean_line(str(who), 16)),
                Text(clean_line(json.dumps(e.args, sort_keys=True), 60)),
                key=str(i),
            )
        self._show_line()

    def action_scope(self) -> None:
        self.function = None if self.function is not None else self._scoped
        self._fill()

    def _selected(self) -> HistoryEntry | None:
        table: DataTable[Text] = self.query_one(DataTable)
        if not self.entries:
            return None
        return self.entries[min(table.cursor_row, len(self.entries) - 1)]

    def _show_line(self) -> None:
        entry = self._selected()
        self.query_one("#line", Static).update(
            Text(clean_line(entry.npx_line(), 300)) if entry else Text("No calls yet.")
        )

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_line()

    @on(DataTable.RowSelected)
    def _selected_row(self) -> None:
        self.action_choose("rerun")

    def action_choose(self, what: str) -> None:
        entry = self._selected()
        if entry is not None:
            self.dismiss((what, entry))

    def action_copy(self, which: str) -> None:
        entry = self._selected()
        if entry is None:
            return
        line = entry.npx_line() if which == "npx" else entry.tui_line(self.profile, self.url)
        self.app.copy_to_clipboard(line)
        self.notify(f"Copied: {clean_line(line, 300)}", markup=False)

    def action_cancel(self) -> None:
        self.dismiss(None)
