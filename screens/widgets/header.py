"""The header line shown on every pane: target, connection, version, containers, badges."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from tui.status.status_view import HeaderState, Tone, badges, header_parts

TONE_STYLE: dict[Tone, str] = {
    "ok": "$text-success",
    "warn": "$text-warning",
    "bad": "$text-error",
    "muted": "$text-muted",
    "plain": "",
}


class ConsoleHeader(Widget):
    """One line. The App owns the state; every pane's header mirrors it (attributes down)."""

    state: reactive[HeaderState] = reactive(HeaderState, layout=False)

    def on_mount(self) -> None:
        self.watch(self.app, "header_state", self._mirror, init=True)

    def _mirror(self, state: HeaderState) -> None:
        self.state = state

    def render(self) -> Content:
        parts: list[Content | str] = []
        wide = self.size.width >= 100
        if wide:  # the brand only where there is room for it
            parts += [Content.styled(" convex ", "bold reverse $accent"), " "]
        else:
            parts.append(" ")
        # Narrow terminals get tighter separators so the badges (READ-ONLY…) stay visible.
        separator = " │ " if wide else "│"
        for n, (text, tone) in enumerate(header_parts(self.state)):
            if n:
                parts.append(Content.styled(separator, "$text-muted"))
            style = TONE_STYLE[tone] + (" bold" if n == 0 else "")
            parts.append(Content.styled(text, style.strip()))
        for text, tone in badges(self.state):
            parts.append(" ")
            parts.append(Content.styled(f" {text} ", f"bold reverse {TONE_STYLE[tone]}"))
        return Content.assemble(*parts)
