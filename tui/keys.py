"""The one key table: Textual bindings, the footer, the help screen and the README all read it.

Every entry has a stable id so a user can remap it from the settings file (``[keymap]``).
No Textual here: `tui.app` turns these into ``Binding`` objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Scope = Literal["app", "status", "list"]


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


PANES: tuple[tuple[str, str, str], ...] = (
    # (pane id, title, what will be there)
    ("status", "Status", "services and containers"),
    ("logs", "Logs", "live function logs and container logs, filterable"),
    ("functions", "Functions", "browse and run queries, mutations and actions"),
    ("data", "Data", "browse tables and documents"),
    ("env", "Env", "deployment environment variables"),
    ("scripts", "Scripts", "saved invocations and scripts"),
)

APP_KEYS: tuple[KeySpec, ...] = (
    *(
        KeySpec(
            f"pane.{pane}",
            str(n),
            f"pane('{pane}')",
            title,
            f"Show the {title} pane ({what}).",
            show=False,
        )
        for n, (pane, title, what) in enumerate(PANES, start=1)
    ),
    KeySpec("app.help", "question_mark,f1", "help", "Help", "Show every key and what it does."),
    KeySpec("app.profile", "p", "switch_profile", "Profile", "Switch to another profile."),
    KeySpec(
        "app.read_only",
        "ctrl+e",
        "toggle_read_only",
        "Lock/unlock",
        "Toggle read-only mode (unlocking a protected target asks for its name).",
        show=False,
    ),
    KeySpec("app.back", "q", "back_or_quit", "Quit", "Close the dialog, or quit (not in inputs)."),
    KeySpec("app.quit", "ctrl+q", "quit", "Quit", "Quit from anywhere.", show=False, priority=True),
)

STATUS_KEYS: tuple[KeySpec, ...] = (
    KeySpec("list.filter", "slash", "filter", "Filter", "Filter the focused list.", "status"),
    KeySpec(
        "container.start",
        "s",
        "container('start')",
        "Start",
        "Start the selected container (asks first).",
        "status",
        write=True,
    ),
    KeySpec(
        "container.stop",
        "x",
        "container('stop')",
        "Stop",
        "Stop the selected container (asks first).",
        "status",
        write=True,
    ),
    KeySpec(
        "container.restart",
        "r",
        "container('restart')",
        "Restart",
        "Restart the selected container (asks first).",
        "status",
        write=True,
    ),
    KeySpec(
        "container.logs",
        "l",
        "container_logs",
        "Logs",
        "Open the Logs pane filtered to the selected container.",
        "status",
    ),
    KeySpec(
        "container.admin_key",
        "g",
        "generate_admin_key",
        "Admin key",
        "Generate an admin key in the backend container and offer to save it.",
        "status",
        show=False,
        write=True,
    ),
    KeySpec(
        "item.copy",
        "c",
        "copy",
        "Copy",
        "Copy the selected container id or service URL (OSC 52).",
        "status",
        show=False,
    ),
    KeySpec(
        "status.refresh",
        "f5",
        "refresh",
        "Refresh",
        "Probe the services now.",
        "status",
        show=False,
    ),
)

ALL_KEYS: tuple[KeySpec, ...] = (*APP_KEYS, *STATUS_KEYS)
BY_ID: dict[str, KeySpec] = {k.id: k for k in ALL_KEYS}

_DISPLAY = {
    "question_mark": "?",
    "slash": "/",
    "escape": "esc",
}


def effective_keys(spec: KeySpec, keymap: Mapping[str, str]) -> str:
    return keymap.get(spec.id, spec.keys)


def display_keys(keys: str) -> str:
    """`question_mark,f1` → `? / F1` for people."""
    out = []
    for key in keys.split(","):
        key = key.strip()
        shown = _DISPLAY.get(key, key)
        if shown.startswith("f") and shown[1:].isdigit():
            shown = shown.upper()
        elif shown.startswith("ctrl+"):
            shown = "^" + shown[5:]
        out.append(shown)
    return " / ".join(out)


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """Keymap entries naming no binding (typos in the settings file)."""
    return sorted(k for k in keymap if k not in BY_ID)


def markdown_table(keymap: Mapping[str, str] | None = None) -> str:
    """The README key table, generated so it cannot drift from the code."""
    keymap = keymap or {}
    rows = ["| key | id | what it does |", "| --- | --- | --- |"]
    for spec in ALL_KEYS:
        rows.append(
            f"| `{display_keys(effective_keys(spec, keymap))}` | `{spec.id}` | {spec.help} |"
        )
    rows.append("| `^P` | (Textual) | Command palette: panes, profiles, themes, read-only, quit. |")
    return "\n".join(rows)
