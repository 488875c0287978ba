"""The Data pane's documents grid: opening a table, paging ahead of the cursor, the position line.

The grid (`DocGrid`) paints only the rows in view; the window (`PageWindow`) holds at most
``MAX_PAGES`` pages. Whenever the cursor or the view comes within ``PREFETCH`` rows of the
window's edge, the next page is fetched by cursor (the farthest page is dropped), so a held
key never waits on the network. "Jump to the end" opens a window in the reversed order (one
request) and fills the grid from the bottom.

A mixin of `DataScreen` (screens/data.py), which owns the state it reads.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.widgets import Input, Static

from screens.data_filter import DataFilter
from screens.data_messages import (
    MAX_PAGES,
    PREFETCH,
    CountReady,
    IndexesReady,
    PageReady,
    page_size,
)
from screens.widgets.doc_grid import DocGrid, GridColumn, GridRow
from tui.data import source
from tui.data.filters import FilterExpr
from tui.data.view import GridCells, place, position_text
from tui.data.window import PageWindow
from tui.safety.text import clean_line

if TYPE_CHECKING:
    from tui.convex.models import DocumentPage
    from tui.data.source import DeploymentMeta, TableEntry
    from tui.data.view import Placement

META_WAIT = 10.0  # seconds a first page waits for the schema and shapes before painting


class DataGridPane(DataFilter):
    if TYPE_CHECKING:
        tables: list[TableEntry]
        deployment: DeploymentMeta | None
        _meta_ready: asyncio.Event

        def _remember(self, table: str) -> None: ...

        def _listed_count(self, table: str) -> int | None: ...

        def _set_listed_count(self, table: str, count: int | None) -> None: ...

        def refresh_tables(self) -> None: ...

        def _load_tables(self) -> Any: ...

    reversed = False
    placement: Placement | None = None
    view: tuple[int, int, int] = (0, 0, 0)
    cells: GridCells | None = None
    _loading = False
    _fetching: PageWindow | None = None
    _position_text = ""
    tables_error = False  # the last table list request failed (the message line says why)

    @property
    def grid(self) -> DocGrid:
        return self.query_one("#grid", DocGrid)

    @property
    def busy(self) -> bool:
        """A page request for this view is in flight (tests and the bench wait on it)."""
        return self._loading or self._fetching is not None

    # ------------------------------------------------------------ opening a table

    def open_table(self, name: str, *, keep_filter: bool = False) -> None:
        if self.client is None:
            return
        if name != self.table or not keep_filter:
            self.expr = FilterExpr(order=self.expr.order)
            self.query_one("#doc-filter", Input).value = ""
            self._hide("#doc-filter", "#filter-error")
            self.selected.clear()
        if name != self.table:
            self.cells = None
        self.table = name
        self.reversed = False
        self.changed.clear()
        self._stop_live()
        self.generation += 1
        self._fetching = None
        self.count = self._listed_count(name)
        grid = self.grid
        title = clean_line(name)
        if grid.border_title != title:
            grid.border_title = title
        self._remember(name)
        self._load_table(self.generation, name)

    @work(group="page", exclusive=True, exit_on_error=False, description="open table")
    async def _load_table(self, generation: int, name: str) -> None:
        self._loading = True
        window = self._new_window(name, self.expr)
        try:
            # The page and the deployment's schema/shapes (read with the table list) arrive
            # together, so the columns are right on the first paint and never reorder.
            await asyncio.gather(window.load_first(), self._wait_meta())
        finally:
            self._loading = False
        if generation != self.generation:
            return
        self.window = window
        self.post_message(PageReady(generation, at="top"))
        self.post_message(IndexesReady(generation, await source.table_indexes(self.client, name)))

    async def _wait_meta(self) -> None:
        try:
            async with asyncio.timeout(META_WAIT):
                await self._meta_ready.wait()
        except TimeoutError:
            pass  # the page paints with the columns its documents have

    @on(IndexesReady)
    def _indexes_ready(self, message: IndexesReady) -> None:
        if message.generation == self.generation and self.meta is not None:
            self.meta = dataclasses.replace(self.meta, indexes=message.indexes)

    @on(CountReady)
    def _count_ready(self, message: CountReady) -> None:
        if message.generation != self.generation or message.table != self.table:
            return
        if message.count != self.count:
            self.count = message.count
            self._set_listed_count(message.table, message.count)
            self._render_grid()

    def _new_window(self, name: str, expr: FilterExpr) -> PageWindow:
        client = self.client

        async def fetch(cursor: str | None) -> DocumentPage:
            return await source.fetch_page(client, name, cursor, expr, page_size(cursor))

        return PageWindow(fetch, max_pages=MAX_PAGES)

    @property
    def effective_expr(self) -> FilterExpr:
        """The expression the window pages with (reversed order after jumping to the end)."""
        if not self.reversed:
            return self.expr
        return self.expr.with_order("asc" if self.expr.order == "desc" else "desc")

    def _reload_window(self, *, reverse: bool) -> None:
        if self.table is None:
            return
        self.reversed = reverse
        self.generation += 1
        self._fetching = None
        self._stop_live()
        self._reopen(self.generation, self.table)

    @work(group="page", exclusive=True, exit_on_error=False, description="load documents")
    async def _reopen(self, generation: int, name: str) -> None:
        self._loading = True
        window = self._new_window(name, self.effective_expr)
        try:
            await window.load_first()
        finally:
            self._loading = False
        if generation == self.generation:
            self.window = window
            self.post_message(PageReady(generation, at="bottom" if self.reversed else "top"))

    # ------------------------------------------------------------ the grid

    @on(PageReady)
    def _page_ready(self, message: PageReady) -> None:
        if message.generation != self.generation or self.table is None:
            return
        if message.at and (self.meta is None or self.meta.name != self.table):
            self.meta = source.meta_for(self.deployment or source.DeploymentMeta(), self.table)
        if self.cells is None:
            meta = self.meta
            self.cells = GridCells(meta.declared if meta else (), meta.inferred if meta else ())
        self._render_grid(message.at)
        if self.window is not None and self.window.errors:
            self._filter_error("; ".join(self.window.errors))
        if self.live:
            self._schedule_live()

    def _render_grid(self, at: str = "") -> None:
        """Hand the window to the grid. Rows already on screen that did not change are not
        repainted; the cursor stays on its document (or goes to ``at``: "top"/"bottom")."""
        grid, window, cells = self.grid, self.window, self.cells
        if window is None or cells is None:
            self.placement = None
            grid.set_rows(0, [], 0)
            self._show_position()
            return
        rows = window.rows()
        ids = [str(d["_id"]) for d in rows]
        cells.keep_only(ids)
        relayout = cells.add(rows)
        if at:  # a new window: widths from its first page, before anything paints
            relayout = cells.measure(window.pages.get(window.first, ())) or relayout
        if relayout or at:
            self._apply_columns()
        if self.reversed:
            ids.reverse()
        known = None if self.expr.active or source.is_system(self.table or "") else self.count
        p = self.placement = place(window, reversed_=self.reversed, known_total=known)
        if at == "top":
            grid.set_rows(p.first, ids, p.total, cursor=p.first, align="top")
        elif at == "bottom":
            grid.set_rows(p.first, ids, p.total, cursor=p.first + p.count - 1, align="bottom")
        else:
            grid.set_rows(p.first, ids, p.total)
        self._show_position()
        if at:
            self.call_after_refresh(self._maybe_fetch)  # a new window paints before it reads on
        else:
            self._maybe_fetch()

    def _apply_columns(self) -> None:
        cells = self.cells
        if cells is not None:
            cells.widened = False
            self.grid.set_columns(
                [
                    GridColumn(c, clean_line(c), w)
                    for c, w in zip(cells.columns, cells.widths, strict=True)
                ]
            )

    def grid_row(self, key: str) -> GridRow | None:
        """The grid asks for a row's cells only when the row comes into view; a wider value
        widens its column once this frame is painted."""
        cells = self.cells.cells(key) if self.cells is not None else None
        if cells is None:
            return None
        if self.cells is not None and self.cells.widened:
            self.cells.widened = False
            self.call_later(self._apply_columns)
        mark = "■" if key in self.selected else ("•" if key in self.changed else " ")
        return GridRow(key, cells, mark)

    def cursor_doc(self) -> dict[str, Any] | None:
        key = self.grid.cursor_key
        if key is None or self.cells is None:
            return None
        return self.cells.doc(key)

    @on(DocGrid.ViewChanged, "#grid")
    def _view_moved(self, message: DocGrid.ViewChanged) -> None:
        message.stop()
        self.view = (message.cursor, message.top, message.bottom)
        self._show_position()
        self._maybe_fetch()
        if self.live and self.window is not None:
            self._schedule_live()

    def _maybe_fetch(self) -> None:
        """Keep ``PREFETCH`` rows loaded beyond the view and the cursor, in both directions."""
        window, p = self.window, self.placement
        if window is None or p is None or self._loading or self._fetching is not None:
            return
        cursor, top, bottom = self.view
        more_below = not (window.at_start if self.reversed else window.at_end)
        more_above = not (window.at_end if self.reversed else window.at_start)
        if max(cursor, bottom) + PREFETCH > p.first + p.count and more_below:
            forward = not self.reversed
        elif min(cursor, top) - PREFETCH < p.first and more_above:
            forward = self.reversed
        else:
            return
        self._fetching = window
        self._fetch_more(self.generation, window, forward)

    @work(group="more", exit_on_error=False, description="next page")
    async def _fetch_more(self, generation: int, window: PageWindow, forward: bool) -> None:
        try:
            await (window.forward() if forward else window.back())
        finally:
            if self._fetching is window:
                self._fetching = None
        if generation == self.generation:
            self.post_message(PageReady(generation))

    def _show_position(self) -> None:
        label = self.query_one("#position", Static)
        window, p = self.window, self.placement
        if self.table is None:
            text = "loading tables…" if not self.tables else "enter opens a table · S system tables"
            if self.tables_error:
                text = "the tables could not be read · r retries"
            if self.tables and not any(not t.system for t in self.tables):
                text = "no tables yet · S shows the system tables"
            self._set_position(label, text)
            return
        if window is None or p is None:
            self._set_position(label, "loading…")
            return
        order = "newest first" if self.expr.order == "desc" else "oldest first"
        if not p.count and window.complete:
            empty = "no documents match the filter" if self.expr.active else "no documents yet"
            parts = [empty, "a adds one" if not source.is_system(self.table) else order]
        else:
            parts = [position_text(p, self.grid.cursor_row), order]
        if self.expr.active:
            parts.append(f"filter: {clean_line(self.expr.text(), 60)}")
        if self.selected:
            parts.append(f"{len(self.selected)} selected")
        if self.live and self.is_live:
            parts.append("live")
        self._set_position(label, " · ".join(parts))

    def _set_position(self, label: Static, text: str) -> None:
        # Called on every cursor move: repaint only when the words change.
        if text != self._position_text:
            self._position_text = text
            label.update(Text(text), layout=False)  # a fixed one-line box

    # ------------------------------------------------------------ navigation

    @on(DocGrid.RowChosen, "#grid")
    def _doc_chosen(self, event: DocGrid.RowChosen) -> None:
        doc = self.cells.doc(event.key) if self.cells is not None else None
        if doc is not None and self.table is not None:
            self.show_document(self.table, doc)

    def action_jump_start(self) -> None:
        window, p = self.window, self.placement
        if window is not None and p is not None and not self.reversed and window.at_start:
            self.grid.move_cursor(p.first)  # the start is loaded: no request
            return
        self._reload_window(reverse=False)

    def action_jump_end(self) -> None:
        window, p = self.window, self.placement
        if window is not None and p is not None and window.at_start and window.at_end:
            self.grid.move_cursor(p.first + p.count - 1)  # the whole result is loaded
            return
        self._reload_window(reverse=True)

    def action_toggle_order(self) -> None:
        self.expr = self.expr.with_order("asc" if self.expr.order == "desc" else "desc")
        self._reload_window(reverse=False)

    def action_select(self) -> None:
        key = self.grid.cursor_key
        if key is None:
            return
        self.selected.symmetric_difference_update({key})
        self.grid.refresh_keys([key])
        self._show_position()

    def action_refresh(self) -> None:
        self.refresh_tables()

    def _after_write_render(self) -> None:
        self._load_tables()
        self._render_grid()
        self.grid.refresh_keys()  # the re-read pages may differ anywhere on screen
