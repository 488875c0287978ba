"""The Data pane's document-level behaviour: documents by id, the filter bar, the live page.

A mixin of `DataScreen` (screens/data.py), which owns the state it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker

from screens.data_edits import DataEdits
from screens.pane import PaneTarget
from screens.widgets.data_dialogs import DocumentDialog, InfoDialog, PromptDialog
from tui.convex.ids import is_id
from tui.convex.models import DocumentPage
from tui.data import source
from tui.data.filters import FilterExpr, FilterSyntaxError, parse_filter
from tui.data.schema_view import schema_text
from tui.safety.text import clean_line

if TYPE_CHECKING:
    from tui.data.source import TableEntry

PAGE_SIZE = 50


@dataclass
class TablesLoaded(Message):
    tables: list[TableEntry]


@dataclass
class PageReady(Message):
    generation: int
    keep: str | None = None  # the document id to keep the cursor on
    at: str = ""  # "top"/"bottom": where to put the cursor when `keep` is gone
    append: bool = False  # rows were added at the bottom (the grid may just append)


@dataclass
class CountReady(Message):
    generation: int
    count: int | None


@dataclass
class LivePage(Message):
    generation: int
    page: DocumentPage


class DataView(DataEdits):
    if TYPE_CHECKING:
        tables: list[TableEntry]
        reversed: bool
        changed: set[str]
        live: bool
        generation: int
        _visible: bool
        _live_worker: Worker[None] | None

        def open_table(self, name: str, *, keep_filter: bool = False) -> None: ...

        def _render_tables(self) -> None: ...

        def _render_grid(self, keep: str | None = None, at: str = "") -> None: ...

        def _show_position(self) -> None: ...

        def _reload_window(self, *, reverse: bool) -> None: ...

        def _load_tables(self) -> Any: ...

        @property
        def effective_expr(self) -> FilterExpr: ...

    # ------------------------------------------------------------ documents by id

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

    # ------------------------------------------------------------ filters

    def action_filter(self) -> None:
        focused = self.focused
        if focused is not None and focused.id in ("tables", "table-filter"):
            box = self.query_one("#table-filter", Input)
        else:
            if self.table is None or source.is_system(self.table):
                self.notify("Open a user table to filter its documents.", markup=False)
                return
            box = self.query_one("#doc-filter", Input)
        box.remove_class("-hidden")
        box.focus()

    @on(Input.Changed, "#table-filter")
    def _table_filter_changed(self, event: Input.Changed) -> None:
        self._table_filter = event.value.strip()
        self._render_tables()

    @on(Input.Submitted, "#table-filter")
    def _table_filter_done(self) -> None:
        self.query_one("#tables", DataTable).focus()

    @on(Input.Submitted, "#doc-filter")
    def _doc_filter_submitted(self, event: Input.Submitted) -> None:
        self.apply_filter(event.value)

    def apply_filter(self, text: str) -> bool:
        indexes = self.meta.index_fields if self.meta else {}
        try:
            expr = parse_filter(text, self.expr.order, indexes)
        except FilterSyntaxError as exc:
            self._filter_error(str(exc))
            return False
        self._hide("#filter-error")
        self.expr = expr
        self.query_one("#grid", DataTable).focus()
        self._reload_window(reverse=False)
        return True

    def _after_write_render(self) -> None:
        self._load_tables()
        doc = self.cursor_doc()
        self.post_message(PageReady(self.generation, keep=str(doc["_id"]) if doc else None))

    def action_clear_filter(self) -> None:
        if self.cancel_clear():
            self.notify("Cancelling the clear after this page…", markup=False)
            return
        for box_id in ("#table-filter", "#doc-filter"):
            box = self.query_one(box_id, Input)
            if box.has_focus or not box.has_class("-hidden"):
                box.value = ""
                box.add_class("-hidden")
        self._hide("#filter-error")
        self._table_filter = ""
        self._render_tables()
        if self.expr.active:
            self.expr = FilterExpr(order=self.expr.order)
            self._reload_window(reverse=False)
        self.query_one("#grid" if self.table else "#tables", DataTable).focus()

    def _filter_error(self, text: str) -> None:
        box = self.query_one("#filter-error", Static)
        box.update(Text(clean_line(text)))
        box.remove_class("-hidden")

    def _message(self, text: str | None) -> None:
        box = self.query_one("#message", Static)
        if text is None:
            box.add_class("-hidden")
        else:
            box.update(Text(text))
            box.remove_class("-hidden")

    def _hide(self, *selectors: str) -> None:
        for sel in selectors:
            self.query_one(sel).add_class("-hidden")

    # ------------------------------------------------------------ live

    def action_toggle_live(self) -> None:
        self.live = not self.live
        if self.live:
            self._start_live()
        else:
            self._stop_live()
        self.notify("Live updates on." if self.live else "Live updates paused.", markup=False)
        self._show_position()

    def _start_live(self) -> None:
        window, table = self.window, self.table
        if not (self.live and self._visible and window and table and window.at_start):
            return
        if source.is_system(table) or self.client is None or self._live_worker is not None:
            return
        args = source.page_args(table, None, self.effective_expr, PAGE_SIZE)
        self._live_worker = self.run_worker(
            partial(self._follow, self.generation, args),
            group="live",
            exclusive=True,
            exit_on_error=False,
            description="live page",
        )

    def _stop_live(self) -> None:
        if self._live_worker is not None:
            self._live_worker.cancel()
            self._live_worker = None

    async def _follow(self, generation: int, args: dict[str, Any]) -> None:
        async with self.client.subscribe(source.PAGE_PATH, args) as sub:
            async for value in sub:
                self.post_message(LivePage(generation, source.parse_page(value)))

    @on(LivePage)
    def _live_page(self, message: LivePage) -> None:
        window = self.window
        if message.generation != self.generation or window is None or 0 not in window.pages:
            return
        old = {str(d["_id"]): d for d in window.pages[0]}
        changed = {str(d["_id"]) for d in message.page.docs if old.get(str(d["_id"])) != d}
        if not changed and len(old) == len(message.page.docs):
            return
        self.changed |= changed
        doc = self.cursor_doc()
        window.replace_page(0, message.page)
        self._render_grid(keep=str(doc["_id"]) if doc else None)
