"""Data pane: tables with counts, a paged documents grid with flat memory, filters, detail, edits.

The grid holds only the bounded window of pages (`tui.data.window.PageWindow`): moving the
cursor near either edge fetches the next page by cursor and drops the farthest one. "Jump to the
end" opens a window in the reversed order (one request) and shows it bottom-up. The first page
follows the server live (a subscription on the sync socket), paused while the pane is hidden.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from screens.bindings import to_bindings
from screens.data_view import PAGE_SIZE, CountReady, DataView, PageReady, TablesLoaded
from screens.widgets.cell_styles import kind_styles
from tui.convex.models import DocumentPage
from tui.data import source
from tui.data.cells import cell_text, columns, field_value
from tui.data.filters import FilterExpr
from tui.data.keys import DATA_KEYS
from tui.data.source import TableEntry, TableMeta
from tui.data.window import PageWindow
from tui.safety.text import clean_line

MAX_PAGES = 6  # at most 300 documents in memory, whatever the table's size
EDGE = 3  # rows from the window's edge that trigger the next fetch
CELL_WIDTH = 40


class DataTables(Provider):
    """Palette: "Table: <name>" opens any table of the deployment."""

    async def search(self, query: str) -> Hits:
        screen = self.screen
        if not isinstance(screen, DataScreen):
            return
        matcher = self.matcher(query)
        for entry in screen.tables:
            title = f"Table: {entry.name}"
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(title), lambda n=entry.name: screen.open_table(n)
                )


class DataScreen(DataView):
    CSS_PATH = "../styles/data.tcss"
    COMMANDS: ClassVar[set[Any]] = {DataTables}
    BINDINGS: ClassVar[list[BindingType]] = [
        *to_bindings(DATA_KEYS),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="data.clear_filter"),
    ]

    def __init__(self) -> None:
        super().__init__(name="data", id="pane-data")
        self.tables: list[TableEntry] = []
        self.table: str | None = None
        self.meta: TableMeta | None = None
        self.count: int | None = None
        self.expr = FilterExpr()
        self.window: PageWindow | None = None
        self.reversed = False
        self.columns: list[str] = []
        self.selected: set[str] = set()
        self.changed: set[str] = set()
        self.live = True
        self.generation = 0
        self._show_system = False
        self._table_filter = ""
        self._loading = False
        self._live_worker: Worker[None] | None = None
        self._visible = True
        self._cells: dict[str, tuple[dict[str, Any], list[Text]]] = {}
        self._styles: dict[Any, Any] = {}
        self._position_text = ""

    # ------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield Input(
                    placeholder="filter tables (esc clears)", id="table-filter", classes="-hidden"
                )
                tables: DataTable[Text] = DataTable(id="tables", cursor_type="row")
                tables.border_title = "Tables"
                yield tables
            with Vertical(id="main"):
                yield Input(
                    placeholder="status = pending and priority >= 3 · @index … (esc clears)",
                    id="doc-filter",
                    classes="-hidden",
                )
                yield Static(id="filter-error", classes="-hidden")
                yield Static(id="message", classes="-hidden")
                grid: DataTable[Text] = DataTable(id="grid", cursor_type="row", zebra_stripes=True)
                grid.border_title = "Documents"
                yield grid
                yield ProgressBar(id="progress", classes="-hidden", show_eta=False)
                yield Static(id="position")

    def on_mount(self) -> None:
        tables = self.query_one("#tables", DataTable)
        # Counts first: at 80 columns a long name (authVerificationCodes) would push them off.
        tables.add_column("docs", key="count")
        tables.add_column("table", key="name")
        self.watch(self.app, "context", lambda _: self.retarget(), init=False)
        self.watch(self.app, "convex_generation", lambda _: self.refresh_tables(), init=True)
        self.watch(self.app, "deploy_generation", lambda _: self.refresh_tables(), init=False)
        self.watch(self.app, "theme", self._theme_changed, init=True)
        tables.focus()
        self._show_position()

    def _theme_changed(self, _theme: str) -> None:
        self._styles = kind_styles(self.app.get_css_variables())
        self._cells.clear()
        if self.window is not None:
            self.columns = []
            self._render_grid(self._cursor_id())

    def _cursor_id(self) -> str | None:
        doc = self.cursor_doc()
        return str(doc["_id"]) if doc else None

    def on_screen_suspend(self) -> None:
        self._visible = False
        self._stop_live()

    def on_screen_resume(self) -> None:
        self._visible = True
        self._start_live()

    def retarget(self) -> None:
        self.generation += 1
        self._stop_live()
        self.workers.cancel_node(self)
        self.tables, self.table, self.meta, self.window = [], None, None, None
        self.selected.clear()
        self.query_one("#grid", DataTable).clear(columns=True)
        self._render_tables()
        self._show_position()

    @property
    def client(self) -> Any:
        return self.host.convex

    # ------------------------------------------------------------ tables

    def refresh_tables(self) -> None:
        if self.client is None:
            self._message("Connecting to the deployment…")
            return
        self._load_tables()
        if self.table is not None:
            self.open_table(self.table, keep_filter=True)

    @work(group="tables", exclusive=True, exit_on_error=False, description="list tables")
    async def _load_tables(self) -> None:
        tables = await source.list_tables(self.client, system=self._show_system)
        self.post_message(TablesLoaded(tables))

    @on(TablesLoaded)
    def _tables_loaded(self, message: TablesLoaded) -> None:
        self.tables = message.tables
        self._message(None)
        self._render_tables()

    def _render_tables(self) -> None:
        widget = self.query_one("#tables", DataTable)
        keep = self.table
        widget.clear()
        needle = self._table_filter.lower()
        for entry in self.tables:
            if needle and needle not in entry.name.lower():
                continue
            count = "" if entry.count is None else f"{entry.count:,}"
            style = "italic" if entry.system else ""
            widget.add_row(
                Text(count, justify="right"),
                Text(clean_line(entry.name), style=style),
                key=entry.name,
            )
        users = [t for t in self.tables if not t.system]
        total = sum(t.count or 0 for t in users)
        widget.border_subtitle = f"{len(users)} · {total:,} docs" + (
            " · +system" if self._show_system else ""
        )
        if keep is not None and keep in widget.rows:
            widget.move_cursor(row=widget.get_row_index(keep), animate=False)

    def action_toggle_system(self) -> None:
        self._show_system = not self._show_system
        self._load_tables()

    # ------------------------------------------------------------ opening a table

    def open_table(self, name: str, *, keep_filter: bool = False) -> None:
        if self.client is None:
            return
        if name != self.table or not keep_filter:
            self.expr = FilterExpr(order=self.expr.order)
            self.query_one("#doc-filter", Input).value = ""
            self._hide("#doc-filter", "#filter-error")
            self.selected.clear()
        self.table = name
        self.reversed = False
        self.changed.clear()
        self._stop_live()
        self.generation += 1
        grid = self.query_one("#grid", DataTable)
        if grid.border_title != clean_line(name):
            grid.border_title = clean_line(name)
        self._load_table(self.generation, name)

    @work(group="page", exclusive=True, exit_on_error=False, description="open table")
    async def _load_table(self, generation: int, name: str) -> None:
        self._loading = True
        window = self._new_window(name, self.expr)
        try:
            # The first page paints as soon as it (and the column order) is here; counting a
            # big table can take longer, so the count follows.
            meta, _ = await asyncio.gather(
                source.table_meta(self.client, name), window.load_first()
            )
        finally:
            self._loading = False
        if generation != self.generation:
            return
        self.meta, self.count, self.window = meta, None, window
        self.post_message(PageReady(generation, at="top"))
        count = await source.count(self.client, name)
        self.post_message(CountReady(generation, count))

    @on(CountReady)
    def _count_ready(self, message: CountReady) -> None:
        if message.generation == self.generation:
            self.count = message.count
            self._show_position()

    def _new_window(self, name: str, expr: FilterExpr) -> PageWindow:
        client = self.client

        async def fetch(cursor: str | None) -> DocumentPage:
            return await source.fetch_page(client, name, cursor, expr, PAGE_SIZE)

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
        self._stop_live()
        self._reopen(self.generation, self.table)

    @work(group="page", exclusive=True, exit_on_error=False, description="load documents")
    async def _reopen(self, generation: int, name: str) -> None:
        window = self._new_window(name, self.effective_expr)
        await window.load_first()
        if generation == self.generation:
            self.window = window
            self.post_message(PageReady(generation, at="bottom" if self.reversed else "top"))

    # ------------------------------------------------------------ the grid

    def display_rows(self) -> list[dict[str, Any]]:
        rows = self.window.rows() if self.window else []
        return rows[::-1] if self.reversed else rows

    @on(PageReady)
    def _page_ready(self, message: PageReady) -> None:
        if message.generation != self.generation:
            return
        self._render_grid(message.keep, message.at, append=message.append)
        if self.window is not None and self.window.errors:
            self._filter_error("; ".join(self.window.errors))
        self._start_live()

    def _render_grid(self, keep: str | None = None, at: str = "", *, append: bool = False) -> None:
        grid = self.query_one("#grid", DataTable)
        rows = self.display_rows()
        meta = self.meta
        cols = columns(meta.declared if meta else (), meta.inferred if meta else (), rows)
        if cols != self.columns:
            self._cells.clear()
        body = [self._row_cells(doc, cols) for doc in rows]
        self._cells = {str(doc["_id"]): (doc, cells) for doc, cells in zip(rows, body, strict=True)}
        shown = [str(k.value) for k in grid.rows]
        ids = [str(doc["_id"]) for doc in rows]
        if cols != self.columns:
            # Fixed widths from the first page: columns never jump as pages come and go.
            self.columns = cols
            grid.clear(columns=True)
            grid.add_column(" ", key="·", width=1)
            for i, c in enumerate(cols):
                width = max([len(c), *(len(r[i + 1].plain) for r in body)])
                grid.add_column(clean_line(c), key=c, width=min(width, CELL_WIDTH))
            start = 0
        elif append and (start := _common_tail(shown, ids)) >= 0:
            # Scrolling on drops rows at the top and adds rows at the bottom: move only those.
            for key in shown[: len(shown) - start]:
                grid.remove_row(key)
        else:
            grid.clear()
            start = 0
        for doc_id, cells in zip(ids[start:], body[start:], strict=True):
            grid.add_row(*self._marked(doc_id, cells), key=doc_id)
        if keep is not None and keep in grid.rows:
            grid.move_cursor(row=grid.get_row_index(keep), animate=False)
        elif at == "bottom" and grid.row_count:
            grid.move_cursor(row=grid.row_count - 1, animate=False)
        elif at == "top":
            grid.move_cursor(row=0, animate=False)
        self._show_position()

    def _row_cells(self, doc: dict[str, Any], cols: list[str]) -> list[Text]:
        """A document's cells, computed once per document object (pages are re-rendered often)."""
        doc_id = str(doc["_id"])
        cached = self._cells.get(doc_id)
        if cached is not None and cached[0] is doc:
            return cached[1]
        styles = self._styles
        cells = [Text(" ")]
        for c in cols:
            text, kind = cell_text(field_value(doc, c), c, CELL_WIDTH, compact_ids=True)
            cells.append(Text(text, style=styles.get(kind, ""), no_wrap=True, overflow="ellipsis"))
        return cells

    def _marked(self, doc_id: str, cells: list[Text]) -> list[Text]:
        mark = "■" if doc_id in self.selected else ("•" if doc_id in self.changed else " ")
        return [Text(mark, style="bold"), *cells[1:]]

    def cursor_doc(self) -> dict[str, Any] | None:
        grid = self.query_one("#grid", DataTable)
        rows = self.display_rows()
        if not rows or not grid.row_count:
            return None
        return rows[min(grid.cursor_row, len(rows) - 1)]

    @on(DataTable.RowHighlighted, "#grid")
    def _grid_moved(self, event: DataTable.RowHighlighted) -> None:
        self._show_position()
        window = self.window
        if window is None or self._loading:
            return
        n = event.data_table.row_count
        # The grid's cursor now, not the event's: a re-render's clear() queues a highlight of
        # row 0 that is stale once the cursor is back on its document.
        row = event.data_table.cursor_row
        if row >= n - 1 - EDGE:
            forward = not self.reversed
            if window.at_end if forward else window.at_start:
                return
            self._loading = True
            self._fetch_more(self.generation, window, forward, "bottom")
        elif row <= EDGE:
            forward = self.reversed
            if window.at_end if forward else window.at_start:
                return
            self._loading = True
            self._fetch_more(self.generation, window, forward, "top")

    @work(group="more", exclusive=True, exit_on_error=False, description="next page")
    async def _fetch_more(
        self, generation: int, window: PageWindow, forward: bool, edge: str
    ) -> None:
        doc = self.cursor_doc()
        try:
            moved = await (window.forward() if forward else window.back())
        finally:
            self._loading = False
        if moved and generation == self.generation:
            keep = str(doc["_id"]) if doc else None
            self.post_message(PageReady(generation, keep, edge, append=forward != self.reversed))

    def _show_position(self) -> None:
        label = self.query_one("#position", Static)
        window, grid = self.window, self.query_one("#grid", DataTable)
        if self.table is None:
            self._set_position(label, "enter opens a table · S system tables")
            return
        if window is None:
            self._set_position(label, "loading…")
            return
        n = len(self.display_rows())
        total = (
            self.count if not self.expr.active else (window.seen_rows if window.complete else None)
        )
        before = window.offset
        if self.reversed:
            from_end = before + (n - 1 - grid.cursor_row) if n else 0
            pos = f"{total - from_end:,}" if total is not None else f"{from_end + 1:,} from the end"
        else:
            pos = f"{before + grid.cursor_row + 1:,}" if n else "0"
        of = f"{total:,}" if total is not None else f"≥{window.seen_rows:,}"
        order = "newest first" if self.expr.order == "desc" else "oldest first"
        if not n and window.complete:
            empty = "no documents match the filter" if self.expr.active else "no documents yet"
            parts = [empty, "a adds one" if not source.is_system(self.table) else order]
        else:
            parts = [f"row {pos} of {of}", order]
        if self.expr.active:
            parts.append(f"filter: {clean_line(self.expr.text(), 60)}")
        if self.selected:
            parts.append(f"{len(self.selected)} selected")
        if self.live and self._live_worker is not None:
            parts.append("live")
        self._set_position(label, " · ".join(parts))

    def _set_position(self, label: Static, text: str) -> None:
        # Called on every cursor move: repaint only when the words change.
        if text != self._position_text:
            self._position_text = text
            label.update(Text(text), layout=False)  # a fixed one-line box

    # ------------------------------------------------------------ navigation

    @on(DataTable.RowSelected, "#tables")
    def _table_chosen(self, event: DataTable.RowSelected) -> None:
        self.open_table(str(event.row_key.value))
        self.query_one("#grid", DataTable).focus()

    @on(DataTable.RowSelected, "#grid")
    def _doc_chosen(self, event: DataTable.RowSelected) -> None:
        doc = self.cursor_doc()
        if doc is not None and self.table is not None:
            self.show_document(self.table, doc)

    def action_open(self) -> None:
        focused = self.focused
        if isinstance(focused, DataTable):
            focused.action_select_cursor()

    def action_jump_start(self) -> None:
        self._reload_window(reverse=False)

    def action_jump_end(self) -> None:
        self._reload_window(reverse=True)

    def action_toggle_order(self) -> None:
        self.expr = self.expr.with_order("asc" if self.expr.order == "desc" else "desc")
        self._reload_window(reverse=False)

    def action_select(self) -> None:
        doc = self.cursor_doc()
        if doc is None:
            return
        doc_id = str(doc["_id"])
        self.selected.symmetric_difference_update({doc_id})
        self._render_grid(keep=doc_id)

    def action_refresh(self) -> None:
        self.refresh_tables()

    # ------------------------------------------------------------ errors (one place)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        stopped = event.state in (WorkerState.ERROR, WorkerState.CANCELLED)
        if worker.group == "live" and stopped and worker is self._live_worker:
            self._live_worker = None
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        self._loading = False
        if worker.group == "tables":
            self._message(f"Cannot read the tables: {clean_line(str(error))} — r retries.")
        self.notify(
            f"{worker.description}: {clean_line(str(error))}",
            title="Error",
            severity="error",
            markup=False,
        )


def _common_tail(shown: list[str], ids: list[str]) -> int:
    """How many of ``ids`` the grid already shows as its last rows, in order (the rest are
    new rows to append); -1 when the grid cannot be updated by dropping from its top."""
    if not shown:
        return 0
    try:
        at = ids.index(shown[-1])
    except ValueError:
        return -1
    kept = at + 1
    if kept > len(shown) or shown[len(shown) - kept :] != ids[:kept]:
        return -1
    return kept
