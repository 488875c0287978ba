"""The key footer: one widget that draws every key on one line, fitted to the terminal's width
(whole keys, `? Help` and the palette kept).

Textual's Footer is a widget per key (a dozen or more on every pane), each styled, laid out and
painted on its own: ~30 ms of every pane's first frame (issue 19). This one draws the same line
(compact Footer's look: bold key in `$footer-key-foreground`, its description, a cell between
keys, the palette key at the right edge on `$panel`) from the screen's active bindings, and
rebuilds it only when they change. Like Textual's, a key is clicked with the mouse (disabled
ones ring the bell), shows its tooltip, and lights up under the pointer.

At 80 columns Textual's row ran past the screen's edge under the palette key (`^p paletter`, a
key cut mid-word); here the keys that do not fit are left out, the last ones first, `? Help`
never.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget

# Kept whatever the width: the way to every other key.
ESSENTIAL_ACTIONS = frozenset({"help"})
GAP = 1  # the cell between two keys (compact Footer's margin)


def fit_keys(widths: list[int], essential: list[bool], room: int) -> list[bool]:
    """Which keys to show: in order, the essential ones first, then the rest while they fit."""
    used = sum(w for w, e in zip(widths, essential, strict=True) if e)
    shown = list(essential)
    for i, (width, keep) in enumerate(zip(widths, essential, strict=True)):
        if keep:
            continue
        if used + width > room:
            break  # stop at the first that does not fit: later keys never jump ahead
        used += width
        shown[i] = True
    return shown


@dataclass(frozen=True)
class FooterItem:
    """One key on the footer, as the screen's bindings give it."""

    key: str  # what a click presses
    display: str  # how the key is written (`^p`, `?`)
    description: str
    action: str
    enabled: bool
    tooltip: str

    @property
    def width(self) -> int:
        """Cells it takes, without the gap after it."""
        text = self.display + (f" {self.description}" if self.description else "")
        return cell_len(text)


class ConsoleFooter(Widget, can_focus=False):
    """Docked at the bottom of each pane (styles/app.tcss)."""

    ALLOW_SELECT = False
    hover: reactive[int | None] = reactive(None)  # the item under the pointer

    def __init__(self) -> None:
        super().__init__()
        self._items: tuple[FooterItem, ...] = ()
        self._palette: FooterItem | None = None
        self._spans: list[tuple[int, int, FooterItem]] = []  # (start, end, item) on screen

    # ------------------------------------------------------------ the keys

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self._read_bindings()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._read_bindings()

    def _read_bindings(self) -> None:
        items: list[FooterItem] = []
        palette: FooterItem | None = None
        app = self.app
        seen: set[str] = set()
        for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = FooterItem(binding.key, app.get_key_display(binding),
                                     binding.description, binding.action, enabled,
                                     binding.tooltip or binding.description)  # fmt: skip
                continue
            if not binding.show or binding.action in seen:
                continue  # one key per action, as Textual's footer shows it
            seen.add(binding.action)
            items.append(FooterItem(binding.key, app.get_key_display(binding),
                                    binding.description, binding.action, enabled,
                                    tooltip))  # fmt: skip
        if (tuple(items), palette) != (self._items, self._palette):
            self._items, self._palette = tuple(items), palette
            self.hover = None
            self.refresh()

    @property
    def shown(self) -> list[FooterItem]:
        """The keys on screen now, left to right (the palette key last)."""
        return [item for _, _, item in self._spans]

    # ------------------------------------------------------------ drawing

    def _layout(self, width: int) -> list[tuple[int, int, FooterItem]]:
        palette = self._palette
        palette_width = palette.width + 1 if palette is not None else 0  # its leading cell
        items = self._items
        widths = [item.width + GAP for item in items]
        essential = [item.action in ESSENTIAL_ACTIONS for item in items]
        spans: list[tuple[int, int, FooterItem]] = []
        x = 0
        for item, show in zip(items, fit_keys(widths, essential, width - palette_width),
                              strict=True):  # fmt: skip
            if show:
                spans.append((x, x + item.width, item))
                x += item.width + GAP
        if palette is not None:
            spans.append((width - palette.width - 1, width, palette))
        return spans

    def render(self) -> Content:
        width = self.size.width
        self._spans = spans = self._layout(width)
        parts: list[Content] = []
        x = 0
        for n, (start, end, item) in enumerate(spans):
            is_palette = item is self._palette
            if start > x:
                parts.append(Content(" " * (start - x)))
            base = "on $panel" if is_palette else ""
            if n == self.hover:
                base = "$footer-key-foreground on $block-hover-background"
            if not item.enabled:
                base += " dim"
            if is_palette:  # its leading cell: the filler's style unless lit or dimmed
                parts.append(Content.styled(" ", base) if n == self.hover else Content(" "))
            parts.append(Content.styled(item.display, f"bold $footer-key-foreground {base}"))
            if item.description:
                text = f" {item.description}"
                parts.append(Content.styled(text, f"$footer-description-foreground {base}"))
            x = end
        return Content.assemble(*parts)

    # ------------------------------------------------------------ the mouse

    def _at(self, x: int) -> int | None:
        for n, (start, end, _item) in enumerate(self._spans):
            if start <= x < end:
                return n
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.hover = self._at(event.x)
        tooltip = self._spans[self.hover][2].tooltip if self.hover is not None else ""
        self.tooltip = tooltip or None

    def on_leave(self) -> None:
        self.hover = None
        self.tooltip = None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        n = self._at(event.x)
        if n is None:
            return
        item = self._spans[n][2]
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()
