"""A fast log view over `tui.logs.view.LogView`: renders only the visible lines (the Line API,
like Textual's `Log`), never copies rows, shows a cursor row, highlights matches, wraps on
request. The screen adds rows a few times a second and calls `refresh_view()` once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from math import ceil
from typing import ClassVar

from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget

from screens.direct_paint import styled_lines
from screens.widgets.log_bar import LineBar
from screens.widgets.log_rows import MAX_DISPLAY, LogRows
from screens.widgets.prompts import PromptHolder
from tui.logs.record import Record
from tui.logs.view import LogView

# What a screen line shows: (look generation, row, wrapped segment, is cursor, x, width).
LineKey = tuple[int, Record | None, int, bool, int, int]


class LogLines(LogRows, PromptHolder, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-lines--time",
        "log-lines--tag",
        "log-lines--cursor",
        "log-lines--match",
        "log-lines--error",
        "log-lines--warn",
        "log-lines--muted",
        "log-lines--success",
        "log-lines--marker",
        "log-lines--event",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "top", "Top", show=False),
        Binding("left", "pan(-8)", "Left", show=False),
        Binding("right", "pan(8)", "Right", show=False),
    ]

    cursor: reactive[int] = reactive(0, init=False, always_update=True)

    class Paused(Message):
        """The user moved away from the tail: following stops."""

    def __init__(self, view: LogView, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = view
        self._wrap_rows: list[tuple[int, int]] = []  # (row index, segment) when wrapping
        self._wrap_key: tuple[int, int, int, bool] = (-1, -1, -1, False)
        # Rendered rows by (row, segment, is cursor): scrolling while following re-renders
        # nothing but the new rows. Cleared when anything that changes a row's look changes.
        self._strips: LRUCache[tuple[Record, int, bool], Strip] = LRUCache(4096)
        self._styles: dict[str, Style] = {}
        self._look: tuple[object, ...] = ()
        self._base_style = Style()
        self._in_bars = False
        # What each styled line in Textual's line cache shows (`_repaint_moved` reuses them).
        self._shown: dict[int, LineKey] = {}
        self._generation = 0  # a new look: no styled line is reused
        self._rendering = False
        self._moved = False  # lines moved since the last paint: `_reuse_moved` at the next
        self._lines_gone = 0  # lines that left the front of the view so far (`paint_offset`)
        self._ahead: dict[LineKey, Strip] = {}  # lines styled by `lines_ahead`, for that paint

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._look = ()
        self._generation += 1

    # ------------------------------------------------------------ size and position

    def refresh_view(self) -> None:
        """Rows arrived or the filter changed: new size, follow the tail when following."""
        n = len(self.view.visible)
        if self.cursor >= n:
            self.set_reactive(LogLines.cursor, max(0, n - 1))
        with self._bars_drawn():
            self._update_size()
            if self.view.follow and n:
                self.set_reactive(LogLines.cursor, n - 1)
                self._to_tail()
        self._repaint_moved()

    def _to_tail(self) -> None:
        """Scroll to the last line, as `scroll_end(animate=False, immediate=True)` does, minus
        the callback it always leaves to run after the next refresh: a message and a pass of
        the screen's idle work after every followed row, while the next one may be arriving."""
        y = self.max_scroll_y
        if self.scroll_y != y or self.scroll_target_y != y:
            self.app.animator.force_stop_animation(self, "scroll_y")
            self.scroll_target_y = y
            self.scroll_y = y

    @contextmanager
    def _bars_drawn(self) -> Iterator[None]:
        """Scrollbar ranges and positions change silently inside; after, a bar is repainted
        only if what it draws changed. Following a long log, each new row changed both the
        range and the position of the vertical bar but not a cell of it, and repainting it
        was a quarter of every log paint (~1 ms for 36 cells)."""
        if self._in_bars:
            yield
            return
        self._in_bars = True
        bars = self.scrollbars()
        before = [thumb(bar) for bar in bars]
        try:
            yield
        finally:
            self._in_bars = False
            for bar, drawn in zip(bars, before, strict=True):
                if thumb(bar) != drawn:
                    bar.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # As ScrollView's, with the scrollbar repainted only when its thumb moves on screen.
        self._scrolled(self.show_vertical_scrollbar, True, old_value, new_value)

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        self._scrolled(self.show_horizontal_scrollbar, False, old_value, new_value)

    def _scrolled(self, shown: bool, vertical: bool, old: float, new: float) -> None:
        if shown:
            with self._bars_drawn():
                bar = self.vertical_scrollbar if vertical else self.horizontal_scrollbar
                set_bar(bar, position=new)
        if round(old) != round(new):
            self._repaint_moved()

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """As Textual's, with a bar that styles each kind of cell once (see `LineBar`)."""
        bar = self._vertical_scrollbar
        if bar is None:
            bar = LineBar(vertical=True, name="vertical", thickness=self.scrollbar_size_vertical)
            bar.display = False
            self._vertical_scrollbar = bar
            self.app._start_widget(self, bar)
        return bar

    def scrollbars(self) -> list[ScrollBar]:
        """The scrollbars Textual has made for this widget so far (none are made here)."""
        made = (getattr(self, "_vertical_scrollbar", None),
                getattr(self, "_horizontal_scrollbar", None))  # fmt: skip
        return [bar for bar in made if isinstance(bar, ScrollBar)]

    def shift(self, removed: int) -> None:
        """Rows left the front of the view: while paused, keep the same rows on screen (and
        count them for `paint_offset` either way)."""
        # Wrapped, a row is one or more lines, and the dropped ones cannot be counted any
        # more: a jump taller than any screen, so that no paint takes it for a scroll.
        if removed:
            self._lines_gone += (1 << 20) if self.wrap else removed
        if removed and not self.view.follow:
            self.set_reactive(LogLines.cursor, max(0, self.cursor - removed))
            self.scroll_to(y=max(0, self.scroll_y - removed), animate=False, immediate=True)

    @property
    def paint_offset(self) -> int:
        """The first line on screen, counted from the first line this view ever held: how far
        the lines moved up since a paint, for `direct_paint`. Following a full ring, rows
        leave the front as new ones come, and the lines move up while the scroll offset stays
        (every arrival rewrote the whole log: ~8 KB at 120x40 instead of ~1 KB)."""
        return round(self.scroll_y) + self._lines_gone

    def _line_count(self) -> int:
        return len(self._wrap_lines()) if self.wrap else len(self.view.visible)

    def _update_size(self) -> None:
        width = self.scrollable_content_region.width or 80
        longest = width if self.wrap else max(width, MAX_DISPLAY // 4)
        size = Size(longest, self._line_count())
        if size == self.virtual_size:
            return
        if not self.size:
            self.virtual_size = size
            return
        # Only this widget's scroll range changed: no screen layout (a `virtual_size` change
        # lays out the whole screen, which cost a frame between a row's arrival and its
        # paint). `_refresh_scrollbars` asks for a layout itself when a scrollbar appears or
        # goes. Textual's `_scroll_update` also repaints both scrollbars every time (~1 ms
        # each); their sizes are reactive, so each repaints itself only when it changed.
        was = self.virtual_size
        self.set_reactive(Widget.virtual_size, size)
        longer = size.width == was.width and 0 < was.height <= size.height
        if not (longer and self.show_vertical_scrollbar):
            # Else only a longer log under a vertical bar already shown: no bar comes or goes.
            self._refresh_scrollbars()
        width, height = self.container_size
        with self._bars_drawn():
            if self.show_vertical_scrollbar and self.styles.scrollbar_size_vertical:
                bar = self.vertical_scrollbar
                set_bar(bar, size.height, height - self.scrollbar_size_horizontal)
            if self.show_horizontal_scrollbar and self.styles.scrollbar_size_horizontal:
                bar = self.horizontal_scrollbar
                set_bar(bar, size.width, width - self.scrollbar_size_vertical)
            # Set only when out of range now: each set runs the reactive's machinery.
            if (x := self.validate_scroll_x(self.scroll_x)) != self.scroll_x:
                self.scroll_x = x
            if (y := self.validate_scroll_y(self.scroll_y)) != self.scroll_y:
                self.scroll_y = y
        self._repaint_moved()

    def _wrap_lines(self) -> list[tuple[int, int]]:
        width = max(10, self.scrollable_content_region.width)
        view = self.view
        key = (view.layout_version, width, len(view.visible), self.show_time)
        if key == self._wrap_key:
            return self._wrap_rows
        if (
            key[0] != self._wrap_key[0]
            or key[1] != self._wrap_key[1]
            or key[3] != self._wrap_key[3]
        ):
            self._wrap_rows = []
        start = 1 + self._wrap_rows[-1][0] if self._wrap_rows else 0
        prefix = self._prefix_width()
        body = max(10, width - prefix)
        rows = self._wrap_rows
        for i in range(start, len(view.visible)):
            n = max(1, -(-min(len(view.visible[i].text), MAX_DISPLAY) // body))
            rows.extend((i, s) for s in range(n))
        self._wrap_key = key
        return rows

    def watch_show_time(self) -> None:
        self._after_layout_change()

    def watch_wrap(self) -> None:
        self._after_layout_change()

    def _after_layout_change(self) -> None:
        self._update_size()
        self.scroll_to_cursor()
        self.refresh()

    def on_resize(self) -> None:
        self._update_size()
        # A new size (or new wrapped line count) keeps the tail in view while following, and
        # the cursor row otherwise: the scroll offset alone was kept, mid-log.
        if self.view.follow and self.view.visible:
            self._to_tail()
        else:
            self.scroll_to_cursor()

    # ------------------------------------------------------------ cursor

    def _first_line_of(self, index: int) -> int:
        if not self.wrap:
            return index
        import bisect

        return bisect.bisect_left(self._wrap_lines(), (index, 0))

    def scroll_to_cursor(self) -> None:
        """Bring the cursor row into view (all its wrapped lines when it fits)."""
        first = self._first_line_of(self.cursor)
        last = self._first_line_of(self.cursor + 1) - 1 if self.wrap else first
        height = self.scrollable_content_region.height
        if first < self.scroll_y:
            self.scroll_to(y=first, animate=False, immediate=True)
        elif last >= self.scroll_y + height:
            self.scroll_to(y=max(first, last - height + 1) if last - first < height else first,
                           animate=False, immediate=True)  # fmt: skip

    def watch_cursor(self) -> None:
        self.scroll_to_cursor()
        self._repaint_moved()

    def _user_moved(self, index: int) -> None:
        n = len(self.view.visible)
        if not n:
            return
        index = max(0, min(n - 1, index))
        at_end = index == n - 1
        if not at_end and self.view.follow:
            self.post_message(self.Paused())
        self.cursor = index

    def action_move(self, delta: int) -> None:
        self._user_moved(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._user_moved(
            self.cursor + direction * max(1, self.scrollable_content_region.height - 1)
        )

    def action_top(self) -> None:
        self._user_moved(0)

    def action_pan(self, delta: int) -> None:
        if not self.wrap:
            self.scroll_to(x=max(0, self.scroll_x + delta), animate=False)

    def on_mouse_scroll_up(self) -> None:  # the scrolling itself is ScrollView's
        if self.view.follow:
            self.post_message(self.Paused())

    def current(self) -> Record | None:
        visible = self.view.visible
        return visible[self.cursor] if 0 <= self.cursor < len(visible) else None

    # ------------------------------------------------------------ rendering

    def _check_look(self) -> None:
        look = (id(self.view.matcher), self.show_time, self.wrap, self.tag_width,
                self.scrollable_content_region.width if self.wrap else 0)  # fmt: skip
        if look != self._look:
            self._strips.clear()
            self._styles.clear()
            # The widget's own style walks its ancestors (~0.2 ms): once per look, not per line.
            self._base_style = self.rich_style
            self._look = look
            self._generation += 1

    def _keys(self, ys: range) -> list[LineKey]:
        """What screen lines ``ys`` show: (look, row, wrapped segment, cursor, x, width); the
        row is None past the last one (a blank line)."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        generation, cursor, visible = self._generation, self.cursor, self.view.visible
        wrapped = self._wrap_lines() if self.wrap else None
        count = len(wrapped) if wrapped is not None else len(visible)
        keys: list[LineKey] = []
        for y in ys:
            line = scroll_y + y
            if line >= count:
                keys.append((generation, None, 0, False, 0, width))
                continue
            index, segment = wrapped[line] if wrapped is not None else (line, 0)
            keys.append((generation, visible[index], segment, index == cursor, scroll_x, width))
        return keys

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._moved:
            self._moved = False
            self._reuse_moved()
        self._check_look()
        self._rendering = True  # only Textual's own renders fill its line cache
        try:
            return super().render_lines(crop)
        finally:
            self._rendering = False

    def render_line(self, y: int) -> Strip:
        if self._rendering:
            key = self._keys(range(y, y + 1))[0]
            self._shown[y] = key
        else:
            self._check_look()
            key = self._keys(range(y, y + 1))[0]
        _, row, segment, cursor, scroll_x, width = key
        if row is None:
            return Strip.blank(width, self._base_style)
        strip = self._row_strip(row, segment, cursor)
        if self.wrap:
            return strip.crop_extend(0, width, self._base_style)
        return strip.crop_extend(scroll_x, scroll_x + width, self._base_style)

    def _row_strip(self, row: Record, segment: int, cursor: bool) -> Strip:
        """A row's whole line (one wrapped segment of it), styled once per look."""
        strip = self._strips.get((row, segment, cursor))
        if strip is None:
            strip = self._plain_row(row, cursor) if not segment else None
            if strip is None:
                text = self._row_text(row, segment)
                if cursor:
                    text.stylize(self._style("cursor"))
                strip = Strip(text.render(self.app.console), text.cell_len)
            self._strips[(row, segment, cursor)] = strip
        return strip

    def prepare_ahead(self) -> None:
        """While following, after a paint: the cursor row styled without the cursor, as the
        next new row will show it (`lines_ahead` then takes it from the cache)."""
        visible = self.view.visible
        if self.view.follow and not self.wrap and 0 <= self.cursor < len(visible):
            self._row_strip(visible[self.cursor], 0, False)

    def lines_ahead(self, before: int, gone: int = 0) -> tuple[int, dict[int, Strip]] | None:
        """After new rows joined a followed view (those from index ``before`` on; ``gone``
        rows left its front) and before the widget has moved to them: where it will be then
        (as `paint_offset` counts), and the screen lines
        that will differ from the ones moved up (the old cursor row and the new rows), styled
        as the widget's next render will style them (`styled_lines`). None unless it is that
        simple: following at the tail, no wrap, the same look, nothing else pending."""
        view = self.view
        count = len(view.visible)
        height = self.scrollable_content_region.height
        if (
            not view.follow
            or self.wrap
            or not 0 < before < count
            or self.cursor != before - 1 + gone
            or self._repaint_required
            or round(self.scroll_y) != max(0, before + gone - height)
        ):
            return None
        generation = self._generation
        self._check_look()
        if generation != self._generation:
            return None
        offset = max(0, count - height)  # the scroll offset, then as `paint_offset` counts
        x, width = round(self.scroll_x), self.size.width
        contents: dict[int, Strip] = {}
        keys: dict[int, LineKey] = {}
        for index in range(max(before - 1, offset), count):
            y, row, cursor = index - offset, view.visible[index], index == count - 1
            line = self._row_strip(row, 0, cursor).crop_extend(x, x + width, self._base_style)
            contents[y] = line
            # The same line for that paint: keyed as `_keys` will key it (`_reuse_moved`).
            keys[y] = (self._generation, row, 0, cursor, x, width)
        lines = styled_lines(self, contents)
        for y, key in keys.items():
            self._ahead[key] = lines[y]
        while len(self._ahead) > 2 * height:  # unpainted by Textual for a while: the latest
            del self._ahead[next(iter(self._ahead))]
        return offset + self._lines_gone + gone, lines

    def _repaint_moved(self) -> None:
        """Rows moved on screen (new rows while following, a scroll, the cursor): the whole
        widget is repainted, but a line Textual has already styled is taken from where it was
        instead of styled again (`_reuse_moved`, once, when the frame is drawn). `refresh()`
        styled all 36 lines again for one new row while following: half of every paint of a
        followed log (issue 17). Textual (pinned) keeps styled lines by screen row in
        `_styles_cache._cache`; without it this is a plain refresh."""
        if self._moved and self._repaint_required:
            return  # already asked for since the last paint (a new row asks up to 3 times)
        cache = self._styles_cache
        known = isinstance(getattr(cache, "_cache", None), dict) and isinstance(
            getattr(cache, "_dirty_lines", None), set
        )
        if not known or self.styles.gutter or not self.is_mounted:
            self.refresh()
            return
        self._moved = True
        region = self.size.region
        self._repaint_regions.add(region)
        self._dirty_regions.add(region)
        self._repaint_required = True
        self.check_idle()

    def _reuse_moved(self) -> None:
        styled: dict[int, Strip] = self._styles_cache._cache
        dirty: set[int] = self._styles_cache._dirty_lines
        self._check_look()
        reuse = {key: styled[y] for y, key in self._shown.items() if y in styled and y not in dirty}
        reuse.update(self._ahead)  # styled already, for the terminal (`lines_ahead`)
        self._ahead.clear()
        styled.clear()
        dirty.clear()  # a line not in the cache is styled anyway
        self._shown.clear()
        for y, key in enumerate(self._keys(range(self.size.height))):
            strip = reuse.get(key)
            if strip is not None:
                styled[y] = strip
                self._shown[y] = key


def set_bar(
    bar: ScrollBar, virtual: int | None = None, window: int | None = None,
    position: float | None = None,
) -> None:  # fmt: skip
    """A scrollbar's new range or position, set without a repaint (see `_bars_drawn`)."""
    if virtual is not None:
        bar.set_reactive(ScrollBar.window_virtual_size, virtual)
    if window is not None:
        bar.set_reactive(ScrollBar.window_size, window)
    if position is not None:
        bar.set_reactive(ScrollBar.position, int(position * 8) / 8)  # its own granularity


def thumb(bar: ScrollBar) -> tuple[int, int, int]:
    """What the bar draws, as ScrollBarRender.render_bar computes it: its length and where its
    thumb starts and ends, in eighths of a cell."""
    size = bar.size.height if bar.vertical else bar.size.width
    virtual = ceil(bar.window_virtual_size)
    window = ceil(bar.window_size if bar.window_size < bar.window_virtual_size else 0)
    if not (window and size and virtual and size != virtual):
        return (size, -1, -1)
    thumb_size = max(1, window / (virtual / size))
    position = (size - thumb_size) * (bar.position / (virtual - window))
    start = int(position * 8)
    return (size, start, start + ceil(thumb_size * 8))
