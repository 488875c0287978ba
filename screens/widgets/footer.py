"""The key footer, fitted to the terminal's width: whole keys only, `? Help` and the palette kept.

Textual's Footer lays every key out in one row and lets the row run past the screen's edge; the
palette key is docked over the right end. At 80 columns the overflowing row showed through the
palette key's right margin (`^p paletter`) and a key was cut mid-word (`d De`). This footer
hides the keys that do not fit instead (the last ones first, `? Help` never), so the row never
overflows and nothing is drawn under the palette key.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Kept whatever the width: the way to every other key.
ESSENTIAL_ACTIONS = frozenset({"help"})


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


class ConsoleFooter(Footer):
    """`Footer(compact=True)` that never overflows its row (see the module docstring), and
    rebuilds its keys only when they change.

    Textual's footer recomposes on every bindings signal (each focus change, each pane switch:
    several a switch), 5-20 ms each; most signals leave the keys as they were."""

    def __init__(self) -> None:
        super().__init__(compact=True)
        # Textual's footer composes empty, then again on the first bindings signal (a second
        # build of every key on the first frame). The screen's bindings are known at compose.
        self._bindings_ready = True
        self._shown: tuple[object, ...] | None = None  # the keys on display
        self._pending = False  # a rebuild is scheduled: it reads the bindings of its own time

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if self._pending or self._keys() == self._shown:
            return
        self._pending = True
        self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._pending = False
        keys = self._keys()
        if keys != self._shown:
            await self.recompose()

    def compose(self) -> ComposeResult:
        self._shown = self._keys()
        yield from super().compose()

    async def recompose(self) -> None:
        await super().recompose()
        self._fit()

    def _keys(self) -> tuple[object, ...]:
        """What the footer would show: each shown binding's key, action, label and state."""
        if not self.is_attached:
            return ()
        return tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show or binding.action == "command_palette"
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        keys: list[Widget] = []
        palette_width = 0
        for child in self.children:
            if child.has_class("-command-palette"):
                palette_width = _cells(child)
            else:
                keys.append(child)
        if not keys:
            return
        widths = [_cells(key) for key in keys]
        essential = [isinstance(k, FooterKey) and k.action in ESSENTIAL_ACTIONS for k in keys]
        room = self.size.width - palette_width
        for key, show in zip(keys, fit_keys(widths, essential, room), strict=True):
            key.display = show


def _cells(widget: Widget) -> int:
    """The cells a footer item takes: its text plus horizontal margin, padding and border."""
    styles = widget.styles
    if isinstance(widget, FooterKey):
        content = widget.render().cell_len
    else:
        content = widget.get_content_width(widget.size, widget.size)
    gutter = styles.gutter.width  # padding + border
    return content + gutter + styles.margin.left + styles.margin.right
