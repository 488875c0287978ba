"""Doctor checks as Rich text: the Status pane's notice lines and the doctor modal share it.

The words are the doctor's own (`tui.doctor.checks`); messages may quote env files and server
answers, so they go through the sanitizer and are never markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.style import Style
from rich.table import Table
from rich.text import Text

from tui.doctor.checks import Check
from tui.doctor.report import SYMBOL
from tui.safety.text import clean_line

_TONE = {"ok": "text-success", "warn": "text-warning", "fail": "text-error"}


def checks_text(checks: Iterable[Check], variables: Mapping[str, str], *, fixes: bool) -> Table:
    """One row per check: its symbol, then `Title: message` and `fix: …` below, wrapped with
    a hanging indent (a wrapped URL or command stays in its column)."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(no_wrap=True, width=1)
    grid.add_column(ratio=1, overflow="fold")
    # The body's colour is spelled out: left to the widget, a Rich table inside a Static came
    # out in the background's colour on some frames (the notices on the Status pane, invisible).
    foreground = variables.get("foreground", "")[:7] or None
    for check in checks:
        color = variables.get(_TONE[check.status], "")[:7]
        body = Text(style=Style(color=foreground))
        body.append(clean_line(check.title), Style(bold=True))
        body.append(f": {clean_line(check.message)}")
        if fixes and check.fix and check.status != "ok":
            body.append("\nfix: ", Style(dim=True))
            body.append(clean_line(check.fix))
        grid.add_row(Text(SYMBOL[check.status], Style(color=color or None, bold=True)), body)
    return grid


def summary(checks: list[Check]) -> str:
    """`5 checks: 1 failed, 1 warning` (the doctor's last line)."""
    fails = sum(c.status == "fail" for c in checks)
    warns = sum(c.status == "warn" for c in checks)
    return f"{len(checks)} checks: {fails} failed, {warns} warning{'' if warns == 1 else 's'}"
