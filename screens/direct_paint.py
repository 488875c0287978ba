"""Paint a few widgets straight to the terminal, without a compositor pass over the screen.

A followed log repaints its whole region for every new row. Textual's partial update renders
every widget whose clip touches the changed area (the screen, header, footer…) and cuts all of
them into "chops" per line: ~1 ms of a ~2 ms paint on this machine, before and after the log's
own lines (issue 17). When a widget is fully visible and nothing but its own scrollbars lies
over it, its region on screen is its own lines with those bars laid on top: this builds that
(the bars overlay the lines, as the compositor would) and writes it as one update.

Anything else (an overlay such as a toast, a pending layout, a clipped widget) returns False:
the caller paints through Textual as before. Textual (pinned) has no public call for this; the
internals used are the compositor's visible-widget map and `App._display`.

What it wrote is remembered per region, so that the next paint there writes only the rows that
changed; rows that only moved up (a followed log) are moved by the terminal itself (see
`RegionUpdate`). Written whole, each arrival was ~8 KB at 120 columns (~15 KB at 200) of text
and colour codes through the pty, and through a browser terminal's WebSocket. Textual keeps no
model of the terminal: anything else it writes makes this forget (`Painting._display`), and the
next paint writes its regions whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from rich.console import Console
from rich.control import Control
from textual._compositor import CompositorUpdate
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

Piece = tuple[int, int, Strip]  # x from, x to (region-relative), the strip's cells there


Row = list[Strip]  # one line of a region, in pieces side by side


class RegionUpdate(CompositorUpdate):
    """Some rows of a region, after its first ``moving`` rows moved up ``shift`` lines on the
    terminal: a scroll region over them (DECSTBM), ``shift`` index steps (IND) at its bottom,
    the margins reset. Only when the region spans the terminal's full width (margins are whole
    lines; IND is what VT100, tmux, xterm.js and pyte all have, unlike SU)."""

    def __init__(
        self, region: Region, rows: list[tuple[int, Row]], shift: int = 0, moving: int = 0
    ) -> None:
        self.region, self.rows, self.shift, self.moving = region, rows, shift, moving

    def render_segments(self, console: Console) -> str:
        region = self.region
        parts = []
        if self.shift:
            top, bottom = region.y + 1, region.y + self.moving  # 1-based, inclusive
            parts.append(f"\x1b[{top};{bottom}r\x1b[{bottom};1H" + "\x1bD" * self.shift + "\x1b[r")
        for y, row in self.rows:
            parts.append(Control.move_to(region.x, region.y + y).segment.text)
            parts.extend(strip.render(console) for strip in row)
        return "".join(parts)


class Patches(CompositorUpdate):
    """Several regions of the screen, written one after the other."""

    def __init__(self, updates: Sequence[RegionUpdate]) -> None:
        self.updates = updates

    def render_segments(self, console: Console) -> str:
        return "".join(update.render_segments(console) for update in self.updates)


Bars = list[Piece]  # the scrollbar cells laid over one row of a region


@dataclass
class _Drawn:
    rows: list[Row]
    offset: int  # the widget's vertical scroll offset then
    over: list[Bars]  # the bars laid over each row


_MEMORY = "_direct_paint_drawn"  # on the App: what the terminal shows of each region written


def forget_terminal(app: Any) -> None:
    """Something else was written to the terminal: the next paint writes its regions whole."""
    app.__dict__.pop(_MEMORY, None)


def _since_last(
    app: Any, widget: Widget, region: Region, rows: list[Row], over: list[Bars]
) -> RegionUpdate:
    """``rows`` for ``region``, less what the terminal already shows there (moved rows moved)."""
    memory: dict[Region, _Drawn] = app.__dict__.setdefault(_MEMORY, {})
    offset = paint_offset(widget)
    last = memory.get(region)
    memory[region] = _Drawn(rows, offset, over)
    if last is None:
        return RegionUpdate(region, list(enumerate(rows)))
    # The rows that scroll: all but a horizontal scrollbar's, which stays where it is.
    moving = region.height - widget.scrollbar_size_horizontal
    shift = offset - last.offset
    if not 0 < shift < moving or region.x or region.width != app.size.width:
        shift = 0
    there = [*last.rows[shift:moving], *[None] * shift, *last.rows[moving:]]
    changed = [(y, row) for y, row in enumerate(rows) if row != there[y]]
    return RegionUpdate(region, changed, shift, moving)


def paint_offset(widget: Widget) -> int:
    """How far the widget's lines have moved up: its vertical scroll offset, or its own count
    when lines also leave it without a scroll (`LogLines.paint_offset`). Any value is safe:
    rows are compared with what the terminal shows after the move, and differing ones written."""
    own = getattr(widget, "paint_offset", None)
    return own if isinstance(own, int) else round(widget.scroll_offset.y)


def _plans(
    screen: Screen[Any], widgets: Sequence[Widget]
) -> list[tuple[Widget, Region, list[Widget]]] | None:
    """Each widget's region and the scrollbars over it, when they can be painted straight to
    the terminal now: fully visible, nothing but their own scrollbars on top, no layout or
    full repaint pending. None otherwise."""
    app = screen.app
    if (
        app._batch_count
        or app.is_inline
        or not screen.is_current
        or screen._layout_required
        or screen._scroll_required
        or screen._repaint_required
    ):
        return None
    try:
        visible = screen._compositor.visible_widgets  # top-most first
    except AttributeError:
        return None
    order = list(visible)
    plans: list[tuple[Widget, Region, list[Widget]]] = []
    for widget in widgets:
        if widget not in visible:
            return None
        region, clip = visible[widget]
        if not clip.contains_region(region):
            return None
        above = [w for w in order[: order.index(widget)] if visible[w][0].overlaps(region)]
        if any(w.parent is not widget for w in above):  # only its own scrollbars may be on top
            return None
        plans.append((widget, region, above))
    return plans


def paint_direct(screen: Screen[Any], widgets: Sequence[Widget]) -> bool:
    """Render ``widgets`` (each with the scrollbars over it) and write them; False, having
    done nothing, when the screen cannot be painted this way now."""
    plans = _plans(screen, widgets)
    if plans is None:
        return False
    app = screen.app
    visible = screen._compositor.visible_widgets
    composed: list[tuple[Widget, Region, list[Row], list[Bars]]] = []
    painted: list[Widget] = []
    dirty = screen._dirty_widgets
    for widget, region, above in plans:
        laid = _composite(widget, region, above, visible, dirty)
        if laid is None:
            return False
        composed.append((widget, region, *laid))
        painted += [widget, *above]
    updates = [_since_last(app, widget, region, rows, over)
               for widget, region, rows, over in composed]  # fmt: skip
    for widget in painted:  # drawn: nothing is left for the next frame
        widget._exchange_repaint_regions()
        widget._repaint_required = False
        screen._dirty_widgets.discard(widget)
    if any(update.rows or update.shift for update in updates):  # else the terminal has it all
        app._display(screen, cast("Any", Patches(updates)))  # a CompositorUpdate: as is
    return True


def write_ahead(screen: Screen[Any], widget: Widget, offset: int, lines: dict[int, Strip]) -> bool:
    """Write ``lines`` of ``widget`` (screen rows, as its next render will draw them), the rows
    above them moved up by the terminal to ``offset`` (`paint_offset`), before the widget has
    moved at all: a followed log's new rows reach the terminal without waiting for its scroll,
    its render and the compositing of its lines (~0.4 ms, issue 17). Each row gets the
    scrollbar cells it had at the last paint; a row that moved under other cells (the thumb's
    end) is written again. The widget's move comes next: `painted_ahead` if its scrollbars
    did not change, else its paint, which writes only the bar rows that did. False, having
    done nothing, when its last paint was not direct or the rows it exposes are not given."""
    app = screen.app
    plans = _plans(screen, [widget])
    memory: dict[Region, _Drawn] | None = app.__dict__.get(_MEMORY)
    if plans is None or memory is None:
        return False
    ((_, region, bars),) = plans
    # Its scrollbars may wait for their paint (`painted_ahead`): the terminal still shows the
    # cells it remembers for them, and those are laid over these rows.
    if screen._dirty_widgets - set(bars):
        return False
    last = memory.get(region)
    moving = region.height - widget.scrollbar_size_horizontal
    shift = offset - last.offset if last is not None else 0
    if (
        last is None
        or not 0 <= shift < moving
        or (shift and (region.x or region.width != app.size.width))  # see `RegionUpdate`
        or not lines.keys() >= set(range(moving - shift, moving))
        or not all(0 <= y < moving and lines[y].cell_length == region.width for y in lines)
    ):
        return False
    there = [*last.rows[shift:moving], *[[]] * shift, *last.rows[moving:]]
    over = last.over
    written = dict(lines)
    swapped: set[int] = set()
    for y in range(moving - shift):  # a row moved under other scrollbar cells: those again
        if y not in written and over[y] != over[y + shift]:
            row = _swap_bars(there[y], over[y + shift], over[y])
            if row is None:
                written[y] = Strip.join(there[y])
            else:
                there[y] = row
                swapped.add(y)
    for y in written:
        pieces: list[Piece] = [(0, region.width, written[y])]
        for x0, x1, strip in over[y]:
            pieces = _lay(pieces, x0, x1, strip)
        there[y] = [strip for _, _, strip in pieces]
    rows = [(y, there[y]) for y in sorted(written.keys() | swapped)]
    memory[region] = _Drawn(there, offset, over)
    app._display(screen, cast("Any", Patches([RegionUpdate(region, rows, shift, moving)])))
    return True


def _swap_bars(row: Row, was: Bars, now: Bars) -> Row | None:
    """A row moved under other scrollbar cells: its pieces with the bar pieces it was laid
    with (``was``) swapped for ``now``'s, when those lie at the same places; None when it
    cannot be told which pieces they were (the row is then laid again: a join and a crop of
    its line, ~20 us a row, 2-4 rows an arrival as the thumb's ends pass)."""
    if [(x0, x1) for x0, x1, _ in was] != [(x0, x1) for x0, x1, _ in now]:
        return None
    laid = {x0: strip for x0, _, strip in was}
    new = {x0: strip for x0, _, strip in now}
    out: Row = []
    x = swapped = 0
    for piece in row:
        if laid.get(x) is piece:
            piece = new[x]
            swapped += 1
        out.append(piece)
        x += piece.cell_length
    return out if swapped == len(now) else None


def painted_ahead(screen: Screen[Any], widget: Widget) -> bool:
    """After `write_ahead` and the widget's move: the terminal shows the widget's own lines
    as its paint would write them, so that paint is taken as done. Its scrollbars are not:
    when they changed they stay to be painted (`LogArrivals._bars_changed`), after whatever waits on the
    loop; the rows written ahead carry the cells the terminal still shows for them. False
    when another widget waits for a paint (then paint them all)."""
    plans = _plans(screen, [widget])
    if plans is None:
        return False
    ((_, _, bars),) = plans  # its scrollbars (and their corner)
    if screen._dirty_widgets - {widget, *bars}:
        return False
    widget._exchange_repaint_regions()
    widget._repaint_required = False
    screen._dirty_widgets.discard(widget)
    return True


def styled_lines(widget: Widget, contents: dict[int, Strip]) -> dict[int, Strip]:
    """Lines ``y`` of ``widget`` as its `render_lines` styles them, with ``contents[y]`` as
    each content line: Textual's `StylesCache.render_line`, then the app's line filters, as
    `StylesCache.render` applies them (a widget without a border title). What is the widget's
    and not the line's (its colours, sizes, theme, filters) is looked up once: per line it was
    two thirds of the styling (issue 17). A bare widget's line of its width is its own styled
    line (`_bare`): `render_line` pads a content line to the width and lays a gutter around it."""
    base_background, background = widget.background_colors
    styles, size, opacity = widget.styles, widget.region.size, widget.opacity
    filters = widget.get_line_filters()
    bare = _bare(styles, opacity)
    out: dict[int, Strip] = {}
    for y, content in contents.items():
        if bare and content.cell_length == size.width:
            strip = content  # what `render_line` returns for it, less ~10 us of getting there
        else:
            app = widget.app
            strip = widget._styles_cache.render_line(
                styles, y, size, widget.content_region.size, styles.padding, base_background,
                background, _constant(content), None, None, opacity, app.ansi_theme,
                app.native_ansi_color,
            )  # fmt: skip
        for line_filter in filters:
            strip = strip.apply_filter(line_filter, background)
        out[y] = strip
    return out


def _bare(styles: Any, opacity: float) -> bool:
    """Whether `StylesCache.render_line` gives a content line of the widget's width back as it
    is: no border, outline, padding, hatch, tint or (text) opacity (the Logs pane's log)."""
    return (
        not any(edge for edge, _ in styles.border)
        and not any(edge for edge, _ in styles.outline)
        and not any(styles.padding)
        and opacity == 1.0
        and styles.text_opacity == 1.0
        and not styles.tint.a
        and not (styles.has_rule("hatch") and styles.hatch != "none")
    )


def _constant(line: Strip) -> Callable[[int], Strip]:
    return lambda _: line


def _chrome_lines(bar: Widget, size: Region, dirty: set[Widget]) -> list[Strip]:
    """A scrollbar's (or corner's) lines: the last ones drawn here while Textual's own line
    cache still holds the very lines they came from (an unchanged bar cost ~0.1 ms of styling
    per paint). A refresh empties that cache, and a paint by the compositor fills it anew, so
    any change since shows as a line that is not the same object."""
    cache = getattr(bar._styles_cache, "_cache", None)
    if type(bar).render_lines is not Widget.render_lines or not isinstance(cache, dict):
        return bar.render_lines(size)  # draws itself (LineBar keeps its own cells)
    drawn: tuple[Region, list[Strip], list[object]] | None = bar.__dict__.get("_direct_lines")
    changed = bar._repaint_required or bar in dirty or bar._repaint_regions or bar._dirty_regions
    if (
        drawn is not None
        and drawn[0] == size
        and not changed
        and not bar._styles_cache._dirty_lines
        and all(cache.get(y) is line for y, line in enumerate(drawn[2]))
    ):
        return drawn[1]
    lines = bar.render_lines(size)
    bar.__dict__["_direct_lines"] = (size, lines, [cache.get(y) for y in range(size.height)])
    return lines


def _composite(
    widget: Widget,
    region: Region,
    above: list[Widget],
    visible: dict[Widget, tuple[Region, Region]],
    dirty: set[Widget],
) -> tuple[list[Row], list[Bars]] | None:
    width = region.width
    lines = widget.render_lines(Region(0, 0, width, region.height))
    if len(lines) != region.height or any(line.cell_length != width for line in lines):
        return None
    over: list[Bars] = [[] for _ in lines]  # bars on each row
    for bar in reversed(above):  # bottom-up: the top-most is laid last
        bar_region = visible[bar][0].translate((-region.x, -region.y))
        if not Region(0, 0, width, region.height).contains_region(bar_region):
            return None
        strips = _chrome_lines(bar, Region(0, 0, bar_region.width, bar_region.height), dirty)
        if len(strips) != bar_region.height:
            return None
        for y, strip in zip(bar_region.line_range, strips, strict=True):
            over[y].append((bar_region.x, bar_region.right, strip))
    # A row laid before from the same line and bar strips is the same row: a followed log
    # moves its lines up one by one under an unchanged bar (laying them was ~0.2 ms a paint).
    laid: dict[tuple[int, ...], tuple[object, Row]] = widget.__dict__.get("_direct_laid", {})
    now: dict[tuple[int, ...], tuple[object, Row]] = {}
    out: list[Row] = []
    for line, bars in zip(lines, over, strict=True):
        key = (id(line), *(n for x0, x1, strip in bars for n in (x0, x1, id(strip))))
        found = laid.get(key) or now.get(key)
        if found is None:
            pieces: list[Piece] = [(0, width, line)]
            for x0, x1, strip in bars:
                pieces = _lay(pieces, x0, x1, strip)
            # The objects are kept with the row, so that their ids are not reused meanwhile.
            found = ((line, bars), [strip for _, _, strip in pieces])
        now[key] = found
        out.append(found[1])
    widget.__dict__["_direct_laid"] = now
    return out, over


def _lay(row: list[Piece], x0: int, x1: int, strip: Strip) -> list[Piece]:
    """``strip`` over cells x0..x1 of a row made of pieces."""
    out: list[Piece] = []
    for a, b, s in row:
        if b <= x0 or a >= x1:
            out.append((a, b, s))
            continue
        if a < x0:
            out.append((a, x0, s.crop(0, x0 - a)))
        if b > x1:
            out.append((x1, b, s.crop(x1 - a, b - a)))
    out.append((x0, x1, strip))
    out.sort(key=lambda piece: piece[0])
    return out
