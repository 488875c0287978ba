"""The Data pane's filter bars (the table list's and the documents'), and its message lines.

A mixin of `DataScreen` (screens/data.py), which owns the state it reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.widgets import DataTable, Input, Static

from screens.data_live import DataLive
from screens.widgets.doc_grid import DocGrid
from tui.data import source
from tui.data.filters import FilterExpr, FilterSyntaxError, parse_filter
from tui.safety.text import clean_line


class DataFilter(DataLive):
    if TYPE_CHECKING:
        _table_filter: str

        def _render_tables(self) -> None: ...

        def _reload_window(self, *, reverse: bool) -> None: ...

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
        self.query_one("#grid", DocGrid).focus()
        self._reload_window(reverse=False)
        return True

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
        if self.table:
            self.query_one("#grid", DocGrid).focus()
        else:
            self.query_one("#tables", DataTable).focus()

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
