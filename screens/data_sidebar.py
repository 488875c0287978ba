"""The Data pane's table list: tables with counts, the system tables on request, the palette's
"Table: …" entries, and the table the pane opens on (the last viewed here, else the largest).

A mixin of `DataScreen` (screens/data.py), which owns the state it reads.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.command import Hit, Hits, Provider
from textual.widgets import DataTable

from screens.data_grid import DataGridPane
from screens.data_messages import TablesLoaded
from tui.data import source
from tui.data.recent import default_table
from tui.safety.text import clean_line

if TYPE_CHECKING:
    from tui.data.recent import RecentTables


class DataTables(Provider):
    """Palette: "Table: <name>" opens any table of the deployment."""

    async def search(self, query: str) -> Hits:
        screen = self.screen
        if not isinstance(screen, DataSidebar):
            return
        matcher = self.matcher(query)
        for entry in screen.tables:
            title = f"Table: {entry.name}"
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(title), lambda n=entry.name: screen.open_table(n)
                )


class DataSidebar(DataGridPane):
    if TYPE_CHECKING:
        recent: RecentTables
        _show_system: bool
        _table_filter: str

    @property
    def deployment_key(self) -> str:
        return self.host.context.settings.url

    def refresh_tables(self) -> None:
        if self.client is None:
            self._message("Connecting to the deployment…")
            return
        self._meta_ready.clear()
        self._load_tables()
        # The table last open (or last viewed on this deployment) loads beside the list, so
        # its first page paints with it; otherwise the list decides (the largest table).
        name = self.table or self.recent.get(self.deployment_key)
        if name is not None:
            self.open_table(name, keep_filter=name == self.table)

    @work(group="tables", exclusive=True, exit_on_error=False, description="list tables")
    async def _load_tables(self) -> None:
        # The deployment's schema and shapes come with the list: opening a table then costs
        # one page request, and its columns are right on the first paint.
        tables, meta = await asyncio.gather(
            source.list_tables(self.client, system=self._show_system),
            source.deployment_meta(self.client),
        )
        self.post_message(TablesLoaded(tables, meta))

    @on(TablesLoaded)
    def _tables_loaded(self, message: TablesLoaded) -> None:
        self.tables = message.tables
        self.tables_error = False
        self.deployment = message.meta
        self._meta_ready.set()
        self._message(None)
        self._render_tables()
        names = [(t.name, t.count, t.system) for t in self.tables]
        if self.table is not None and any(n == self.table for n, _, _ in names):
            if self.count is None:
                self.count = self._listed_count(self.table)
                self._render_grid()
            return
        name = default_table(names, self.recent.get(self.deployment_key))
        if name is None:
            self._show_position()
            return
        self.open_table(name)
        focused = self.focused
        if focused is None or focused.id == "tables":
            self.grid.focus()  # the pane opened on a table: its documents have the keys

    def _render_tables(self) -> None:
        widget = self.query_one("#tables", DataTable)
        keep = self.table
        widget.clear()
        needle = self._table_filter.lower()
        for entry in self.tables:
            if needle and needle not in entry.name.lower():
                continue
            style = "italic" if entry.system else ""
            widget.add_row(
                _count_cell(entry.count),
                Text(clean_line(entry.name), style=style),
                key=entry.name,
            )
        self._subtitle()
        if keep is not None and keep in widget.rows:
            widget.move_cursor(row=widget.get_row_index(keep), animate=False)

    def _subtitle(self) -> None:
        users = [t for t in self.tables if not t.system]
        total = sum(t.count or 0 for t in users)
        self.query_one("#tables", DataTable).border_subtitle = f"{len(users)} · {total:,} docs" + (
            " · +system" if self._show_system else ""
        )

    def _listed_count(self, table: str) -> int | None:
        return next((t.count for t in self.tables if t.name == table), None)

    def _set_listed_count(self, table: str, count: int | None) -> None:
        """A live count: the list's cell and subtitle change, nothing else is redrawn."""
        self.tables = [
            source.TableEntry(t.name, count, t.system) if t.name == table else t
            for t in self.tables
        ]
        widget = self.query_one("#tables", DataTable)
        if table in widget.rows:
            widget.update_cell(table, "count", _count_cell(count))
        self._subtitle()

    def _remember(self, table: str) -> None:
        widget = self.query_one("#tables", DataTable)
        if table in widget.rows and widget.cursor_row != widget.get_row_index(table):
            widget.move_cursor(row=widget.get_row_index(table), animate=False)
        if not source.is_system(table):
            self.recent.save(self.deployment_key, table)

    def action_toggle_system(self) -> None:
        self._show_system = not self._show_system
        self._load_tables()

    @on(DataTable.RowSelected, "#tables")
    def _table_chosen(self, event: DataTable.RowSelected) -> None:
        self.open_table(str(event.row_key.value))
        self.grid.focus()

    def action_open(self) -> None:
        focused: Any = self.focused
        if isinstance(focused, DataTable):
            focused.action_select_cursor()
        elif focused is self.grid:
            self.grid.action_choose()


def _count_cell(count: int | None) -> Text:
    return Text("" if count is None else f"{count:,}", justify="right")
