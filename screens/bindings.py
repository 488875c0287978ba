"""`tui.keys` table → Textual bindings (ids kept, so `App.set_keymap` can remap them)."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding

from tui.keys import KeySpec


def to_bindings(specs: Iterable[KeySpec]) -> list[Binding]:
    return [
        Binding(
            s.keys,
            s.action,
            s.description,
            show=s.show,
            priority=s.priority,
            tooltip=s.help,
            id=s.id,
        )
        for s in specs
    ]
