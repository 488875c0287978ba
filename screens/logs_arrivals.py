"""How rows reach the Logs pane's screen. Sources hand them to an `Inbox`: one reader thread per
container; the function log stream and deployment events on the UI loop itself. Rows after a
quiet spell are taken by a loop callback and painted at once, at most PROMPT_RATE times a
second: the rows written first, the status bar and the scrollbars within BARS_AFTER_S, once
for the rows of that moment (issue 17). A flood is taken by a tick five times a second and
painted with the next frame. `LogsScreen` builds on this class."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable

from textual.widget import Widget

from screens.direct_paint import paint_direct, painted_ahead, write_ahead
from screens.logs_containers import LogContainers
from screens.widgets.log_lines import LogLines
from screens.widgets.prompts import held, settle
from screens.widgets.status_line import StatusLine
from tui.logs.record import Record
from tui.logs.view import LogView

TICK_S = 0.2  # a flood of rows repaints five times a second
PROMPT_RATE = 20  # rows after a quiet spell are painted at once, this many times a second at most
BARS_AFTER_S = 1 / 60  # the status bar and scrollbars follow such rows within Textual's frame


class LogArrivals(LogContainers):
    view: LogView
    lines: LogLines  # the log view and its status bar, made in `compose_body`
    bar: StatusLine

    def _init_arrivals(self) -> None:
        self._last_drain = 0.0
        self._bar_due = False  # the status bar is to be painted after the rows (`_bar_now`)
        self._bar_timer: asyncio.TimerHandle | None = None
        self._wrote_ahead = False  # the last rows taken were written ahead (`write_ahead`)
        self._prompts: deque[float] = deque(maxlen=PROMPT_RATE)  # times of the recent ones
        self._woken: tuple[asyncio.AbstractEventLoop, contextvars.Context] | None = None
        self._loop_thread = 0

    def _arrivals_mounted(self) -> None:
        """From now on sources may wake the loop (from any thread)."""
        self._woken = (asyncio.get_running_loop(), contextvars.copy_context())
        self._loop_thread = threading.get_ident()
        self.set_interval(TICK_S, self._drain)

    def _arrivals_unmounted(self) -> None:
        self._woken = None

    def _emit(self, rows: list[Record]) -> None:
        """Rows from a Convex source (on the UI loop, or any thread): painted at once, up to
        PROMPT_RATE times a second; beyond that they wait for the tick."""
        if self.inbox.put(rows):
            self._wake()

    def _emit_container(self, rows: list[Record]) -> None:
        """Rows from a container reader thread: a line after a quiet spell is painted at once;
        while lines flow, the tick takes them (TICK_S)."""
        if self.inbox.put(rows) and time.monotonic() - self._last_drain >= TICK_S:
            self._wake()

    def _wake(self) -> None:
        """Have the UI loop take the inbox now: in this very call when on the loop (the function
        log stream's answer is read there), else by a loop callback, not a Textual message:
        the rows are already in the inbox, and a message's queue and dispatch took 0.3-0.4 ms
        of a line's way to the screen, against 0.1 ms for this (issue 17). Either runs in the
        context captured at mount, so Textual sees its app and this screen."""
        woken = self._woken
        if woken is None:
            return  # not mounted yet: the first drain after mount takes the rows
        loop, context = woken
        if threading.get_ident() == self._loop_thread:
            try:
                context.run(self._arrived)
                return
            except RuntimeError:  # that context is running already (rows from a paint): next turn
                loop.call_soon(self._arrived, context=context)
                return
        with contextlib.suppress(RuntimeError):  # the loop has closed: the console is quitting
            loop.call_soon_threadsafe(self._arrived, context=context)

    def _show_now(self, rows: list[Record]) -> None:
        """Rows the console adds on the UI loop in answer to a key (a marker): shown at once."""
        self.inbox.put(rows)
        if self.is_mounted:
            self._drain_now()

    def _arrived(self) -> None:
        if self.is_attached:
            self._reporting(self._take_arrivals)

    def _reporting(self, step: Callable[[], object]) -> None:
        """A loop callback's work, run as a message handler is: an error is the App's to report
        (a plain loop callback's would only reach asyncio's log)."""
        try:
            step()
        except Exception as exc:
            self.app._handle_exception(exc)

    def _take_arrivals(self) -> None:
        now = time.monotonic()
        recent = self._prompts
        if len(recent) == recent.maxlen and now - recent[0] < 1.0:
            return  # a busy source: the tick takes its rows
        recent.append(now)
        self._drain_now()

    def _drain_now(self) -> None:
        # Painted below, the log and its bars post no Prompt meanwhile (`prompts`): those
        # wake-ups ran before the loop read what arrived meanwhile, and found nothing to do.
        lines = self.lines
        log = [lines, *lines.scrollbars()]
        with held(log):
            taken = self._take(ahead=True)
        if not taken:
            settle(log)
            return
        # Written ahead, the view's own lines are on the terminal; only its scrollbars may
        # be left (`painted_ahead`), and they are painted with the status bar below.
        painted = self._wrote_ahead and painted_ahead(self, lines)
        if not painted and not self._paint_now([lines], direct_only=True):
            self._render_bar()  # the rows cannot be painted alone: both in one frame
            self._paint_now([lines, self.bar])
            settle(log)
            return
        settle([lines])  # its bars: once painted below (`_bar_now`)
        # The rows are written (`Painting._write_patches`); the status bar ("n/m rows") and
        # the scrollbars follow within BARS_AFTER_S, once for all the rows of that moment.
        # Rows come in clusters: a mutation's scheduled follow-up logs 1-3 ms after it. Painted
        # at once, the bars (0.3-1 ms on a busy machine) were still being painted when the
        # follow-up's answer came, and it waited for them (issue 17, traces of a real
        # terminal); now it finds the loop idle, and one paint of the bars serves both.
        self._bar_due = True
        asyncio.get_running_loop().call_soon(self._after_io)

    def _after_io(self) -> None:
        # asyncio runs the callbacks queued before it looks for I/O: queued from this callback
        # of the next turn, the next row's style is prepared behind the I/O that turn finds.
        loop = asyncio.get_running_loop()
        loop.call_soon(self._prepare_ahead)
        if self._bar_timer is None:
            self._bar_timer = loop.call_later(BARS_AFTER_S, self._bar_now)

    def _prepare_ahead(self) -> None:
        if self.is_attached:
            self._reporting(self.lines.prepare_ahead)

    def _bar_now(self) -> None:
        self._bar_due, self._bar_timer = False, None
        try:
            if self.is_attached:
                self._reporting(self._paint_bars)
        finally:  # what the paint did not take (or no paint, once detached) is asked for
            settle([self.bar, *self.lines.scrollbars()])

    def _paint_bars(self) -> None:
        with held([self.bar]):
            self._render_bar()
        self._paint_now([self.lines, self.bar] if self._bars_changed() else [self.bar])

    def _drain(self) -> None:
        """The tick: rows a busy source left in the inbox, painted with the next frame."""
        if self._take():
            self._render_bar()

    def _take(self, *, ahead: bool = False) -> bool:
        """Rows from the inbox into the view, and the view moved to them. ``ahead``: a
        followed log's new rows are written to the terminal first (`write_ahead`), before the
        view has moved; its paint then writes only what that did not get right."""
        rows, lost = self.inbox.take()
        if not rows and not lost:
            return False
        self._last_drain = time.monotonic()
        view = self.view
        visible = view.visible
        before, last = len(visible), visible[-1] if visible else None
        self._wrote_ahead = False
        removed = view.add(rows)
        view.count_lost(lost)
        kept = before - removed  # rows still there from before (a full ring drops the oldest)
        # Only rows appended after the last one (none merged in among earlier ones).
        if ahead and 0 < kept <= len(view.visible) and view.visible[kept - 1] is last:
            found = self.lines.lines_ahead(kept, removed)
            if found is not None:
                self._wrote_ahead = write_ahead(self, self.lines, *found)
        self.lines.shift(removed)
        self.lines.refresh_view()
        return True

    def _bars_changed(self) -> list[Widget]:
        """The log's scrollbars that changed since their last paint, in any of the states a
        refresh passes through on its way to the screen: asked for, its regions not yet drawn
        (also while the bar's idle has sent its update and the screen has not taken it), or
        in the screen's dirty set."""
        dirty: set[Widget] = getattr(self, "_dirty_widgets", set())
        return [bar for bar in self.lines.scrollbars()
                if bar._repaint_required or bar._dirty_regions or bar in dirty]  # fmt: skip

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
        changed = [*widgets, *self._bars_changed()]
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
