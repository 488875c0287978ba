"""Table cells from the pure view model: always `rich.text.Text`, never markup."""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text

from tui.status.status_view import Cell, Tone

_VARIABLE: dict[Tone, str] = {
    "ok": "text-success",
    "warn": "text-warning",
    "bad": "text-error",
    "muted": "foreground-darken-3",
}


def theme_color(variables: Mapping[str, str], name: str) -> str:
    """A theme variable as a colour Rich can parse ("" when it is not a plain colour)."""
    value = variables.get(name, "")
    # Some variables carry an alpha suffix (#RRGGBBAA) Rich cannot parse; keep #RRGGBB.
    return value[:7] if value.startswith("#") else ""


def tone_colors(variables: Mapping[str, str]) -> dict[Tone, str]:
    """Theme colours for each tone (DataTable cells take Rich styles, not TCSS variables)."""
    return {tone: theme_color(variables, name) for tone, name in _VARIABLE.items()}


def cell(value: Cell | str, colors: Mapping[Tone, str]) -> Text:
    if isinstance(value, str):
        text, color = value, ""
    else:
        text, color = value[0], colors.get(value[1], "")
    return Text(text, style=Style(color=color) if color else "", no_wrap=True, overflow="ellipsis")
