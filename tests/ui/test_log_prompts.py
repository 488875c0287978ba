"""A followed row wakes no widget's task (`screens/widgets/prompts.py`): the Logs pane paints the
log, its scrollbar and its status bar itself, so the Prompts Textual's refresh would post them
(and the screen's Update that follows) are held, and posted only when a paint left something
to do. Those wake-ups ran before the loop read what arrived meanwhile (issue 17)."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from textual import messages
from textual.app import App, ComposeResult
from textual.message_pump import MessagePump

from screens.widgets.prompts import PromptHolder, held, settle
from tests.ui.conftest import until
from tests.ui.paint_terminal import Terminal, expected_rows, filled, rows
from tests.ui.test_logs_pane import app_for
from tui.logs.record import CONTAINER, Record


class _Posts:
    """The Prompts and Updates posted to any message pump, by receiver's class, meanwhile."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self._post = MessagePump.post_message

    def __enter__(self) -> _Posts:
        post = self._post

        def spied(pump: MessagePump, message: Any) -> bool:
            if isinstance(message, messages.Prompt | messages.Update):
                self.seen[f"{type(pump).__name__} <- {type(message).__name__}"] += 1
            return post(pump, message)

        MessagePump.post_message = spied  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        MessagePump.post_message = self._post  # type: ignore[method-assign]


async def test_a_followed_row_and_its_bars_are_painted_without_waking_a_task(
    sandbox: Any,
) -> None:
    """Rows arriving one by one while following, the scrollbar's thumb moving now and then: no
    Prompt or Update is posted to anything from the arrival to the bars' paint, and the
    terminal shows what a full render shows. (Before: a Prompt to the log every row, to the
    scrollbar and an Update to the screen most rows, a Prompt to the status bar every row.)"""
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await filled(pilot, rows(0, 60, random.Random(4)))
        lines = screen.lines
        screen.inbox.put([Record(59.5, "box", CONTAINER, "written whole", "stdout")])
        screen._drain_now()
        await until(pilot, lambda: not screen._bar_due, what="the bars' paint")
        await pilot.pause()
        term = Terminal(app)
        thumbs = set()
        for i in range(60, 100):
            with _Posts() as posts:
                screen.inbox.put([Record(float(i), "box", CONTAINER, f"row {i}", "stdout")])
                screen._drain_now()
                await until(pilot, lambda: not screen._bar_due, what="the bars' paint")
            assert not posts.seen, (i, posts.seen)
            thumbs.add(round(lines.vertical_scrollbar.position))
            chrome = (lines, screen.bar, *lines.scrollbars())
            assert not any(getattr(w, "_prompt_owed", False) for w in chrome)
            assert term.rows(0, app.size.height) == expected_rows(app, 0, app.size.height)
        assert len(thumbs) > 5  # the thumb moved: the bar's paint was needed, and done


class _Box(PromptHolder):
    def render(self) -> str:
        return "box"


class _BoxApp(App[None]):
    def compose(self) -> ComposeResult:
        yield _Box()


async def test_a_held_prompt_is_posted_when_no_paint_took_its_refresh() -> None:
    """Held, a refresh posts nothing; `settle` then posts the Prompt when the widget still has
    something for its idle (Textual then paints it), and nothing when a paint took it."""
    app = _BoxApp()
    async with app.run_test() as pilot:
        box = app.query_one(_Box)
        await pilot.pause()
        with _Posts() as posts:
            with held([box]):
                box.refresh()
            assert not posts.seen and box._prompt_owed
            settle([box])
            assert posts.seen == Counter({"_Box <- Prompt": 1}) and not box._prompt_owed
        await until(pilot, lambda: not box._repaint_required, what="the box's idle")
        with _Posts() as posts:
            with held([box]):
                box.refresh(layout=True)
            box._repaint_required = False  # as a direct paint leaves it, but not its layout
            settle([box])
            assert posts.seen == Counter({"_Box <- Prompt": 1})
        await pilot.pause()
        with _Posts() as posts:
            with held([box]):
                box.refresh()
            box._repaint_required = False  # painted: nothing left for its idle
            settle([box])
            box.refresh()  # not held: Textual's own
            assert posts.seen == Counter({"_Box <- Prompt": 1})
