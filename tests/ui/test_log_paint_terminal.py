"""The Logs pane's rows as the terminal gets them (`screens/direct_paint.py`): a virtual terminal
fed everything the App writes must show what a full render shows, after random arrivals among
toasts, resizes, wrap and pans, after each followed row (a growing log and a full ring), with
the rows written ahead of the view's paint, and after the terminal was handed over."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from tests.ui.conftest import until
from tests.ui.paint_terminal import (
    Terminal,
    expected_rows,
    filled,
    full_render,
    logs_pane,
    row_cells,
    rows,
)
from tests.ui.test_logs_pane import app_for
from tui.logs.record import CONTAINER, Record


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
    the rows that moved under other scrollbar cells (the thumb's end); then, after what waits
    on the loop, the status bar, with the scrollbar's rows where its cells changed (only when
    they did). The terminal then shows what a full render shows. The same with a full
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
            # The bars are painted after what waits on the loop and what it reads next.
            await until(pilot, lambda: not screen._bar_due, what="the bars' paint")
            patches = [u for u in term.updates if isinstance(u, Patches)]
            bar = screen.query_one("#logs-bar").region
            regions = [[u.region for u in p.updates] for p in patches]
            assert regions in ([[region], [bar]], [[region], [region, bar]]), regions
            ahead = patches[0].updates[0]
            new, edges = [moving - 2, moving - 1], [y for y, _ in ahead.rows][:-2]
            assert ahead.shift == 1 and [y for y, _ in ahead.rows][-2:] == new
            assert len(edges) <= 3  # rows moved under other scrollbar cells (the thumb's end)
            assert lines.scroll_y == offset + (ring == "growing")  # a full ring stays put
            drawn = screen.app.__dict__["_direct_paint_drawn"][region].rows
            content = region.width - lines.scrollbar_size_vertical
            for y, row in ahead.rows:  # as the view's paint draws them, but for the bar's cells
                assert row_cells(row)[:content] == row_cells(drawn[y])[:content], y
            if len(patches[1].updates) == 2:  # what moved in the scrollbar, nothing else
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


@pytest.mark.parametrize("later", ["next turn", "within the bars' delay"])
async def test_rows_read_while_the_last_ones_bars_wait_are_written_before_them(
    sandbox: Any, later: str
) -> None:
    """A mutation's row is written ahead; its scheduled follow-up's answer is read by the
    loop's next turn, or a few milliseconds later (here, a callback queued right after, or a
    timer at half of BARS_AFTER_S). That row is written ahead too, over the scrollbar cells
    the terminal still shows, before the status bar and the scrollbars are painted once for
    both; the terminal then shows what a full render shows. (Before, the bars were painted
    first, in the loop's next turn: the follow-up's answer waited for them, 0.3-1 ms in traces
    of a real terminal, issue 17.)"""
    from screens.direct_paint import Patches
    from screens.logs_arrivals import BARS_AFTER_S

    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await filled(pilot, rows(0, 60, random.Random(3)))
        screen.inbox.put([Record(59.5, "box", CONTAINER, "written whole", "stdout")])
        screen._drain_now()  # Textual drew the pane since: this paint writes its regions whole
        await until(pilot, lambda: not screen._bar_due, what="the bars' paint")
        term = Terminal(app)
        lines, region = screen.lines, screen.lines.region
        bar = screen.query_one("#logs-bar").region
        loop = asyncio.get_running_loop()
        over_waiting_bars = 0
        for i in range(60, 80, 2):
            term.updates.clear()

            def follow_up(i: int = i) -> None:
                nonlocal over_waiting_bars
                if screen._bars_changed():
                    over_waiting_bars += 1
                    # As once the screen has taken the bars' refresh (their idle's message):
                    # the rows are written ahead over them all the same.
                    screen._dirty_widgets.update(lines.scrollbars())
                screen.inbox.put([Record(i + 1.0, "box", CONTAINER, f"follow-up {i}", "stdout")])
                screen._drain_now()

            screen.inbox.put([Record(float(i), "box", CONTAINER, f"mutation {i}", "stdout")])
            screen._drain_now()
            if later == "next turn":
                loop.call_soon(follow_up)
            else:  # a timer due before the bars' (armed in the next turn, BARS_AFTER_S on)
                loop.call_later(BARS_AFTER_S / 2, follow_up)
            shown = i + 3  # the rows before, and these two

            def painted(shown: int = shown) -> bool:
                return not screen._bar_due and len(lines.view.visible) == shown

            await until(pilot, painted, what="both rows and the bars' paint")
            patches = [p for p in term.updates if isinstance(p, Patches)]
            regions = [[u.region for u in p.updates] for p in patches]
            assert regions in ([[region], [region], [bar]], [[region], [region], [region, bar]])
            assert [p.updates[0].shift for p in patches[:2]] == [1, 1]  # both written ahead
            assert f"{shown}/{shown} rows" in str(screen.query_one("#logs-bar").render())
            assert term.rows(0, app.size.height) == expected_rows(app, 0, app.size.height)
        assert over_waiting_bars  # the thumb moved now and then: its paint waited


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


def test_a_row_moved_under_other_scrollbar_cells_gets_them_swapped_in_place() -> None:
    """`write_ahead` rewrites a moved row whose scrollbar cells differ (the thumb's ends): the
    bar pieces it was laid with are swapped for the new ones when they lie at the same places
    and are the very pieces laid; otherwise (None) the row is laid again from its line."""
    from rich.segment import Segment
    from textual.strip import Strip

    from screens.direct_paint import _swap_bars

    line = Strip([Segment("log line ")], 9)
    track, thumb = Strip([Segment(" ")], 1), Strip([Segment("▇")], 1)
    assert _swap_bars([line, track], [(9, 10, track)], [(9, 10, thumb)]) == [line, thumb]
    # Another bar place, or a piece that is not the one laid there: laid again.
    assert _swap_bars([line, track], [(9, 10, track)], [(8, 9, thumb)]) is None
    assert _swap_bars([line, Strip([Segment(" ")], 1)], [(9, 10, track)], [(9, 10, thumb)]) is None
