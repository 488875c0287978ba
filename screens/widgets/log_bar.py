"""The log view's vertical scrollbar: Textual's, drawn from cells styled once per kind.

A vertical bar has at most five kinds of cell: track above the thumb, thumb, track below, and
the two eighth-cell ends. Textual draws the whole bar again each time its thumb moves: a Rich
render of every cell and a styling pass per line, 1-3 ms of a 4 ms paint, and a followed log
moves the thumb every row or two while it holds fewer than a few thousand rows (issue 17). This
bar computes the same cells (Textual's own `ScrollBarRender.render_bar`), styles each kind the
way Textual would (its line styler, `StylesCache.render_line`) the first time it is seen, and
puts the lines together from those. Anything it does not expect goes to Textual's path.
"""

from __future__ import annotations

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip

from screens.widgets.prompts import PromptHolder

_BACK = Color.parse("#555555")  # ScrollBarRender's defaults for a style without colours
_BAR = Color.parse("bright_magenta")


class LineBar(ScrollBar, PromptHolder):
    def __init__(self, vertical: bool = True, name: str | None = None, *, thickness: int = 1):
        super().__init__(vertical, name, thickness=thickness)
        self._kinds: dict[Segment, Strip] = {}
        self._look: tuple[object, ...] = ()
        self._lines: list[Strip] | None = None  # the whole bar as last drawn

    def render_lines(self, crop: Region) -> list[Strip]:
        width, height = self.size
        plain = not self.styles.gutter and not any(edge for edge, _ in self.styles.outline)
        if not self.vertical or not width or not height or not plain:
            return super().render_lines(crop)
        if self._dirty_regions or self._lines is None or len(self._lines) != height:
            drawn = self._draw(width, height)
            if drawn is None:
                return super().render_lines(crop)
            self._lines = drawn
            self._dirty_regions.clear()  # as Textual's `_render_content` does once drawn
        lines = self._lines[crop.y : crop.bottom]
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            lines = [line.crop(x1, x2) for line in lines]
        return lines

    def _draw(self, width: int, height: int) -> list[Strip] | None:
        bar = self.render()
        if type(bar) is not ScrollBarRender:
            return None
        style = bar.style if isinstance(bar.style, Style) else self.app.console.get_style(bar.style)
        cells = ScrollBarRender.render_bar(
            size=height,
            virtual_size=bar.virtual_size,
            window_size=bar.window_size,
            position=bar.position,
            thickness=width,
            vertical=True,
            back_color=style.bgcolor or _BACK,
            bar_color=style.color or _BAR,
        ).segments
        base = self.visual_style.rich_style
        base_background, background = self.background_colors
        app = self.app
        filters = self.get_line_filters()
        look = (base, base_background, background, width, app.ansi_theme, app.native_ansi_color,
                self.styles.text_opacity, self.opacity, *filters)  # fmt: skip
        if look != self._look:
            self._kinds.clear()
            self._look = look
        lines: list[Strip] = []
        for y, cell in enumerate(cells):
            strip = self._kinds.get(cell)
            if strip is None:
                # As Textual's path makes it: the widget's style under the cell's (`_Styled`),
                # the line styler (background, opacity, tint), then the app's line filters.
                content = Strip([Segment(cell.text, base + cell.style if base else cell.style)])

                def line(_y: int, content: Strip = content) -> Strip:
                    return content

                strip = self._styles_cache.render_line(
                    self.styles, y, self.size, self.content_region.size, self.styles.padding,
                    base_background, background, line, None, None,
                    self.opacity, app.ansi_theme, app.native_ansi_color,
                )  # fmt: skip
                for line_filter in filters:
                    strip = strip.apply_filter(line_filter, background)
                self._kinds[cell] = strip
            lines.append(strip)
        return lines
