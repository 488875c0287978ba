"""`StatusLine` against `Static`: the same Rich text gives the same cells (character, colours,
bold) at every width it fits, a text too long for the line ends in an ellipsis, and an
unchanged text asks for no repaint."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Static

from screens.widgets.status_line import StatusLine


class Pair(App[None]):
    CSS = """
    #static, #line { height: 1; padding: 0 1; background: $panel; color: $text; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="static")
        yield StatusLine(id="line")


def bar_text(*parts: tuple[str, str]) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, (s, style) in enumerate(parts):
        if i:
            text.append(" · ")
        text.append(s, style)
    return text


def cells(widget: Any) -> list[tuple[str, Any, Any, bool]]:
    strip = widget.render_lines(Region(0, 0, *widget.outer_size))[0]
    out = []
    for text, style, _ in strip:
        style = style or Style()
        for ch in text:
            blank = ch == " "  # a space shows only its background
            out.append((ch, None if blank else style.color, style.bgcolor, bool(style.bold)))
    return out


async def test_the_same_text_gives_the_same_cells_as_a_static() -> None:
    app = Pair()
    async with app.run_test(size=(100, 4)) as pilot:
        static, line = app.query_one("#static", Static), app.query_one(StatusLine)
        for parts in (
            [("following", "bold"), ("12/12 rows", ""), ("containers off (o)", "")],
            [("PAUSED · 3 new (G follows)", "bold reverse"), ("0/0 rows", "")],
            [("filter ⏎ x", ""), ("2 lost (fell behind)", "bold")],
        ):
            text = bar_text(*parts)
            static.update(text)
            line.update(text)
            await pilot.pause()
            assert cells(line) == cells(static)


async def test_a_long_text_ends_in_an_ellipsis_and_an_unchanged_one_is_not_repainted() -> None:
    app = Pair()
    async with app.run_test(size=(30, 4)) as pilot:
        line = app.query_one(StatusLine)
        line.update(bar_text(("following", "bold"), ("1,234/1,234 rows", ""), ("filter x", "")))
        await pilot.pause()
        shown = "".join(ch for ch, *_ in cells(line))
        assert len(shown) == 30 and shown.endswith("… ")  # padding: 0 1
        assert shown.startswith(" following · 1,234/1,234")
        line.update(bar_text(("following", "bold"), ("1,234/1,234 rows", ""), ("filter x", "")))
        assert not line._repaint_required
        line.update(bar_text(("following", "bold"), ("1,235/1,235 rows", "")))
        assert line._repaint_required
