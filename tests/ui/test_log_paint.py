"""The log view's paint shortcuts (issue 17) draw exactly what Textual's own path draws: lines
that only moved are taken from where they were (`LogLines._repaint_moved`), and the vertical
scrollbar is put together from cells styled once (`LineBar`)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from rich.segment import Segment
from textual._compositor import CompositorUpdate, LayoutUpdate
from textual.geometry import Region
from textual.scrollbar import ScrollBar

from screens.logs import LogsScreen
from screens.widgets.log_bar import LineBar
from tests.ui.test_logs_pane import app_for
from tui.logs.filter import LogFilter
from tui.logs.record import CONTAINER, FUNCTIONS, OUTCOME, Record


def rows(start: int, count: int, rng: random.Random) -> list[Record]:
    made = []
    for i in range(start, start + count):
        if i % 7 == 3:
            made.append(Record(float(i), FUNCTIONS, OUTCOME, f"M(tasks:create) {i}", "FAILURE",
                               success=False))  # fmt: skip
        else:
            text = f"row {i} " + "x" * rng.choice((0, 5, 150, 400))
            made.append(Record(float(i), "box", CONTAINER, text, rng.choice(("stdout", "stderr"))))
    return made


async def logs_pane(pilot: Any) -> LogsScreen:
    await pilot.press("2")
    screen = pilot.app.screen
    assert isinstance(screen, LogsScreen)
    return screen


async def filled(pilot: Any, records: list[Record]) -> LogsScreen:
    screen = await logs_pane(pilot)
    screen.inbox.put(records)
    screen._drain_now()
    await pilot.pause()
    return screen


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
    sandbox: Any,
) -> None:
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


def cells(strips: list[Any]) -> list[list[tuple[str, Any]]]:
    """Each line as (character, style) per cell: two renders may cut segments differently."""
    return [[(ch, seg.style) for seg in strip for ch in seg.text] for strip in strips]


def row_cells(row: list[Any]) -> list[tuple[str, Any]]:
    """A laid row's cells (its pieces side by side)."""
    return [cell for piece in cells(row) for cell in piece]


class Terminal:
    """A virtual terminal (pyte) fed every update the App writes, from a full render on."""

    def __init__(self, app: Any) -> None:
        import pyte

        self.app = app
        width, height = app.size
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self.screen)
        self.updates: list[Any] = []
        self.feed(full_render(app))
        display = app._display

        def spy(on: Any, update: Any) -> None:
            display(on, update)
            if isinstance(update, CompositorUpdate):
                self.updates.append(update)
                self.feed(update.render_segments(app.console))

        app._display = spy

    def feed(self, data: str) -> None:
        self.stream.feed(data)

    def rows(self, top: int, bottom: int) -> list[list[Any]]:
        buffer = self.screen.buffer
        return [[buffer[y][x] for x in range(self.screen.columns)] for y in range(top, bottom)]


def full_render(app: Any) -> str:
    """The whole screen as the compositor draws it now, as a terminal would be sent it."""
    strips = app.screen._compositor.render_strips()
    width, height = app.size
    return LayoutUpdate([[s] for s in strips], Region(0, 0, width, height)).render_segments(
        app.console
    )


def expected_rows(app: Any, top: int, bottom: int) -> list[list[Any]]:
    import pyte

    width, height = app.size
    fresh = pyte.Screen(width, height)
    pyte.Stream(fresh).feed(full_render(app))
    return [[fresh.buffer[y][x] for x in range(width)] for y in range(top, bottom)]


async def test_rows_painted_straight_to_the_terminal_are_what_the_compositor_draws(
    sandbox: Any,
) -> None:
    """`paint_direct` lays the log's scrollbars over its lines itself, and writes only the rows
    the terminal does not show yet, moving the ones that moved (a scroll region). A virtual
    terminal fed everything the App writes shows, in every region a direct paint wrote, what a
    full render of the screen shows there. With a toast over the log it leaves the paint to
    Textual."""
    from screens.direct_paint import Patches

    rng = random.Random(23)
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40), notifications=True, tooltips=True) as pilot:
        screen = await logs_pane(pilot)
        lines = screen.lines
        await pilot.pause()
        term = Terminal(app)
        made = direct = deferred = scrolled = 0
        toast = False
        for step in range(100):
            op = rng.choice(("add", "add", "add", "add", "add", "page_up", "follow", "wrap",
                             "pan", "box", "toast", "resize"))  # fmt: skip
            if op == "page_up":
                lines.action_page(-1)
            elif op == "follow":
                screen.action_follow()
            elif op == "wrap":
                screen.action_toggle_wrap()
            elif op == "pan":
                lines.action_pan(rng.choice((-8, 8)))
            elif op == "box":
                screen.query_one("#filter").toggle_class("-hidden")
            elif op == "toast":
                toast = not toast
                if toast:
                    app.notify(f"toast {step}", timeout=60)
                else:
                    app.clear_notifications()
            elif op == "resize":
                size = rng.choice(((120, 40), (80, 24), (100, 30)))
                await pilot.resize_terminal(*size)
                await pilot.pause()
                term = Terminal(app)  # a new size: a terminal of that size, drawn whole
            await pilot.pause()
            term.updates.clear()
            count = rng.choice((1, 1, 2, 30))
            screen.inbox.put(rows(made, count, rng))
            made += count
            screen._drain_now()
            patches = [u for u in term.updates if isinstance(u, Patches)]
            if not patches:
                deferred += toast
                await pilot.pause()
                continue
            direct += 1
            for update in patches[0].updates:
                region = update.region
                scrolled += update.shift > 0
                ours = [row[region.x : region.right] for row in term.rows(region.y, region.bottom)]
                theirs = [row[region.x : region.right]
                          for row in expected_rows(app, region.y, region.bottom)]  # fmt: skip
                assert ours == theirs, f"step {step} ({op}), region {region}"
            await pilot.pause()
        assert direct > 30 and deferred > 0 and scrolled >= 3, (direct, deferred, scrolled)


@pytest.mark.parametrize("ring", ["growing", "full"])
async def test_a_followed_row_moves_the_others_and_writes_itself(sandbox: Any, ring: str) -> None:
    """Following, each new row moves the rows above it up on the terminal (one index step in a
    scroll region) and writes only what differs then. First, before the view has moved, the new
    row and the old cursor row (`write_ahead`), each as the view's own paint then draws it, and
    the rows that moved under other scrollbar cells (the thumb's end); then, only when the
    scrollbar changed, that paint, with only the rows where its cells changed; then the status
    bar. The terminal then shows what a full render shows. The same with a full
    ring, where each new row drops the oldest and the scroll offset stays (it used to write the
    whole log every time)."""
    from screens.direct_paint import Patches

    rng = random.Random(5)
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await filled(pilot, rows(0, 200, rng))
        if ring == "full":
            screen.view.buffer.capacity = len(screen.view.buffer)
        screen.inbox.put([Record(199.5, "box", CONTAINER, "written whole", "stdout")])
        screen._drain_now()  # Textual drew the pane since: this paint writes its regions whole
        await pilot.pause()
        term = Terminal(app)
        region = screen.lines.region
        whole = len(full_render(app))
        lines, moving = screen.lines, region.height - screen.lines.scrollbar_size_horizontal
        fixed = 0
        for i in range(200, 220):
            term.updates.clear()
            offset = lines.scroll_y
            screen.inbox.put([Record(float(i), "box", CONTAINER, f"row {i}", "stdout")])
            screen._drain_now()
            await pilot.pause()  # the status bar is painted after what waits on the loop
            patches = [u for u in term.updates if isinstance(u, Patches)]
            bar = screen.query_one("#logs-bar").region
            regions = [[u.region for u in p.updates] for p in patches]
            assert regions in ([[region], [bar]], [[region], [region], [bar]]), regions
            ahead = patches[0].updates[0]
            new, edges = [moving - 2, moving - 1], [y for y, _ in ahead.rows][:-2]
            assert ahead.shift == 1 and [y for y, _ in ahead.rows][-2:] == new
            assert len(edges) <= 3  # rows moved under other scrollbar cells (the thumb's end)
            assert lines.scroll_y == offset + (ring == "growing")  # a full ring stays put
            drawn = screen.app.__dict__["_direct_paint_drawn"][region].rows
            content = region.width - lines.scrollbar_size_vertical
            for y, row in ahead.rows:  # as the view's paint draws them, but for the bar's cells
                assert row_cells(row)[:content] == row_cells(drawn[y])[:content], y
            if len(patches) == 3:  # the paint wrote what moved in the scrollbar, nothing else
                fix = patches[1].updates[0]
                fixed += 1
                assert fix.shift == 0 and 0 < len(fix.rows) <= 4
                assert all(row_cells(row)[:content] == row_cells(drawn[y])[:content]
                           for y, row in fix.rows)  # fmt: skip
            assert sum(len(p.render_segments(app.console)) for p in patches) < whole / 8
            assert term.rows(0, app.size.height) == expected_rows(app, 0, app.size.height)
        # A growing log's thumb shrinks now and then, which only the view's paint writes; a
        # full ring's thumb stays: the terminal has everything from the rows written ahead.
        assert fixed if ring == "growing" else not fixed


async def test_rows_are_written_ahead_only_while_plainly_following(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`write_ahead` guesses a followed view's next lines (a full ring dropping its oldest rows
    too); anything else (a row merged in among earlier ones, paused, wrapped, a horizontal
    pan, a toast over the log) gets the view's own paint alone, and the terminal shows what a
    full render shows either way."""
    from screens.direct_paint import write_ahead as real

    written: list[bool] = []

    def spy(*args: Any) -> bool:
        written.append(real(*args))
        return written[-1]

    monkeypatch.setattr("screens.logs_arrivals.write_ahead", spy)
    rng = random.Random(9)
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await filled(pilot, rows(0, 120, rng))
        term = Terminal(app)
        made = 120

        async def arrival(late: bool = False) -> bool:
            nonlocal made
            written.clear()
            at = made - 50.5 if late else float(made)  # late: among the rows already shown
            screen.inbox.put([Record(at, "box", CONTAINER, f"row {made}", "stdout")])
            made += 1
            screen._drain_now()
            await pilot.pause()
            assert term.rows(0, app.size.height) == expected_rows(app, 0, app.size.height)
            return written == [True]

        await arrival()  # Textual drew the pane since: this paint writes its regions whole
        assert await arrival() and await arrival()  # plainly following
        assert not await arrival(late=True)
        await arrival()
        assert await arrival()
        screen.lines.action_move(-1)  # paused
        await pilot.pause()
        assert not await arrival()
        screen.action_follow()
        await pilot.pause()
        await arrival()  # the paint after the jump back may write whole
        assert await arrival()
        screen.action_toggle_wrap()
        await pilot.pause()
        assert not await arrival()
        screen.action_toggle_wrap()
        await pilot.pause()
        screen.lines.action_pan(8)
        await pilot.pause()
        assert not await arrival()
        screen.lines.action_pan(-8)
        await pilot.pause()
        await arrival()
        app.notify("over the log", timeout=60)
        await pilot.pause()
        assert not await arrival()
        app.clear_notifications()
        await pilot.pause()
        await arrival()
        assert await arrival()
        screen.view.buffer.capacity = len(screen.view.buffer)  # full: each row drops one
        assert await arrival() and await arrival()


async def test_a_full_ring_while_wrapping_is_written_as_the_compositor_draws_it(
    sandbox: Any,
) -> None:
    """Wrapped, a dropped row took an unknown number of lines with it: no paint takes that for
    a scroll of some lines, and the terminal shows what a full render shows."""
    from screens.direct_paint import Patches

    rng = random.Random(11)
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await filled(pilot, rows(0, 150, rng))
        screen.action_toggle_wrap()
        await pilot.pause()
        screen.view.buffer.capacity = len(screen.view.buffer)
        term = Terminal(app)
        for i in range(150, 160):
            term.updates.clear()
            screen.inbox.put(rows(i, 1, rng))
            screen._drain_now()
            await pilot.pause()
            assert screen.view.dropped >= i - 149
            shifts = [u.shift for p in term.updates if isinstance(p, Patches) for u in p.updates]
            assert not any(shifts), shifts
            assert term.rows(0, app.size.height) == expected_rows(app, 0, app.size.height)


async def test_after_the_terminal_was_handed_over_the_next_paint_writes_whole(
    sandbox: Any,
) -> None:
    """While suspended ($EDITOR) the terminal is another program's: the next followed row is
    written with its whole region, not as a difference from what was there before."""
    from screens.direct_paint import Patches

    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await filled(pilot, rows(0, 200, random.Random(7)))
        term = Terminal(app)
        region = screen.lines.region

        def arrive(i: int) -> Any:
            term.updates.clear()
            screen.inbox.put([Record(float(i), "box", CONTAINER, f"row {i}", "stdout")])
            screen._drain_now()
            patches = [u for u in term.updates if isinstance(u, Patches)]
            return next(u for p in patches for u in p.updates if u.region == region)

        arrive(200)
        assert arrive(201).shift == 1  # remembered: moved, not written
        app._suspend_signal()
        app._resume_signal()
        whole = arrive(202)
        assert whole.shift == 0 and len(whole.rows) == region.height


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
