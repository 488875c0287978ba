"""Rich styles per Convex cell kind for the Data grid, from the theme's variables."""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style

from screens.widgets.cells import theme_color
from tui.data.cells import CellKind

# Theme variables per Convex type (Rich styles cannot read TCSS variables themselves).
KIND_VARIABLE: dict[CellKind, str] = {
    "id": "text-accent",
    "number": "text-primary",
    "bigint": "text-primary",
    "boolean": "text-secondary",
    "null": "foreground-darken-3",
    "unset": "foreground-darken-3",
    "bytes": "text-secondary",
    "time": "foreground-darken-3",
}


def kind_styles(variables: Mapping[str, str]) -> dict[CellKind, Style]:
    return {
        kind: Style(color=theme_color(variables, name) or None, underline=kind == "id")
        for kind, name in KIND_VARIABLE.items()
    }
