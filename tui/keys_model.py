"""The key model: one `KeySpec` per binding; every pane's key table is a tuple of these."""

from __future__ import annotations

from dataclasses import dataclass

# "app" keys work everywhere; otherwise the pane id ("status", "logs", …) or "list".
Scope = str


@dataclass(frozen=True)
class KeySpec:
    id: str
    keys: str  # Textual key names, comma separated
    action: str
    description: str  # short: the footer label
    help: str  # one sentence: help screen and tooltip
    scope: Scope = "app"
    show: bool = True  # in the footer
    priority: bool = False
    write: bool = False  # refused in read-only mode
