"""The Data pane's documents grid: a line-API widget that paints only the rows in view.

Textual's ``DataTable`` keeps every row as a widget-side structure and recomputes row regions
by summing over all rows (O(rows) per cursor move), and adding or removing rows re-lays out the
pane. This grid instead holds a list of row keys at an absolute position in the ordered result
(``first`` of ``total``) and asks its owner for a row's cells only when the row is in view.
Strips are cached per row; a new page that lands outside the view repaints nothing; column
widths are the owner's (kept from page to page, widened when a later page is wider), and a
size change never asks for a layout pass.

Keys that move the cursor are handled on the grid itself (no bubbling to the App to find the
binding), so holding a key down keeps up with the terminal's key repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

PAD = 1  # spaces on each side of a cell, as DataTable's cell_padding=1
MARK_WIDTH = 1


class GridColumn(NamedTuple):
    key: str
    label: str
    width: int


@dataclass(frozen=True, slots=True)
class GridRow:
    """One row's cells as (text, kind) pairs, already sanitized and cut to width by the owner."""

    key: str
    cells: tuple[tuple[str, str], ...]
    mark: str = " "  # "■" selected, "•" changed


RowProvider = Callable[[str], GridRow | None]


class DocGrid(ScrollView, can_focus=True):
    """Rows ``first .. first + len(keys)`` of ``total`` are loaded; the rest paint as "…"."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "doc-grid--header",
        "doc-grid--cursor",
        "doc-grid--even-row",
        "doc-grid--placeholder",
    }
    DEFAULT_CSS = """
    DocGrid {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .doc-grid--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .doc-grid--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .doc-grid--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .doc-grid--even-row {
            background: $surface-darken-1 40%;
        }
        & > .doc-grid--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .doc-grid--placeholder {
            color: $text-muted;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("left", "scroll_columns(-1)", "Left", show=False),
        Binding("right", "scroll_columns(1)", "Right", show=False),
        Binding("enter", "choose", "Open", show=False),
    ]
    # Keys served on the grid itself, before the event bubbles (the hot path of key repeat).
    _FAST_KEYS: ClassVar[dict[str, tuple[str, int]]] = {
        "up": ("cursor", -1),
        "down": ("cursor", 1),
        "pageup": ("page", -1),
        "pagedown": ("page", 1),
    }
    STRIP_CACHE = 256

    class ViewChanged(Message):
        """The cursor or the rows in view moved (bursts collapse into the latest)."""

        def __init__(self, grid: DocGrid, cursor: int, top: int, bottom: int) -> None:
            super().__init__()
            self.grid, self.cursor, self.top, self.bottom = grid, cursor, top, bottom

        @property
        def control(self) -> DocGrid:
            return self.grid

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, DocGrid.ViewChanged) and message.grid is self.grid

    class RowChosen(Message):
        """Enter on a row."""

        def __init__(self, grid: DocGrid, row: int, key: str) -> None:
            super().__init__()
            self.grid, self.row, self.key = grid, row, key

        @property
        def control(self) -> DocGrid:
            return self.grid

    def __init__(
        self,
        provider: RowProvider,
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._provider = provider
        self.columns: list[GridColumn] = []
        self.keys: list[str] = []
        self._index: dict[str, int] = {}
        self.first = 0
        self.total = 0
        self.cursor_row = 0
        self._strips: dict[tuple[str, bool, bool], tuple[object, str, Strip]] = {}
        self._styles: tuple[Style, Style, Style, Style, Style] | None = None
        self.kind_styles: dict[str, Style] = {}
        self._last_view: tuple[int, int, int] | None = None
        self._view_height: int | None = None
        self.edge_waits = 0  # moves onto a row not loaded yet (the bench counts them)

    # ------------------------------------------------------------ what the owner sets

    def set_columns(self, columns: Sequence[GridColumn]) -> None:
        columns = list(columns)
        if columns == self.columns:
            return
        self.columns = columns
        self._strips.clear()
        self._resize_virtual()
        self.refresh()

    def set_rows(
        self,
        first: int,
        keys: Sequence[str],
        total: int,
        *,
        cursor: int | None = None,
        align: str = "",
    ) -> None:
        """Rows ``first ..`` are ``keys``. The cursor goes to ``cursor`` (with its row at the
        top or the bottom of the view, ``align``), or else stays on its document where it
        still is (the view moves by as many rows as the document did: it stays put on screen).
        """
        old_key = self.cursor_key
        old_view = self._visible_keys()
        self.keys = list(keys)
        self._index = {k: i for i, k in enumerate(self.keys)}
        self.first = first
        changed_total = total != self.total
        self.total = total
        if changed_total:
            self._resize_virtual()
        if cursor is not None:
            self.cursor_row = self._clamp(cursor)
            height = self.view_height
            self.scroll_y = self.cursor_row - (height - 1 if align == "bottom" else 0)
            self._strips.clear()
            self.refresh()
            self._announce()
            return
        at = self._index.get(old_key) if old_key is not None else None
        if at is not None and first + at != self.cursor_row:
            delta = first + at - self.cursor_row
            self.cursor_row = first + at
            self.scroll_y = self.scroll_y + delta
        else:
            self.cursor_row = self._clamp(self.cursor_row)
        if changed_total or self._visible_keys() != old_view:
            self.refresh()
        self._announce()

    def refresh_keys(self, keys: Iterable[str] | None = None) -> None:
        """Repaint these rows (their cells or marks changed); all rows when ``keys`` is None."""
        if keys is None:
            self._strips.clear()
            self.refresh()
            return
        for key in keys:
            at = self._index.get(key)
            if at is not None:
                self._refresh_row(self.first + at)

    def set_kind_styles(self, styles: dict[str, Style]) -> None:
        self.kind_styles = styles
        self.refresh_keys()

    # ------------------------------------------------------------ reading

    @property
    def loaded_end(self) -> int:
        return self.first + len(self.keys)

    @property
    def cursor_key(self) -> str | None:
        at = self.cursor_row - self.first
        return self.keys[at] if 0 <= at < len(self.keys) else None

    @property
    def view_height(self) -> int:
        """Rows in view (the header line excluded); kept from the last resize, since reading
        the content region on every key press costs more than the move itself."""
        if self._view_height is None:
            self._view_height = max(1, self.scrollable_content_region.height - 1)
        return self._view_height

    def key_at(self, row: int) -> str | None:
        at = row - self.first
        return self.keys[at] if 0 <= at < len(self.keys) else None

    # ------------------------------------------------------------ moving

    def move_cursor(self, row: int, *, center: bool = False) -> None:
        old = self.cursor_row
        self.cursor_row = self._clamp(row)
        if self.key_at(self.cursor_row) is None:
            self.edge_waits += 1  # the cursor is ahead of the rows loaded so far
        # A scroll repaints the whole view; otherwise only the two rows the cursor left/entered.
        if not self._follow_cursor(center=center) and self.cursor_row != old:
            self._refresh_row(old)
            self._refresh_row(self.cursor_row)
        self._announce()

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, step: int) -> None:
        height = self.view_height
        self.scroll_y = self.scroll_y + step * height
        self.move_cursor(self.cursor_row + step * height)

    def action_scroll_columns(self, step: int) -> None:
        # By one column, so a wide table reads column by column.
        x = self.scroll_x
        edges = [0]
        for col in self.columns:
            edges.append(edges[-1] + col.width + 2 * PAD)
        edges = [e + MARK_WIDTH + 2 * PAD for e in edges]
        if step > 0:
            target = next((e for e in edges if e > x), x)
        else:
            target = next((e for e in reversed(edges) if e < x), 0)
        self.scroll_to(x=target, animate=False)

    def action_choose(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowChosen(self, self.cursor_row, key))

    async def _on_key(self, event: events.Key) -> None:
        fast = self._FAST_KEYS.get(event.key)
        if fast is not None and self._bindings.key_to_bindings.get(event.key):
            event.stop()
            event.prevent_default()
            getattr(self, f"action_{fast[0]}")(fast[1])
            return
        await super()._on_key(event)

    def _clamp(self, row: int) -> int:
        # Any row of the result: a key press is never lost when it outruns the loaded rows;
        # the row paints "…" until its page arrives (the owner reads toward the cursor).
        return max(0, min(row, self.total - 1)) if self.total else 0

    def _follow_cursor(self, *, center: bool = False) -> bool:
        """Scroll so the cursor's row is in view; True when the view moved."""
        height = self.view_height
        top = round(self.scroll_y)
        row = self.cursor_row
        if center and not top <= row < top + height:
            self.scroll_y = max(0, row - height // 2)
        elif row < top:
            self.scroll_y = row
        elif row >= top + height:
            self.scroll_y = row - height + 1
        return round(self.scroll_y) != top

    def validate_scroll_y(self, value: float) -> float:
        # The view may reach one screen past the loaded rows and the cursor (painted "…" while
        # they load), never further: cursor-paged data cannot jump into the middle of a million
        # rows, so a dragged scrollbar pulls the rows in page by page.
        value = super().validate_scroll_y(value)
        if not self.keys:
            return value
        height = self.view_height
        low = max(0, min(self.first, self.cursor_row) - height)
        high = max(low, self.loaded_end, self.cursor_row - height + 1)
        return min(max(value, low), high)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._announce()

    def _announce(self) -> None:
        top = round(self.scroll_y)
        view = (self.cursor_row, top, top + self.view_height)
        if view != self._last_view:
            self._last_view = view
            self.post_message(self.ViewChanged(self, *view))

    def on_resize(self) -> None:
        self._last_view = None
        self._view_height = None
        self._follow_cursor()
        self._announce()

    def on_focus(self) -> None:
        self._invalidate_styles()

    def on_blur(self) -> None:
        self._invalidate_styles()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._invalidate_styles()

    def _invalidate_styles(self) -> None:
        self._styles = None
        self._strips.clear()
        self.refresh()

    # ------------------------------------------------------------ painting

    @property
    def content_width(self) -> int:
        return MARK_WIDTH + 2 * PAD + sum(c.width + 2 * PAD for c in self.columns)

    def _resize_virtual(self) -> None:
        # set_reactive + scroll update: the virtual size changes without a layout pass.
        size = Size(self.content_width, self.total + 1)
        if size != self.virtual_size:
            self._view_height = None  # a scrollbar may come or go
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)

    def _visible_keys(self) -> list[str | None]:
        top = round(self.scroll_y)
        return [self.key_at(r) for r in range(top, top + self.view_height)]

    def _refresh_row(self, row: int) -> None:
        y = row - round(self.scroll_y) + 1
        if 1 <= y <= self.view_height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _style_set(self) -> tuple[Style, Style, Style, Style, Style]:
        if self._styles is None:
            get = self.get_component_rich_style
            base = self.rich_style
            self._styles = (
                base,
                base + get("doc-grid--header"),
                base + get("doc-grid--cursor"),
                base + get("doc-grid--even-row"),
                base + get("doc-grid--placeholder"),
            )
        return self._styles

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = round(self.scroll_x)
        base = self._style_set()[0]
        strip = self._header() if y == 0 else self._row(round(self.scroll_y) + y - 1)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _header(self) -> Strip:
        header = self._style_set()[1]
        parts = [Segment(" " * (MARK_WIDTH + 2 * PAD), header)]
        for col in self.columns:
            parts.append(Segment(_fit(" " * PAD + col.label, col.width + 2 * PAD), header))
        return Strip(parts)

    def _row(self, row: int) -> Strip:
        base, _, cursor, even, placeholder = self._style_set()
        if not 0 <= row < self.total:
            return Strip([])
        key = self.key_at(row)
        if key is None:
            return Strip([Segment(" " * (MARK_WIDTH + 2 * PAD) + "…", placeholder)])
        is_cursor = row == self.cursor_row
        zebra = row % 2 == 0
        cache_key = (key, is_cursor, zebra)
        data = self._provider(key)
        cells = data.cells if data else ()
        mark = data.mark if data else " "
        cached = self._strips.get(cache_key)
        # The owner's cells are immutable and replaced when a document changes: identity says
        # whether the cached strip still shows this version.
        if cached is not None and cached[0] is cells and cached[1] == mark:
            return cached[2]
        style = cursor if is_cursor else (even if zebra else base)
        parts = [Segment(" " * PAD + mark + " " * PAD, style + _BOLD)]
        kinds = self.kind_styles
        for i, col in enumerate(self.columns):
            text, kind = cells[i] if i < len(cells) else ("", "unset")
            cell_style = style if is_cursor else style + kinds.get(kind, _PLAIN)
            parts.append(Segment(" " * PAD, style))
            parts.append(Segment(_fit(text, col.width), cell_style))
            parts.append(Segment(" " * PAD, style))
        strip = Strip(parts, self.content_width)
        if len(self._strips) >= self.STRIP_CACHE:
            self._strips.clear()
        self._strips[cache_key] = (cells, mark, strip)
        return strip


_BOLD = Style(bold=True)
_PLAIN = Style()


def _fit(text: str, width: int) -> str:
    """``text`` padded or cut (with an ellipsis) to exactly ``width`` cells."""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    if width <= 1:
        return "…"[:width]
    return set_cell_size(text, width - 1) + "…"
