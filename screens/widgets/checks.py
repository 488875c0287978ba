"""Doctor checks as Rich text: the Status pane's notice lines and the doctor modal share it.

The words are the doctor's own (`tui.doctor.checks`); messages may quote env files and server
answers, so they go through the sanitizer and are never markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.style import Style
from rich.text import Text

from tui.doctor.checks import Check
from tui.doctor.report import SYMBOL
from tui.safety.text import clean_line

_TONE = {"ok": "text-success", "warn": "text-warning", "fail": "text-error"}


def checks_text(checks: Iterable[Check], variables: Mapping[str, str], *, fixes: bool) -> Text:
    """One line per check (`✘ Title: message`), and its fix below it when it has one."""
    out = Text()
    for check in checks:
        if out:
            out.append("\n")
        color = variables.get(_TONE[check.status], "")[:7]
        out.append(f"{SYMBOL[check.status]} ", Style(color=color or None, bold=True))
        out.append(clean_line(check.title), Style(bold=True))
        out.append(f": {clean_line(check.message)}")
        if fixes and check.fix and check.status != "ok":
            out.append("\n    fix: ", Style(dim=True))
            out.append(clean_line(check.fix))
    return out
