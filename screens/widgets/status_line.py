"""A one-line status bar that is cheap to repaint: Rich ``Text`` in, one styled line out.

A pane's status line ("following · 1,204/1,204 rows · …") changes with every row that arrives,
and a `Static` renders each new text through Textual's visual pipeline: ~0.3 ms a time, a
fifth of the paint between a log row's arrival and the row on screen (issue 17). This renders
the text once per change and width, with the widget's own style under the text's, as a Static
would for a Rich ``Text``; padding and background are Textual's, as for any widget.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.strip import Strip

from screens.widgets.prompts import PromptHolder


class StatusLine(PromptHolder):
    DEFAULT_CSS = """
    StatusLine {
        height: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._strip: Strip | None = None
        self._drawn: tuple[object, ...] = ()

    def update(self, text: Text) -> None:
        """Show ``text`` (one line; cut with an ellipsis when it is too long)."""
        if text.plain == self._text.plain and text.spans == self._text.spans:
            return
        self._text = text
        self._strip = None
        self.refresh()

    def render(self) -> Text:  # what the bar says (tests read it)
        return self._text

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        base = self.rich_style
        if y:
            return Strip.blank(width, base)
        if self._strip is None or self._drawn != (width, base):  # new text, width or theme
            text = self._text.copy()
            text.no_wrap = True
            text.truncate(width, overflow="ellipsis")
            segments = Segment.apply_style(text.render(self.app.console), base)
            self._strip = Strip(segments).crop_extend(0, width, base)
            self._drawn = (width, base)
        return self._strip
