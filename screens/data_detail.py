"""The Data pane's documents one at a time: by id (any table), the JSON tree detail, copy, and
the table's indexes and schema.

A mixin of `DataScreen` (screens/data.py), which owns the state it reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work

from screens.data_edits import DataEdits
from screens.pane import PaneTarget
from screens.widgets.data_dialogs import DocumentDialog, InfoDialog, PromptDialog
from tui.convex.ids import is_id
from tui.data.schema_view import schema_text
from tui.safety.text import clean_line


class DataDetail(DataEdits):
    if TYPE_CHECKING:

        def open_table(self, name: str, *, keep_filter: bool = False) -> None: ...

    def open_target(self, target: PaneTarget) -> None:
        if target.kind == "table":
            self.open_table(target.value)
        elif target.kind == "document":
            self.goto_document(target.value)

    def action_goto_id(self) -> None:
        def check(text: str) -> str | None:
            return None if is_id(text.strip()) else "not a document id"

        def chosen(text: str | None) -> None:
            if text:
                self.goto_document(text.strip())

        self.app.push_screen(
            PromptDialog("Open a document by id", check=check, placeholder="id"), chosen
        )

    @work(group="goto", exclusive=True, exit_on_error=False, description="open document")
    async def goto_document(self, doc_id: str) -> None:
        client = self.client
        if client is None:
            return
        doc = await client.get_document(doc_id)
        table = await client.table_for_id(doc_id) if doc is not None else None
        if doc is None or table is None:
            self.notify(f"No document {clean_line(doc_id)}.", severity="warning", markup=False)
            return
        if table != self.table:
            self.open_table(table)
        self.show_document(table, doc)

    def show_document(self, table: str, doc: dict[str, Any]) -> None:
        def done(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            what, doc_id = result
            if what == "open":
                self.goto_document(doc_id)
            elif what == "copy":
                self.app.copy_to_clipboard(doc_id)
                self.notify(f"Copied {doc_id}", markup=False)
            elif what == "edit":
                self.edit_document(doc)
            elif what == "delete":
                self.delete_documents([doc_id])

        self.app.push_screen(DocumentDialog(table, doc), done)

    def action_copy(self) -> None:
        doc = self.cursor_doc()
        if doc is not None:
            self.app.copy_to_clipboard(str(doc["_id"]))
            self.notify(f"Copied {doc['_id']}", markup=False)

    def action_schema(self) -> None:
        if self.meta is not None and self.table is not None:
            body = schema_text(self.meta, self.window.rows() if self.window else [])
            self.app.push_screen(InfoDialog(f"{self.table}: indexes and schema", Text(body)))
