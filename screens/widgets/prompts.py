"""A widget's idle prompt, held back while its owner paints it in the same turn.

Textual asks for a repaint with `refresh()`, which posts the widget a Prompt: its message task
wakes on the loop's next turn, runs its idle handler and posts the screen an Update, which
wakes the screen's task in turn. The Logs pane paints a followed log's new rows, its scrollbar
and its status bar itself (`LogArrivals`), so for those these wake-ups found nothing left to
do, yet they ran before the loop read what had arrived meanwhile: a mutation's scheduled
follow-up waited behind two or three task steps after every row (~0.1-0.3 ms in traces of a
real terminal, issue 17). Held, a prompt is owed; `settle` posts the ones a paint did not make
needless, so a widget that was not painted is asked for as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from textual.widget import Widget


class PromptHolder(Widget):
    """A widget whose Prompts `held` can hold back (any other time, Textual's own). Listed
    after a widget's own base class: Textual takes default CSS along first bases only."""

    _prompts_held = False
    _prompt_owed = False

    def check_idle(self) -> None:
        if self._prompts_held:
            self._prompt_owed = True
            return
        super().check_idle()


@contextmanager
def held(widgets: Iterable[Widget]) -> Iterator[None]:
    """Inside, ``widgets`` (those that are `PromptHolder`s) post no Prompt; the caller paints
    them, or `settle`s them, in this turn or soon after."""
    holders = [w for w in widgets if isinstance(w, PromptHolder)]
    for widget in holders:
        widget._prompts_held = True
    try:
        yield
    finally:
        for widget in holders:
            widget._prompts_held = False


def settle(widgets: Iterable[Widget]) -> None:
    """The Prompts held back from ``widgets``, posted now unless a paint since left the widget
    nothing for its idle handler to do (`Widget._check_refresh`)."""
    for widget in widgets:
        if not isinstance(widget, PromptHolder) or not widget._prompt_owed:
            continue
        widget._prompt_owed = False
        if (
            widget._repaint_required
            or widget._layout_required
            or widget._scroll_required
            or widget._refresh_styles_required
        ):
            widget.check_idle()
