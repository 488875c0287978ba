"""The Logs pane (key `2`, and `l` on a container in the Status pane): function executions,
deployment events and container logs merged by time in one bounded, filterable view.

Sources hand rows to an `Inbox` from their own threads (the function log stream, one reader per
container; deployment events from the UI loop). Rows after a quiet spell are merged into the
`LogView` and painted at once (at most PROMPT_RATE times a second); a flood is taken by a timer
five times a second and repainted once. Only the visible lines are rendered (`LogLines`). The
container half (which containers, the chooser) is `LogContainers`."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import time
from collections import deque
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from screens.bindings import to_bindings
from screens.direct_paint import paint_direct
from screens.logs_containers import LogContainers
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
from tui.logs.function_thread import FunctionLogs
from tui.logs.inbox import Inbox
from tui.logs.keys import LOGS_KEYS
from tui.logs.record import EVENTS, FUNCTIONS, Record, marker
from tui.logs.store import FilterStore
from tui.logs.view import LogView
from tui.safety.text import clean_line

TICK_S = 0.2  # a flood of rows repaints five times a second
SAVE_DELAY_S = 0.5  # a filter is remembered once typing pauses this long
PROMPT_RATE = 20  # rows after a quiet spell are painted at once, this many times a second at most
CAPACITY_ENV = "CONVEX_TUI_LOG_BUFFER"


def _capacity() -> int:
    try:
        return max(1000, int(os.environ.get(CAPACITY_ENV, DEFAULT_CAPACITY)))
    except ValueError:
        return DEFAULT_CAPACITY


class LogsScreen(LogContainers):
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
        self._functions: FunctionLogs | None = None
        self._init_containers()
        self._tick: Timer | None = None
        self._last_drain = 0.0
        self._bar_due = False  # the status bar is to be painted after the rows (`_bar_now`)
        self._prompts: deque[float] = deque(maxlen=PROMPT_RATE)  # times of the recent ones
        self._pending_target: PaneTarget | None = None
        self._ready = False
        self._deployment = ""
        self._woken: tuple[asyncio.AbstractEventLoop, contextvars.Context] | None = None
        self._unsaved: tuple[str, LogFilter] | None = None  # a filter to remember, and where
        self._save_timer: Timer | None = None

    # ------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        yield StatusLine(id="logs-bar")
        yield Input(placeholder="filter: text or regex, ! inverts (esc clears)", id="filter",
                    classes="-hidden")  # fmt: skip
        yield LogLines(self.view, id="log-lines")

    def on_mount(self) -> None:
        self._woken = (asyncio.get_running_loop(), contextvars.copy_context())
        self._retarget_filter()
        self._tick = self.set_interval(TICK_S, self._drain)
        self.watch(self.app, "convex_generation", self._convex_ready, init=True)
        self.watch(self.app, "context", lambda _: self._retarget(), init=False)
        self.query_one(LogLines).focus()
        self._render_bar()
        self._ready = True
        self.start_containers()
        if self._pending_target is not None:
            target, self._pending_target = self._pending_target, None
            self.open_target(target)

    def on_unmount(self) -> None:
        self._woken = None
        if self._unsaved is not None:  # quit while typing: remembered all the same
            deployment, log_filter = self._unsaved
            self._unsaved = None
            with contextlib.suppress(OSError):
                self.store.save(deployment, log_filter)
        self._stop_functions()
        self.close_containers()

    @property
    def lines(self) -> LogLines:
        return self.query_one(LogLines)

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
        self._functions = FunctionLogs(
            client.url, client.admin_key, self._emit, on_error=self._functions_failed
        ).start()
        self._follow_events()

    def _stop_functions(self) -> None:
        if self._functions is not None:
            self._functions.stop()
            self._functions = None

    def _functions_failed(self, exc: BaseException) -> None:  # on the stream's thread
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

    def _emit(self, rows: list[Record]) -> None:
        """Rows from a Convex source (any thread): painted at once, up to PROMPT_RATE times a
        second; beyond that they wait for the tick."""
        if self.inbox.put(rows):
            self._wake()

    def _emit_container(self, rows: list[Record]) -> None:
        """Rows from a container reader thread: a line after a quiet spell is painted at once;
        while lines flow, the tick takes them (TICK_S)."""
        if self.inbox.put(rows) and time.monotonic() - self._last_drain >= TICK_S:
            self._wake()

    def _wake(self) -> None:
        """Ask the UI loop (from any thread) to take the inbox now. A loop callback, not a
        Textual message: the rows are already in the inbox, and a message's queue and dispatch
        took 0.3-0.4 ms of a line's way to the screen, against 0.1 ms for this (issue 17). It
        runs in the context captured at mount, so Textual sees its app and this screen."""
        woken = self._woken
        if woken is None:
            return  # not mounted yet: the first drain after mount takes the rows
        loop, context = woken
        with contextlib.suppress(RuntimeError):  # the loop has closed: the console is quitting
            loop.call_soon_threadsafe(self._arrived, context=context)

    def _show_now(self, rows: list[Record]) -> None:
        """Rows the console adds on the UI loop in answer to a key (a marker): shown at once."""
        self.inbox.put(rows)
        if self.is_mounted:
            self._drain_now()

    def _arrived(self) -> None:
        if not self.is_attached:
            return
        try:
            self._take_arrivals()
        except Exception as exc:  # as a message handler's error would be: the App reports it
            self.app._handle_exception(exc)

    def _take_arrivals(self) -> None:
        now = time.monotonic()
        recent = self._prompts
        if len(recent) == recent.maxlen and now - recent[0] < 1.0:
            return  # a busy source: the tick takes its rows
        recent.append(now)
        self._drain_now()

    @on(SourceFailed)
    def _source_failed(self, event: SourceFailed) -> None:
        self.notify(event.text, title="Error", severity="error", markup=False)

    def _drain_now(self) -> None:
        if not self._take():
            return
        if not self._paint_now([self.lines], direct_only=True):
            self._render_bar()  # the rows cannot be painted alone: both in one frame
            self._paint_now([self.lines, self.query_one("#logs-bar", StatusLine)])
            return
        # The rows are written (`Painting._write_patches`); the status bar ("n/m rows") comes
        # after whatever already waits on the loop, once for all of it: rows that arrived
        # meanwhile (a mutation's scheduled follow-up often does, while the mutation's row is
        # painted) no longer wait for it (~0.2 ms, issue 17).
        if not self._bar_due:
            self._bar_due = True
            asyncio.get_running_loop().call_soon(self._bar_now)

    def _bar_now(self) -> None:
        self._bar_due = False
        if not self.is_attached:
            return
        try:
            self._render_bar()
            self._paint_now([self.query_one("#logs-bar", StatusLine)])
        except Exception as exc:  # as a message handler's error would be: the App reports it
            self.app._handle_exception(exc)

    def _drain(self) -> None:
        """The tick: rows a busy source left in the inbox, painted with the next frame."""
        if self._take():
            self._render_bar()

    def _take(self) -> bool:
        rows, lost = self.inbox.take()
        if not rows and not lost:
            return False
        self._last_drain = time.monotonic()
        removed = self.view.add(rows)
        self.view.count_lost(lost)
        self.lines.shift(removed)
        self.lines.refresh_view()
        return True

    def _paint_now(self, widgets: list[Widget], *, direct_only: bool = False) -> bool:
        """Paint ``widgets`` (and the log's scrollbars when they changed) in this turn of the
        loop: rows that came after a quiet spell, left to the screen's update timer (a 1/60 s
        grid, reached through two messages), waited ~20 ms, more than the whole HTTP answer.
        Textual has no public call for it (its version is pinned); without these internals
        the next frame paints them as before. ``direct_only``: paint only if they can be
        painted alone (see direct_paint), else do nothing. True when painted."""
        try:
            dirty = self._dirty_widgets
            paint = self._on_timer_update
        except AttributeError:
            return False
        changed = [*widgets, *(bar for bar in self.lines.scrollbars() if bar._repaint_required)]
        if not dirty.difference(changed) and paint_direct(self, widgets):
            return True  # only these needed a paint, and nothing lies over them (direct_paint)
        if direct_only:
            return False
        for widget in changed:
            # Painted here, so the refresh each asked for is taken now: left pending, each
            # widget's next idle asked the screen to paint it again, unchanged (a second
            # full pass after every prompt paint).
            widget._repaint_required = False
            dirty.add(widget)
        paint()
        return True

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
        self.query_one("#logs-bar", StatusLine).update(text)

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
