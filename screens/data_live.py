"""The Data pane's live view: every page in view follows the server, and so does the count.

As the dashboard's paginated queries do, each page in view is one subscription on the sync
socket with the page's own start and end cursors (``endCursor`` pins its range), so a changed
document repaints where it stands, a deleted one disappears and an inserted one appears in its
page; the table's size (``tableSize``) is one more subscription. Subscriptions follow the view
once it settles (a held key does not churn them) and pause while the pane is hidden.

A mixin of `DataScreen` (screens/data.py), which owns the state it reads.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on
from textual.timer import Timer
from textual.worker import Worker

from screens.data_detail import DataDetail
from screens.data_messages import CountReady, LivePage, page_size
from tui.data import source
from tui.data.view import changed_ids

if TYPE_CHECKING:
    from screens.widgets.doc_grid import DocGrid
    from tui.data.filters import FilterExpr
    from tui.data.view import Placement

LIVE_SETTLE = 0.25  # seconds the view must rest before subscriptions follow it
Token = tuple[str | None, str | None]  # a page's (start, end) cursors


class DataLive(DataDetail):
    if TYPE_CHECKING:
        live: bool
        generation: int
        changed: set[str]
        _visible: bool
        placement: Placement | None
        view: tuple[int, int, int]

        @property
        def effective_expr(self) -> FilterExpr: ...

        def _render_grid(self, at: str = "") -> None: ...

        def _show_position(self) -> None: ...

        @property
        def grid(self) -> DocGrid: ...

    _live_workers: dict[int, tuple[Token, Worker[None]]]
    live_values = 0  # live page values received (tests wait on the first one)
    _count_worker: Worker[None] | None = None
    _live_timer: Timer | None = None

    @property
    def live_pages(self) -> list[int]:
        """Window pages followed now (tests and the position line read this)."""
        return sorted(self._live_workers)

    @property
    def is_live(self) -> bool:
        return bool(self._live_workers) or self._count_worker is not None

    def action_toggle_live(self) -> None:
        self.live = not self.live
        if self.live:
            self.follow_view()
        else:
            self._stop_live()
        self.notify("Live updates on." if self.live else "Live updates paused.", markup=False)
        self._show_position()

    def _schedule_live(self) -> None:
        """The view moved: follow it once it rests (one timer, restarted by every move)."""
        if self._live_timer is None:
            self._live_timer = self.set_timer(LIVE_SETTLE, self.follow_view)
        else:
            self._live_timer.reset()

    def follow_view(self) -> None:
        """Subscribe to the pages in view (and the count); drop the rest."""
        self._live_timer = None
        want = self._pages_in_view()
        for index, (token, worker) in list(self._live_workers.items()):
            if want.get(index) != token:
                worker.cancel()
                del self._live_workers[index]
        table, window = self.table, self.window
        for index, token in want.items():
            if index in self._live_workers or table is None or window is None:
                continue
            size = page_size(token[0])
            args = source.page_args(table, token[0], self.effective_expr, size, token[1])
            worker = self.run_worker(
                partial(self._follow_page, self.generation, index, token[0], args),
                group="live",
                exit_on_error=False,
                description=f"live page {index}",
            )
            self._live_workers[index] = (token, worker)
        if want and self._count_worker is None and table is not None:
            self._count_worker = self.run_worker(
                partial(self._follow_count, self.generation, table),
                group="live-count",
                exit_on_error=False,
                description="live count",
            )
        self._show_position()

    def _pages_in_view(self) -> dict[int, Token]:
        window, table, p = self.window, self.table, self.placement
        if not (self.live and self._visible and window and table and p and window.loaded):
            return {}
        if source.is_system(table) or self.client is None:
            return {}
        cursor, top, bottom = self.view
        pages: dict[int, Token] = {}
        for row in (cursor, *range(top, bottom)):
            k = p.window_row(row)
            index = window.page_of_row(k) if k is not None else None
            if index is not None and index not in pages:
                pages[index] = window.page_bounds(index)
        if not pages and window.complete and not window.rows():
            pages[0] = window.page_bounds(0)  # an empty table: follow it for its first rows
        return pages

    def _stop_live(self) -> None:
        for _, worker in self._live_workers.values():
            worker.cancel()
        self._live_workers = {}
        if self._count_worker is not None:
            self._count_worker.cancel()
            self._count_worker = None
        if self._live_timer is not None:
            self._live_timer.stop()
            self._live_timer = None

    async def _follow_page(
        self, generation: int, index: int, start: str | None, args: dict[str, Any]
    ) -> None:
        async with self.client.subscribe(source.PAGE_PATH, args) as sub:
            async for value in sub:
                self.post_message(LivePage(generation, index, start, source.parse_page(value)))

    async def _follow_count(self, generation: int, table: str) -> None:
        async with self.client.subscribe(source.SIZE_PATH, {"tableName": table}) as sub:
            async for value in sub:
                n = int(value) if isinstance(value, int | float) else None
                self.post_message(CountReady(generation, table, n))

    @on(LivePage)
    def _live_page(self, message: LivePage) -> None:
        window = self.window
        if message.generation != self.generation or window is None:
            return
        self.live_values += 1
        index = message.index
        if index not in window.pages or window.cursors[index] != message.start:
            return
        new = changed_ids(window.pages[index], message.page.docs)
        if not new and len(window.pages[index]) == len(message.page.docs):
            return
        self.changed |= new
        window.replace_page(index, message.page)
        self._render_grid()
        self.grid.refresh_keys(new)  # rows that changed in place repaint where they stand

    def on_worker_state_changed_live(self, worker: Worker[Any]) -> None:
        """A live worker ended (error or cancel): forget it, so the next settle restarts it."""
        if worker.group == "live-count" and worker is self._count_worker:
            self._count_worker = None
        for index, (_, w) in list(self._live_workers.items()):
            if w is worker:
                del self._live_workers[index]
