"""The Logs pane's dialogs: execution detail, facets, export, containers to follow.
All text from the deployment or containers is shown as plain `Text` (never markup)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static, Switch
from textual.widgets.selection_list import Selection

from tui.logs.detail import DOC_ID, Detail
from tui.logs.filter import LEVELS, STATUSES, LogFilter
from tui.safety.text import clean


class LogsDialog(ModalScreen[object]):
    CSS_PATH = "../styles/logs_dialog.tcss"
    BINDINGS = [Binding("escape", "close", "Close", id="logs_dialog.close")]

    def action_close(self) -> None:
        self.dismiss(None)


class DetailScreen(LogsDialog):
    """Every row of one request, its executions, usage, errors and the call tree.
    `d` opens the first document id in it in the Data pane."""

    BINDINGS = [
        *LogsDialog.BINDINGS,
        Binding("q", "close", "Close", id="logs_dialog.quit"),
        Binding("d", "open_document", "Open document", id="logs_dialog.document"),
    ]

    def __init__(self, detail: Detail) -> None:
        super().__init__()
        self.detail = detail
        self.lines = detail.text_lines()
        found = re.findall(DOC_ID, "\n".join(self.lines))
        self.document_ids = list(dict.fromkeys(found))

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-wide"):
            yield Static(Content.styled("Execution detail", "bold"), id="title")
            with VerticalScroll(id="detail-body"):
                yield Static(Text(clean("\n".join(self.lines))), id="detail-text")
            hint = "esc close"
            if self.document_ids:
                hint += f" · d open document {self.document_ids[0]} in the Data pane"
            yield Static(Content(hint), id="hint")

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()

    def action_open_document(self) -> None:
        if self.document_ids:
            self.dismiss(("document", self.document_ids[0]))


@dataclass(frozen=True)
class FacetChoices:
    functions: tuple[str, ...]
    sources: tuple[str, ...]


class FacetsScreen(LogsDialog):
    """The dashboard's facets; returns a new `LogFilter` (or None on escape)."""

    BINDINGS = [*LogsDialog.BINDINGS, Binding("ctrl+s", "apply", "Apply", id="logs_dialog.apply")]

    def __init__(self, current: LogFilter, choices: FacetChoices) -> None:
        super().__init__()
        self.current = current
        self.choices = choices

    def compose(self) -> ComposeResult:
        f = self.current
        with Vertical(id="dialog", classes="-wide"):
            yield Static(Content.styled("Facets (space toggles, ctrl+s applies)", "bold"))
            with Horizontal(id="facet-lists"):
                yield self._list("status", [(s, s) for s in STATUSES], {f.status})
                yield self._list("levels", [(lv, lv) for lv in LEVELS], set(f.levels))
                yield self._list("sources", [(s, s) for s in self.choices.sources], set(f.sources))
                fns = [(fn, fn) for fn in self.choices.functions]
                yield self._list("functions", fns, set(f.functions))
            yield Label("request id")
            yield Input(value=f.request_id, placeholder="any request", id="request")
            with Horizontal(id="buttons"):
                yield Button("Apply (ctrl+s)", id="apply", variant="primary")
                yield Button("Reset", id="reset")

    def _list(
        self, name: str, items: list[tuple[str, str]], chosen: set[str]
    ) -> SelectionList[str]:
        sel: SelectionList[str] = SelectionList(
            *(Selection(Text(clean(label)), value, value in chosen) for label, value in items),
            id=name,
        )
        sel.border_title = name
        return sel

    def _selected(self, name: str) -> frozenset[str]:
        return frozenset(self.query_one(f"#{name}", SelectionList).selected)

    def action_apply(self) -> None:
        status = self._selected("status")
        self.dismiss(
            self.current.with_(
                status=next(iter(status)) if len(status) == 1 else "",
                levels=self._selected("levels"),
                sources=self._selected("sources"),
                functions=self._selected("functions"),
                request_id=self.query_one("#request", Input).value.strip(),
            )
        )

    @on(Button.Pressed, "#apply")
    @on(Input.Submitted, "#request")
    def _apply(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#reset")
    def _reset(self) -> None:
        self.dismiss(LogFilter(query=self.current.query, narrow=self.current.narrow))


class ExportScreen(LogsDialog):
    """Path (.log or .jsonl) and what to export; returns (path, everything) or None."""

    def __init__(self, default: Path) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content.styled("Export rows", "bold"))
            yield Label("file (.log: text lines, .jsonl: one JSON object a row)")
            yield Input(value=str(self.default), id="path")
            with Horizontal(id="everything-row"):
                yield Switch(False, id="everything")
                yield Label("everything buffered (not only the filtered view)")
            with Horizontal(id="buttons"):
                yield Button("Export", id="export", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if path:
            everything = self.query_one("#everything", Switch).value
            self.dismiss((Path(path).expanduser(), everything))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ContainersScreen(LogsDialog):
    """Which of the deployment's containers to follow; returns the chosen names or None.

    `enter` applies through a priority binding: a focused SelectionList binds enter itself
    (OptionList's select, which toggles the highlighted row), so applying must not depend on
    the key reaching the screen after the list has seen it. The list's check mark looks the
    same checked or not without colour, so a line below says in words what will be followed."""

    BINDINGS = [
        *LogsDialog.BINDINGS,
        Binding("enter", "apply", "Apply", id="logs_dialog.apply_enter", priority=True),
        Binding("ctrl+s", "apply", "Apply", id="logs_dialog.apply"),
    ]

    def __init__(self, names: list[str], following: set[str], note: str = "") -> None:
        super().__init__()
        self.names = list(names)
        self.following = following
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content.styled("Container logs (space toggles, enter applies)", "bold"))
            note = Static(Text(clean(self.note)), id="note")
            note.display = bool(self.note)
            yield note
            yield SelectionList(
                *(Selection(Text(clean(n)), n, n in self.following) for n in self.names),
                id="containers",
            )
            yield Static(self._summary(self.following), id="chosen")
            with Horizontal(id="buttons"):
                yield Button("Apply", id="apply", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#containers").focus()

    def offer(self, names: list[str], note: str) -> None:
        """A fresh listing arrived while the dialog is open: add what is new, say the note."""
        found = self.query_one("#containers", SelectionList)
        for name in sorted(set(names) - set(self.names)):
            self.names.append(name)
            found.add_option(Selection(Text(clean(name)), name, False))
        self.note = note
        self.query_one("#note", Static).update(Text(clean(note)))
        self.query_one("#note", Static).display = bool(note)

    @staticmethod
    def _summary(chosen: set[str]) -> Text:
        if not chosen:
            return Text("enter: follow none (container logs off)")
        return Text("enter: follow " + ", ".join(clean(n) for n in sorted(chosen)))

    @on(SelectionList.SelectedChanged, "#containers")
    def _changed(self) -> None:
        self.query_one("#chosen", Static).update(self._summary(self._selected()))

    def _selected(self) -> set[str]:
        return set(self.query_one("#containers", SelectionList).selected)

    def action_apply(self) -> None:
        self.dismiss(self._selected())

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        self.action_apply()
