"""How the console's frames reach the terminal (a base of `ConsoleApp`): its theme, set before
any stylesheet is parsed, and Textual's repaint hold on a pane switch, ended as soon as the pane
is ready instead of after a fixed 50 ms (issue 19), and how soon the threads that carry frames
and rows get the GIL from the UI thread (issue 17)."""

from __future__ import annotations

import contextlib
import sys
from functools import partial
from queue import Queue
from typing import Any

from rich.control import Control
from textual._ansi_sequences import SYNC_END, SYNC_START
from textual.app import App
from textual.drivers._writer_thread import WriterThread
from textual.theme import Theme

from screens.direct_paint import Patches, forget_terminal

CONVEX_THEME = Theme(
    name="convex",
    primary="#F3B01C",  # Convex yellow
    secondary="#8D2676",  # Convex plum
    accent="#EE342F",  # Convex red
    warning="#F3B01C",
    error="#EE342F",
    success="#4EBF71",
    foreground="#E6E1DC",
    background="#1B1A19",
    surface="#24221F",
    panel="#2F2C28",
    dark=True,
)


# A frame queued for Textual's writer thread, or rows a reader thread has just received, wait
# for the GIL while the UI thread works on: up to the interpreter's switch interval, 5 ms by
# default. 1 ms bounds that wait (a frame queued before 3 ms of UI work reached the terminal
# after 3.0 ms at 5 ms, 1.1 ms at 1 ms); log ingest was unchanged (bench/logs_ingest.py).
SWITCH_INTERVAL_S = 0.001
WRITE_NOW_MAX = 8192  # characters a direct paint writes from the UI thread (see _write_patches)


class Painting(App[int]):
    def take_terminal(self) -> None:
        """While the console runs, a waiting thread gets the GIL within SWITCH_INTERVAL_S; and
        while it is suspended ($EDITOR) the terminal is another program's, so what direct paints
        remember of it is void (immediate: a posted callback would run after the resume, maybe
        after a paint)."""
        if "_switch_was" not in self.__dict__:
            self.__dict__["_switch_was"] = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL_S, sys.getswitchinterval()))
        self.app_suspend_signal.subscribe(self, forget_terminal, immediate=True)

    def leave_terminal(self) -> None:
        was = self.__dict__.pop("_switch_was", None)
        if was is not None:
            sys.setswitchinterval(was)

    def _display(self, screen: Any, renderable: Any) -> None:
        # Anything but a direct paint changes the terminal behind `paint_direct`'s memory of it.
        if not isinstance(renderable, Patches):
            forget_terminal(self)
        elif self._write_patches(renderable):
            return
        super()._display(screen, renderable)

    def _write_patches(self, patches: Patches) -> bool:
        """Write a direct paint as Textual's `_display` would, but as one piece, and from this
        thread when Textual's writer thread is idle (waiting for its next frame, its queue
        empty): so nothing written before can come after it. Handed to the writer thread, a
        followed row's bytes waited for that thread to get the GIL from this one, which goes
        on working after a paint (0.05-0.4 ms, issue 17). A small paint only: a big one could
        make this thread wait on a slow terminal. False when this cannot be done here."""
        driver = self._driver
        writer = getattr(driver, "_writer_thread", None)
        if (
            not writes_plainly(driver)
            or not isinstance(writer, WriterThread)
            or not isinstance(getattr(writer, "_queue", None), Queue)
            or getattr(writer, "_file", None) is None
            or driver is None
            or driver.is_inline
            or self._batch_count
            or not self._running
            or self._closed
            or self.is_headless
        ):
            return False
        cursor = self.screen.outer_size.clamp_offset(self.cursor_position)
        text = patches.render_segments(self.console) + Control.move_to(*cursor).segment.text
        self._previous_cursor_position = cursor
        if self._sync_available:
            text = SYNC_START + text + SYNC_END
        try:
            write_in_order(writer, text)
        finally:
            self.post_display_hook()
        return True

    @property
    def _holds(self) -> set[object]:
        """Repaints held for a mode switch (`delay_update`), one token each."""
        holds: set[object] = self.__dict__.setdefault("_paint_holds", set())
        return holds

    def set_theme_before_css(self, wanted: str | None) -> None:
        """The theme, set before any CSS is parsed. Setting `App.theme` later (in on_mount)
        makes Textual parse every stylesheet again with the new variables: ~25 ms of the first
        frame (issue 19). This is what `_watch_theme` does, minus that re-parse."""
        self.register_theme(CONVEX_THEME)
        name = wanted if wanted in self.available_themes else "convex"
        self.set_reactive(App.theme, name)
        theme = self.current_theme
        self.set_class(True, f"-theme-{theme.name}", update=False)
        self.set_class(theme.dark, "-dark-mode", update=False)
        self.set_class(not theme.dark, "-light-mode", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    def delay_update(self, delay: float = 0.05) -> None:
        """Textual holds every repaint for 50 ms when the mode switches, to hide a half-built
        screen: that was 50 of the ~70 ms a switch back to a pane took (issue 19). The hold
        ends as soon as the pane has resumed (`switch_shown`); Textual's delay bounds it."""
        hold = object()
        self._holds.add(hold)
        self._begin_batch()
        self.set_timer(delay, partial(self._release, hold), name="delay_update")

    def switch_shown(self) -> None:
        """A pane has resumed (composed, its resume handlers run): paint it."""
        for hold in list(self._holds):
            self._release(hold)

    def _release(self, hold: object) -> None:
        if hold in self._holds:
            self._holds.discard(hold)
            self._end_batch()
            if not self._batch_count:
                self.screen.refresh()

    def _end_batch(self) -> None:
        super()._end_batch()
        if not self._batch_count and self._screen_stacks.get(self._current_mode):
            # A repaint asked for during the batch is drawn on the screen's next idle: make sure
            # there is one (its queue may be empty: seen in tmux as a switch back that painted
            # only when some later message woke the screen, 300-500 ms on).
            self.screen.check_idle()


def write_in_order(writer: WriterThread, text: str) -> bool:
    """Write ``text`` from this thread when ``writer`` is idle (its queue empty, the thread
    waiting for more: everything queued before is written and flushed) and it is small; else
    queue it behind what the writer has. Only for the thread that queues all of the writer's
    text (Textual's UI thread), so that nothing is queued meanwhile. True when written now."""
    queue, file = writer._queue, writer._file
    idle = not queue.qsize() and len(getattr(queue.not_empty, "_waiters", ())) == 1
    if not idle or len(text) > WRITE_NOW_MAX:
        writer.write(text)
        return False
    with contextlib.suppress(OSError):  # the terminal has gone: as the writer thread would
        file.write(text)
        file.flush()
    return True


def writes_plainly(driver: object) -> bool:
    """The driver is Textual's own terminal driver, whose `write` hands the text to its writer
    thread as it is: only then may a paint go to that thread's file directly. Another driver
    (the browser's frames its output; a subclass may too) always gets the paint through its
    own `write`."""
    write = getattr(type(driver), "write", None)  # by name: importing that module costs startup
    return (getattr(write, "__module__", None), getattr(write, "__qualname__", None)) == (
        "textual.drivers.linux_driver",
        "LinuxDriver.write",
    )
