"""The log view's paint shortcuts (issue 17) draw exactly what Textual's own path draws: lines
that only moved are taken from where they were (`LogLines._repaint_moved`), and the vertical
scrollbar is put together from cells styled once (`LineBar`)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from rich.segment import Segment
from textual.scrollbar import ScrollBar

from screens.logs import LogsScreen
from screens.widgets.log_bar import LineBar
from tests.ui.paint_terminal import (
    filled,
    logs_pane,
    rows,
)
from tests.ui.test_logs_pane import app_for
from tui.logs.filter import LogFilter
from tui.logs.record import CONTAINER, FUNCTIONS, OUTCOME, Record


def view_cells(screen: LogsScreen) -> list[list[Segment]]:
    """The log view's part of the screen as the compositor draws it now."""
    region = screen.lines.region
    strips = screen._compositor.render_strips()[region.y : region.bottom]
    return [list(strip.crop(region.x, region.right)) for strip in strips]


async def test_lines_moved_instead_of_restyled_paint_what_a_full_repaint_does(
    sandbox: Any,
) -> None:
    rng = random.Random(17)
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await logs_pane(pilot)
        lines = screen.lines
        made = 0
        ops = ["add", "add", "add", "add", "up", "down", "page_up", "page_down", "top",
               "follow", "pan_right", "pan_left", "time", "wrap", "query", "narrow",
               "hover"]  # fmt: skip
        done: list[str] = []
        for step in range(80):
            op = ops[step] if step < len(ops) else rng.choice(ops)
            done.append(op)
            if op == "add":
                count = rng.choice((1, 1, 2, 5, 40))
                screen.inbox.put(rows(made, count, rng))
                made += count
                screen._drain_now()
            elif op in ("up", "down"):
                lines.action_move(-1 if op == "up" else 1)
            elif op in ("page_up", "page_down"):
                lines.action_page(-1 if op == "page_up" else 1)
            elif op == "top":
                lines.action_top()
            elif op == "follow":
                screen.action_follow()
            elif op in ("pan_right", "pan_left"):
                lines.action_pan(8 if op == "pan_right" else -8)
            elif op == "time":
                screen.action_toggle_time()
            elif op == "wrap":
                screen.action_toggle_wrap()
            elif op == "query":
                screen.set_filter(LogFilter().with_(query=rng.choice(("", "row 1", "tasks"))))
            elif op == "narrow":
                screen.action_toggle_narrow()
            elif op == "hover" and lines.show_vertical_scrollbar:
                bar = lines.vertical_scrollbar
                bar.mouse_over = not bar.mouse_over
            await pilot.pause()
            shown = view_cells(screen)
            for widget in (lines, *lines.scrollbars()):
                widget.refresh()  # Textual's own path: everything styled again
            await pilot.pause()
            assert view_cells(screen) == shown, f"step {step}: {done[-6:]}"
        assert made > 200 and lines.show_vertical_scrollbar


async def test_a_new_row_while_following_styles_only_the_lines_that_changed(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screens.widgets import log_lines

    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        rng = random.Random(3)
        screen = await filled(pilot, rows(0, 500, rng))
        lines = screen.lines
        styled: list[int] = []
        original = lines._styles_cache.render_line

        def counting(*args: Any) -> Any:
            styled.append(args[1])
            return original(*args)

        lines._styles_cache.render_line = counting  # type: ignore[method-assign,assignment]
        # The write ahead styles the lines itself (`styled_lines`, used by the log's module).
        from screens.direct_paint import styled_lines as ahead

        def styling(widget: Any, contents: dict[int, Any]) -> Any:
            styled.extend(contents)
            return ahead(widget, contents)

        monkeypatch.setattr(log_lines, "styled_lines", styling)
        screen.inbox.put(rows(500, 1, rng))
        screen._drain_now()
        await pilot.pause()
        height = lines.scrollable_content_region.height
        # The new last line, and the line above it, which held the cursor until now.
        assert sorted(styled) == [height - 2, height - 1]
        assert lines.view.visible[-1].time == 500.0


async def test_the_log_bar_draws_the_cells_textual_draws(sandbox: Any) -> None:
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await filled(pilot, rows(0, 300, random.Random(5)))
        bar = screen.lines.vertical_scrollbar
        assert isinstance(bar, LineBar) and bar.size.height > 10
        rng = random.Random(11)
        for _ in range(150):
            bar.set_reactive(ScrollBar.window_virtual_size, rng.randint(1, 5000))
            bar.set_reactive(ScrollBar.window_size, rng.randint(0, 60))
            bar.set_reactive(ScrollBar.position, rng.randint(0, 5000) / 8)
            bar.set_reactive(ScrollBar.mouse_over, rng.random() < 0.3)
            full = bar.size.region
            bar.refresh()
            ours = bar.render_lines(full)
            bar.refresh()
            theirs = ScrollBar.render_lines(bar, full)
            assert [list(s) for s in ours] == [list(s) for s in theirs], (
                bar.window_virtual_size,
                bar.window_size,
                bar.position,
                bar.mouse_over,
            )
            part = full.intersection(full._replace(y=3, height=4))
            assert [list(s) for s in bar.render_lines(part)] == [list(s) for s in theirs[3:7]]


async def test_a_resize_keeps_the_tail_while_following_and_the_cursor_row_when_paused(
    sandbox: Any,
) -> None:
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await filled(pilot, rows(0, 300, random.Random(1)))
        screen.action_toggle_wrap()  # narrower: more wrapped lines than before
        await pilot.pause()
        lines = screen.lines
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen.view.follow and lines.scroll_y == lines.max_scroll_y > 0
        lines.action_page(-1)  # paused, the cursor mid-log
        lines.action_page(-1)
        await pilot.pause()
        assert not screen.view.follow
        cursor = lines.cursor
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        shown = "\n".join("".join(seg.text for seg in line) for line in view_cells(screen))
        assert f"row {cursor} " in shown or f") {cursor}" in shown


def test_a_paint_is_written_at_once_only_when_nothing_is_ahead_of_it() -> None:
    """`write_in_order` writes from the calling thread only when Textual's writer thread is
    idle (all it was given is written); when it is busy, or the text is big, the text is
    queued behind what it has. A real writer thread on a pipe: the bytes keep their order."""
    import os
    import time

    from textual.drivers._writer_thread import WriterThread

    from screens.painting import WRITE_NOW_MAX, write_in_order

    read_fd, write_fd = os.pipe()
    writer = WriterThread(os.fdopen(write_fd, "w", encoding="utf-8"))
    writer.start()

    def read(n: int) -> bytes:
        got = b""
        while len(got) < n:
            got += os.read(read_fd, n - len(got))
        return got

    def waiting() -> bool:  # the writer thread waits for its next text
        return len(writer._queue.not_empty._waiters) == 1  # type: ignore[attr-defined]

    try:
        deadline = time.monotonic() + 10
        while not waiting() and time.monotonic() < deadline:
            time.sleep(0.001)
        assert write_in_order(writer, "now") is True
        os.set_blocking(read_fd, False)
        assert os.read(read_fd, 100) == b"now"  # in the pipe before the call returned
        os.set_blocking(read_fd, True)
        big = "x" * WRITE_NOW_MAX + "y"
        assert write_in_order(writer, big) is False  # too big for this thread: queued
        writer.write("z" * 200_000)  # more than the pipe holds: the writer thread waits
        assert write_in_order(writer, "after") is False  # busy: behind what it has
        assert read(len(big) + 200_005) == (big + "z" * 200_000 + "after").encode()
    finally:
        writer.stop()
        os.close(read_fd)


async def test_a_plain_row_built_as_segments_is_the_row_a_text_renders(sandbox: Any) -> None:
    """`LogLines._plain_row` skips Rich's Text for rows whose body is one unstyled run: its
    strip must equal, segment by segment, what the Text path renders, for any record (control
    codes, tabs, newlines, wide and empty text, long tags, the server's own level words), with
    and without the time column and the cursor; rows it cannot build say so (None)."""
    from rich.text import Text
    from textual.strip import Strip

    from tui.logs.record import EVENT, LOG, MARKER

    rng = random.Random(11)
    pieces = ["ok", "", " ", "a\rb\x07c\x08", "tab\there", "multi\nline\r\nend", "é中文🙂", "x" * 2100,
              "\x1b[31mred\x1b[0m", "\x1b]8;;http://x\x07link"]  # fmt: skip
    levels = ["LOG", "INFO", "ERROR", "WARN", "DEBUG", "SUCCESS", "FAILURE", "stdout", "stderr",
              "WEIRD\x1b[2J", ""]  # fmt: skip
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        lines = (await logs_pane(pilot)).lines
        built = 0
        for _ in range(600):
            kind = rng.choice([LOG, OUTCOME, CONTAINER, EVENT, MARKER])
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 3)))
            function = rng.choice(["tasks:processTask", "f" * 40, "a:b\x07\x1b[1m", ""])
            record = Record(rng.uniform(0, 2e9), FUNCTIONS, kind, text, rng.choice(levels),
                            function=function, udf=rng.choice(["M", "A", ""]),
                            success=rng.choice([True, False, None]))  # fmt: skip
            for show_time in (True, False):
                lines.show_time = show_time
                lines._check_look()
                for cursor in (False, True):
                    fast = lines._plain_row(record, cursor)
                    if fast is None:
                        continue
                    built += 1
                    slow: Text = lines._row_text(record, 0)
                    if cursor:
                        slow.stylize(lines._style("cursor"))
                    expected = Strip(slow.render(app.console), slow.cell_len)
                    assert list(fast) == list(expected), (record, show_time, cursor)
                    assert fast.cell_length == expected.cell_length
        assert built > 1000


def test_only_textuals_own_terminal_driver_has_its_paints_written_directly() -> None:
    """A driver whose `write` is not the Linux driver's own (the browser's frames its output;
    a subclass may too) must get every paint through that `write`, never straight to a file."""
    from textual.drivers.headless_driver import HeadlessDriver
    from textual.drivers.linux_driver import LinuxDriver
    from textual.drivers.web_driver import WebDriver

    from screens.painting import writes_plainly

    class Framing(LinuxDriver):
        def write(self, data: str) -> None:
            super().write(f"<{data}>")

    class Plain(LinuxDriver):
        pass

    def bare(cls: type) -> object:
        return object.__new__(cls)  # the predicate looks at the class only

    assert writes_plainly(bare(LinuxDriver)) and writes_plainly(bare(Plain))
    assert not writes_plainly(bare(Framing))
    assert not writes_plainly(bare(WebDriver)) and not writes_plainly(bare(HeadlessDriver))
    assert not writes_plainly(None)


async def test_a_bare_widgets_lines_are_styled_as_textual_styles_them(sandbox: Any) -> None:
    """`styled_lines` skips `StylesCache.render_line` for a line of a bare widget's width (no
    border, padding, tint…: the log): what it returns is what Textual's path returns. With
    padding, it takes that path."""
    from screens.direct_paint import _bare, _constant, styled_lines

    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await filled(pilot, rows(0, 80, random.Random(6)))
        lines = screen.lines

        def textuals(y: int, content: Any) -> Any:
            base, background = lines.background_colors
            strip = lines._styles_cache.render_line(
                lines.styles, y, lines.region.size, lines.content_region.size,
                lines.styles.padding, base, background, _constant(content), None, None,
                lines.opacity, app.ansi_theme, app.native_ansi_color,
            )  # fmt: skip
            for line_filter in lines.get_line_filters():
                strip = strip.apply_filter(line_filter, background)
            return strip

        for padded in (False, True):
            if padded:
                lines.styles.padding = (0, 2)
                await pilot.pause()
            assert _bare(lines.styles, lines.opacity) is not padded
            width = lines.content_region.width if padded else lines.size.width
            contents = {y: lines.render_line(y).crop_extend(0, width, None) for y in range(5)}
            assert styled_lines(lines, contents) == {y: textuals(y, c) for y, c in contents.items()}
