"""Data pane: tables with counts, a documents grid that paints only the rows in view over a
bounded window of pages, live pages, filters, detail, edits.

The pane is split by responsibility, one mixin per module, this class owning the state:
`DataSidebar` (the table list, screens/data_sidebar.py) over `DataGridPane` (opening a table,
paging ahead, the position line: screens/data_grid.py) over `DataFilter` (filter bars) over
`DataLive` (page and count subscriptions) over `DataDetail` (documents by id, the JSON detail)
over `DataEdits` (writes and export).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from screens.bindings import to_bindings
from screens.data_sidebar import DataSidebar, DataTables
from screens.widgets.cell_styles import kind_styles
from screens.widgets.doc_grid import DocGrid
from screens.widgets.tables import FittingTable
from tui.data.filters import FilterExpr
from tui.data.keys import DATA_KEYS
from tui.data.recent import RecentTables
from tui.data.source import DeploymentMeta, TableEntry, TableMeta
from tui.data.window import PageWindow
from tui.safety.text import clean_line

__all__ = ["DataScreen", "DataTables"]


class DataScreen(DataSidebar):
    CSS_PATH = "../styles/data.tcss"
    COMMANDS: ClassVar[set[Any]] = {DataTables}
    BINDINGS: ClassVar[list[BindingType]] = [
        *to_bindings(DATA_KEYS),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="data.clear_filter"),
    ]

    def __init__(self, *, recent: RecentTables | None = None) -> None:
        super().__init__(name="data", id="pane-data")
        self.tables: list[TableEntry] = []
        self.deployment: DeploymentMeta | None = None
        self.table: str | None = None
        self.meta: TableMeta | None = None
        self.count: int | None = None
        self.expr = FilterExpr()
        self.window: PageWindow | None = None
        self.selected: set[str] = set()
        self.changed: set[str] = set()
        self.live = True
        self.generation = 0
        self.recent = recent or RecentTables()
        self._meta_ready = asyncio.Event()
        self._live_workers = {}
        self._show_system = False
        self._table_filter = ""
        self._visible = True

    # ------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield Input(
                    placeholder="filter tables (esc clears)", id="table-filter", classes="-hidden"
                )
                tables: FittingTable[Any] = FittingTable(id="tables", cursor_type="row")
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
                grid = DocGrid(self.grid_row, id="grid")
                grid.border_title = "Documents"
                yield grid
                yield ProgressBar(id="progress", classes="-hidden", show_eta=False)
                yield Static(id="position", markup=False)

    def on_mount(self) -> None:
        tables = self.query_one("#tables", DataTable)
        # Counts first: at 80 columns a long name (authVerificationCodes) would push them off.
        tables.add_column("docs", key="count")
        tables.add_column("table", key="name")
        self.watch(self.app, "context", lambda _: self.retarget(), init=False)
        self.watch(self.app, "convex_generation", lambda _: self.refresh_tables(), init=True)
        self.watch(self.app, "deploy_generation", lambda _: self.refresh_tables(), init=False)
        self.watch(self.app, "theme", self._theme_changed, init=True)
        # The grid has the keys once a table opens; the list meanwhile.
        (self.grid if self.table else tables).focus()
        self._show_position()

    def _theme_changed(self, _theme: str) -> None:
        styles = kind_styles(self.app.get_css_variables())
        self.grid.set_kind_styles(cast("dict[str, Any]", styles))

    def on_screen_suspend(self) -> None:
        self._visible = False
        self._stop_live()

    def on_screen_resume(self) -> None:
        self._visible = True
        if self.live and self.window is not None:
            self.follow_view()

    def retarget(self) -> None:
        self.generation += 1
        self._stop_live()
        self.workers.cancel_node(self)
        self.tables, self.table, self.meta, self.window = [], None, None, None
        self.deployment, self.cells, self.placement, self.count = None, None, None, None
        self._loading, self._fetching = False, None
        self.selected.clear()
        self._render_grid()
        self.grid.border_title = "Documents"
        self._render_tables()
        self._show_position()

    @property
    def client(self) -> Any:
        return self.host.convex

    # ------------------------------------------------------------ errors (one place)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED, WorkerState.SUCCESS):
            self.on_worker_state_changed_live(worker)
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        if worker.group == "page":
            self._loading = False
        if worker.group == "tables":
            self._meta_ready.set()  # a page waiting for the schema paints without it
            self._message(f"Cannot read the tables: {clean_line(str(error))} — r retries.")
            self.tables_error = True
            self._show_position()
        self.notify(
            f"{worker.description}: {clean_line(str(error))}",
            title="Error",
            severity="error",
            markup=False,
        )
