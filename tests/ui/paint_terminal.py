"""What the Logs pane's paint tests share: rows to add, the pane filled with them, and a virtual
terminal (pyte) fed everything the App writes, to compare with a full render."""

from __future__ import annotations

import random
from typing import Any

from textual._compositor import CompositorUpdate, LayoutUpdate
from textual.geometry import Region

from screens.logs import LogsScreen
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
