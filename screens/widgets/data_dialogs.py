"""The Data pane's dialogs: document detail, JSON editor, one-line prompt, schema view.

All share `DataDialog` (styles/data_dialogs.tcss scopes every rule by it). Untrusted text is
shown as plain `Text`/`Content`, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from screens.widgets.json_tree import JsonTree

T = TypeVar("T")
Check = Callable[[str], str | None]  # text → error message, or None when acceptable


class DataDialog(ModalScreen[T]):
    CSS_PATH = "../../styles/data_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="data_dialog.close")
    ]

    def action_close(self) -> None:
        self.dismiss(None)


class DocumentDialog(DataDialog[tuple[str, str] | None]):
    """Dismisses with ("open", id) for an id link, ("edit"|"delete"|"copy", id), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="data_doc.close"),
        Binding("e", "choose('edit')", "Edit", id="data_doc.edit"),
        Binding("d", "choose('delete')", "Delete", id="data_doc.delete"),
        Binding("c", "choose('copy')", "Copy id", id="data_doc.copy"),
    ]

    def __init__(self, table: str, doc: dict[str, Any]) -> None:
        super().__init__()
        self.table = table
        self.doc = doc

    def compose(self) -> ComposeResult:
        doc_id = str(self.doc.get("_id", ""))
        with Vertical(id="dialog"):
            yield Static(Content(f"{self.table} · {doc_id}"), id="title")
            yield JsonTree(self.table, id="tree")
            yield Static(
                Content("enter on an id opens it · e edit · d delete · c copy id · esc close"),
                id="hint",
            )

    def on_mount(self) -> None:
        tree = self.query_one(JsonTree)
        tree.show(self.doc)  # the Functions pane's tree: Convex types marked, ids are links
        tree.focus()

    @on(JsonTree.IdSelected)
    def _open(self, event: JsonTree.IdSelected) -> None:
        self.dismiss(("open", event.doc_id))

    def action_choose(self, what: str) -> None:
        self.dismiss((what, str(self.doc.get("_id", ""))))


class TextDialog(DataDialog[str | None]):
    """A JSON editor: ctrl+s checks the text (`check`) and returns it; esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel", id="data_text.cancel"),
        Binding("ctrl+s", "save", "Save", id="data_text.save", priority=True),
    ]

    def __init__(self, title: str, text: str, check: Check | None = None, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.check = check
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-wide"):
            yield Static(Content(self.title_text), id="title")
            yield TextArea(self.text, language="json", id="editor", show_line_numbers=True)
            yield Static(id="error", classes="-hidden")
            yield Static(Content(self.hint or "ctrl+s save · esc cancel"), id="hint")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        problem = self.check(text) if self.check else None
        if problem:
            error = self.query_one("#error", Static)
            error.update(Text(problem))
            error.remove_class("-hidden")
            return
        self.dismiss(text)


class PromptDialog(DataDialog[str | None]):
    """One line of input (an id, a patch, an export path); enter checks and returns it."""

    def __init__(
        self,
        title: str,
        value: str = "",
        *,
        placeholder: str = "",
        hint: str = "",
        check: Check | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.hint = hint
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content(self.title_text), id="title")
            yield Input(self.value, placeholder=self.placeholder, id="prompt")
            yield Static(id="error", classes="-hidden")
            if self.hint:
                yield Static(Content(self.hint), id="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        problem = self.check(event.value) if self.check else None
        if problem:
            error = self.query_one("#error", Static)
            error.update(Text(problem))
            error.remove_class("-hidden")
            return
        self.dismiss(event.value)


class InfoDialog(DataDialog[None]):
    """Read-only text (the schema and indexes view)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,v", "close", "Close", id="data_info.close")
    ]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-wide"):
            yield Static(Content(self.title_text), id="title")
            with VerticalScroll(id="body"):
                yield Static(self.body)
            yield Static(Content("esc close"), id="hint")
