"""The Logs pane (key `2`, and `l` on a container in the Status pane): function executions,
deployment events and container logs merged by time in one bounded, filterable view, with its
keys, filter and dialogs. How rows reach the screen is `LogArrivals`; the container half (which
containers, the chooser) is `LogContainers`. Only the visible lines are rendered (`LogLines`)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from screens.bindings import to_bindings
from screens.logs_arrivals import LogArrivals
from screens.logs_dialogs import (
    DetailScreen,
    ExportScreen,
    FacetChoices,
    FacetsScreen,
)
from screens.pane import PaneTarget
from screens.widgets.log_lines import LogLines
from screens.widgets.status_line import StatusLine
from tui.logs.buffer import DEFAULT_CAPACITY
from tui.logs.detail import detail_for
from tui.logs.filter import LogFilter
from tui.logs.function_loop import FunctionLogsOnLoop
from tui.logs.inbox import Inbox
from tui.logs.keys import LOGS_KEYS
from tui.logs.record import EVENTS, FUNCTIONS, Record, marker
from tui.logs.store import FilterStore
from tui.logs.view import LogView
from tui.safety.text import clean_line

SAVE_DELAY_S = 0.5  # a filter is remembered once typing pauses this long
CAPACITY_ENV = "CONVEX_TUI_LOG_BUFFER"


def _capacity() -> int:
    try:
        return max(1000, int(os.environ.get(CAPACITY_ENV, DEFAULT_CAPACITY)))
    except ValueError:
        return DEFAULT_CAPACITY


class LogsScreen(LogArrivals):
    CSS_PATH = "../styles/logs.tcss"
    BINDINGS = [
        *to_bindings(LOGS_KEYS),
        Binding("escape", "clear_query", "Clear filter", show=False, id="logs.clear_query"),
    ]

    def __init__(self, *, capacity: int | None = None, store: FilterStore | None = None) -> None:
        super().__init__(name="logs", id="pane-logs")
        self.store = store or FilterStore()
        self.view = LogView(capacity or _capacity())
        self.inbox = Inbox()
        self._functions: FunctionLogsOnLoop | None = None
        self._init_containers()
        self._init_arrivals()
        self._pending_target: PaneTarget | None = None
        self._ready = False
        self._deployment = ""
        self._unsaved: tuple[str, LogFilter] | None = None  # a filter to remember, and where
        self._save_timer: Timer | None = None

    # ------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        self.bar = StatusLine(id="logs-bar")
        self.lines = LogLines(self.view, id="log-lines")
        yield self.bar
        yield Input(placeholder="filter: text or regex, ! inverts (esc clears)", id="filter",
                    classes="-hidden")  # fmt: skip
        yield self.lines

    def on_mount(self) -> None:
        self._arrivals_mounted()
        self._retarget_filter()
        self.watch(self.app, "convex_generation", self._convex_ready, init=True)
        self.watch(self.app, "context", lambda _: self._retarget(), init=False)
        self.lines.focus()
        self._render_bar()
        self._ready = True
        self.start_containers()
        if self._pending_target is not None:
            target, self._pending_target = self._pending_target, None
            self.open_target(target)

    def on_unmount(self) -> None:
        self._arrivals_unmounted()
        if self._unsaved is not None:  # quit while typing: remembered all the same
            deployment, log_filter = self._unsaved
            self._unsaved = None
            with contextlib.suppress(OSError):
                self.store.save(deployment, log_filter)
        self._stop_functions()
        self.close_containers()

    # ------------------------------------------------------------ targets and sources

    def open_target(self, target: PaneTarget) -> None:
        if not self._ready:  # the first switch to the pane: apply once it is mounted
            self._pending_target = target
            return
        if target.kind == "container":
            self.follow_container(target.value)
            self.set_filter(self.view.filter.with_(sources=frozenset({target.value})))
        elif target.kind == "request":
            self.set_filter(self.view.filter.with_(request_id=target.value))

    @property
    def container_filter(self) -> str | None:
        """The container the view is narrowed to (the Status pane's `l`)."""
        sources = self.view.filter.sources
        return next(iter(sources)) if len(sources) == 1 else None

    def _retarget_filter(self) -> None:
        self._deployment = self.host.context.settings.url
        self.view.set_filter(self.store.load(self._deployment))

    def _retarget(self) -> None:
        """Another profile: new filters, new streams, a marker in the view."""
        self._stop_functions()
        self.workers.cancel_group(self, "events")
        self.stop_containers("not followed after the profile switch")
        self._retarget_filter()
        settings = self.host.context.settings
        self.inbox.put([marker(FUNCTIONS, f"switched to profile {settings.profile}")])
        self.lines.refresh_view()
        self._render_bar()
        self.start_containers()

    def _convex_ready(self, _generation: int) -> None:
        client = self.host.convex
        if client is None:
            return
        self._stop_functions()
        self._functions = FunctionLogsOnLoop(
            client.url, client.admin_key, self._emit, on_error=self._functions_failed
        ).start()
        self._follow_events()

    def _stop_functions(self) -> None:
        if self._functions is not None:
            self._functions.stop()
            self._functions = None

    def _functions_failed(self, exc: BaseException) -> None:  # a refused key…
        self.post_message(self.SourceFailed(f"function logs: {exc}"))

    @work(group="events", exclusive=True, exit_on_error=False, description="deployment events")
    async def _follow_events(self) -> None:
        from tui.logs.sources import follow_events

        client = self.host.convex
        if client is not None:
            # The last hour of events, then every new one (the dashboard starts at page load).
            await follow_events(client, self._emit, since_ms=(time.time() - 3600) * 1000)

    # ------------------------------------------------------------ the tick

    class SourceFailed(Message):
        """A source stopped for good (a refused key…), from its own thread."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    @on(SourceFailed)
    def _source_failed(self, event: SourceFailed) -> None:
        self.notify(event.text, title="Error", severity="error", markup=False)

    def _render_bar(self) -> None:
        v = self.view
        parts: list[tuple[str, str]] = []
        if v.follow:
            parts.append(("following", "bold"))
        else:
            parts.append((f"PAUSED · {v.arrived:,} new (G follows)", "bold reverse"))
        parts.append((f"{len(v.visible):,}/{len(v.buffer):,} rows", ""))
        if v.dropped:
            parts.append((f"{v.dropped:,} dropped (buffer {v.buffer.capacity:,})", "bold"))
        if v.lost:
            parts.append((f"{v.lost:,} lost (fell behind)", "bold"))
        if v.matcher.pattern is not None:
            count = v.match_count()
            at = v.match_ordinal(self.lines.cursor) if v.visible else 0
            parts.append((f"{at:,}/{count:,} matches", ""))
        desc = v.filter.describe()
        if desc:
            mode = "" if v.filter.narrow else " (highlight)"
            parts.append((f"filter {clean_line(desc, 60)}{mode}", ""))
        parts.append((self.containers_label(), ""))
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, (s, style) in enumerate(parts):
            if i:
                text.append(" · ")
            text.append(s, style)
        self.bar.update(text)

    # ------------------------------------------------------------ filter

    def set_filter(self, log_filter: LogFilter) -> None:
        self.view.set_filter(log_filter)
        self.lines.cursor = max(0, len(self.view.visible) - 1) if self.view.follow else 0
        self.lines.refresh_view()
        self._render_bar()
        self._save_soon(log_filter)

    def _save_soon(self, log_filter: LogFilter) -> None:
        """Remember the filter once typing pauses (SAVE_DELAY_S): a save per key started a
        thread per key, and the last to finish, not the last typed, won."""
        self._unsaved = (self._deployment, log_filter)
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY_S, self._save_now)

    def _save_now(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if self._unsaved is not None:
            deployment, log_filter = self._unsaved
            self._unsaved = None
            self._save_filter(deployment, log_filter)

    @work(thread=True, group="store", exit_on_error=False, description="remember filter")
    def _save_filter(self, deployment: str, log_filter: LogFilter) -> None:
        self.store.save(deployment, log_filter)

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.remove_class("-hidden")
        box.value = self.view.filter.query
        box.focus()

    @on(Input.Changed, "#filter")
    def _query_changed(self, event: Input.Changed) -> None:
        if event.value != self.view.filter.query:
            self.set_filter(self.view.filter.with_(query=event.value))

    @on(Input.Submitted, "#filter")
    def _query_submitted(self) -> None:
        self._save_now()
        if not self.query_one("#filter", Input).value:
            self.query_one("#filter", Input).add_class("-hidden")
        self.lines.focus()

    def action_clear_query(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-hidden")
        if self.view.filter.query:
            box.value = ""
            self.set_filter(self.view.filter.with_(query=""))
        self.lines.focus()

    def action_toggle_narrow(self) -> None:
        self.set_filter(self.view.filter.with_(narrow=not self.view.filter.narrow))

    def action_match(self, step: int) -> None:
        index = self.view.next_match(self.lines.cursor, forward=step > 0)
        if index is None:
            self.notify("No matches.", severity="warning", markup=False)
            return
        self._pause()
        self.lines.cursor = index
        self._render_bar()

    def action_same_request(self) -> None:
        row = self.lines.current()
        f = self.view.filter
        if f.request_id:
            self.set_filter(f.with_(request_id=""))
        elif row is not None and row.request_id:
            self.set_filter(f.with_(request_id=row.request_id))

    def action_facets(self) -> None:
        functions = sorted({r.function for r in self.view.buffer.rows if r.function})
        sources = [FUNCTIONS, EVENTS, *sorted(set(self.known_containers) | self.containers)]

        def done(result: object) -> None:
            if isinstance(result, LogFilter):
                self.set_filter(result)

        self.app.push_screen(
            FacetsScreen(self.view.filter, FacetChoices(tuple(functions), tuple(sources))), done
        )

    # ------------------------------------------------------------ follow / pause

    @on(LogLines.Paused)
    def _paused(self) -> None:
        self._pause()

    def _pause(self) -> None:
        self.view.pause()
        self._render_bar()

    def action_follow(self) -> None:
        self.view.resume()
        self.lines.refresh_view()
        self._render_bar()

    def action_toggle_follow(self) -> None:
        if self.view.follow:
            self._pause()
        else:
            self.action_follow()

    def action_toggle_time(self) -> None:
        self.lines.show_time = not self.lines.show_time

    def action_toggle_wrap(self) -> None:
        self.lines.wrap = not self.lines.wrap

    def action_clear(self) -> None:
        self.view.clear()
        self.lines.cursor = 0
        self.lines.refresh_view()
        self._render_bar()

    # ------------------------------------------------------------ detail

    def action_detail(self) -> None:
        row = self.lines.current()
        if row is None:
            return
        detail = detail_for(row, self.view.buffer.rows)
        if detail is None:
            self.notify(clean_line(row.display, 300), title=row.tag, markup=False, timeout=8)
            return

        def done(result: object) -> None:
            if isinstance(result, tuple) and result[0] == "document":
                self.host.open_in("data", PaneTarget("document", str(result[1])))

        self.app.push_screen(DetailScreen(detail), done)

    # ------------------------------------------------------------ export

    def action_export(self) -> None:
        stamp_ = time.strftime("%Y%m%d-%H%M%S")
        default = Path.home() / f"convex-logs-{stamp_}.log"

        def done(result: object) -> None:
            if isinstance(result, tuple):
                path, everything = result
                rows = list(self.view.buffer.rows if everything else self.view.visible)
                self._export(rows, path)

        self.app.push_screen(ExportScreen(default), done)

    @work(thread=True, group="export", exit_on_error=False, description="export logs")
    def _export(self, rows: list[Record], path: Path) -> None:
        from tui.logs.export import export

        n = export(rows, path)
        self.app.call_from_thread(
            self.notify, f"Exported {n:,} rows to {path}", title="Export", markup=False
        )

    # ------------------------------------------------------------ worker errors

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        worker = event.worker
        text = f"{worker.description} stopped: {worker.error}"
        self.inbox.put([marker(FUNCTIONS, text, trouble=True)])
        self.notify(
            f"{worker.description}: {worker.error}", title="Error", severity="error", markup=False
        )
