"""How one row of the Logs pane is drawn: time, source tag, level and message, as one line of
styled segments (a base of `LogLines`, which decides which rows are on screen). Untrusted text
is never markup: the message is the record's sanitized display text, and a container's own SGR
colours are kept only as the sanitizer left them."""

from __future__ import annotations

from rich.cells import cell_len
from rich.control import strip_control_codes
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.logs.record import CONTAINER, EVENT, MARKER, OUTCOME, Record, stamp
from tui.logs.view import LogView

MAX_DISPLAY = 2_000  # long lines are cut on screen; the detail view has them whole
TAG_WIDTH = 24
_LEVEL_WORD = {"SUCCESS": "ok", "FAILURE": "fail", "stdout": "", "stderr": "err"}
_NULL = Style.null()
_LEVEL_CLASS = {
    "ERROR": "error",
    "FAILURE": "error",
    "stderr": "error",
    "WARN": "warn",
    "DEBUG": "muted",
    "SUCCESS": "success",
}


class LogRows(ScrollView):
    show_time: reactive[bool] = reactive(True, init=False)
    wrap: reactive[bool] = reactive(False, init=False)
    view: LogView
    _styles: dict[str, Style]  # component styles by name, cleared when the look changes

    @property
    def tag_width(self) -> int:
        # Narrow terminals keep more room for the message.
        return TAG_WIDTH if self.size.width >= 100 else TAG_WIDTH - 6

    def _prefix_width(self) -> int:
        return (13 if self.show_time else 0) + self.tag_width + 1 + 6

    def _style(self, name: str) -> Style:
        found = self._styles.get(name)
        if found is None:
            found = self._styles[name] = self.get_component_rich_style(
                f"log-lines--{name}", partial=True
            )
        return found

    def _row_text(self, r: Record, segment: int) -> Text:
        body = self._body(r)
        if self.wrap:
            width = max(10, self.scrollable_content_region.width - self._prefix_width())
            pieces = body.divide(range(width, max(width, len(body)), width))
            body = pieces[segment] if segment < len(pieces) else Text("")
            if segment:
                return Text(" " * self._prefix_width()) + body
        out = Text(no_wrap=True, end="")
        for text, style in self._columns(r):
            out.append(text, style)
        out.append_text(body)
        return out

    def _columns(self, r: Record) -> list[tuple[str, Style]]:
        """The row's time, tag and level, each with its style (the null style for none)."""
        runs = [(stamp(r.time) + " ", self._style("time"))] if self.show_time else []
        tag, width = r.tag, self.tag_width
        tag = tag if len(tag) <= width else tag[: width - 1] + "…"
        runs.append((f"{tag:<{width}} ", self._style("event" if r.kind == EVENT else "tag")))
        level = _LEVEL_WORD.get(r.level)
        if level is None:  # the server's word: cleaned only when shown as it is
            level = r.level_text
        cls = _LEVEL_CLASS.get(r.level)
        runs.append((f"{level:<5} ", self._style(cls) if cls else _NULL))
        return runs

    @staticmethod
    def _one_line(r: Record) -> str:
        """The message as one screen line (wrapping cuts it further): cut at MAX_DISPLAY,
        newlines shown as ⏎, tabs as spaces."""
        display = r.display
        if len(display) > MAX_DISPLAY:
            display = display[:MAX_DISPLAY] + "…"
        return display.replace("\r\n", "\n").replace("\n", "⏎").replace("\t", "    ")

    def _plain_row(self, r: Record, cursor: bool) -> Strip | None:
        """The row's strip as `_row_text` renders it, built from segments straight away when
        its body is one unstyled run (most rows): building and rendering a `Text` was ~0.1 ms
        a row, a fifth of a followed arrival's paint (issue 17). None otherwise."""
        if self.wrap or r.kind == MARKER or (r.kind == OUTCOME and r.success is False):
            return None
        line = self._one_line(r)
        if (r.kind == CONTAINER and "\x1b" in line) or self.view.matcher.pattern:
            return None
        runs = [*self._columns(r), (line, _NULL)]
        # As Text renders: control codes stripped, empty runs gone, unstyled runs side by
        # side as one, the cursor's style added on top of each run's.
        merged: list[tuple[str, Style]] = []
        for text, style in runs:
            text = strip_control_codes(text)
            if not text:
                continue
            if not style and merged and not merged[-1][1]:
                merged[-1] = (merged[-1][0] + text, style)
            else:
                merged.append((text, style))
        over = self._style("cursor") if cursor else _NULL
        if len(merged) == 1 and not merged[0][1] and not over:
            segments = [Segment(merged[0][0])]  # no style anywhere: Text's one bare segment
        else:
            segments = [Segment(text, style + over) for text, style in merged]
        return Strip(segments, sum(cell_len(text) for text, _ in merged))

    def _body(self, r: Record) -> Text:
        display = self._one_line(r)
        # Untrusted: never markup. Containers keep their SGR colours (already sanitized).
        body = (
            Text.from_ansi(display) if r.kind == CONTAINER and "\x1b" in display else Text(display)
        )
        body.no_wrap = True
        if r.kind == MARKER:
            body.stylize(self._style("marker"))
        elif r.kind == OUTCOME and r.success is False:
            body.stylize(self._style("error"))
        spans = list(self.view.matcher.spans(body.plain)) if self.view.matcher.pattern else []
        for start, end in spans:
            body.stylize(self._style("match"), start, end)
        return body
