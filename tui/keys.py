"""The one key table: Textual bindings, the footer, the help screen and the README all read it.

Every entry has a stable id so a user can remap it from the settings file (``[keymap]``).
No Textual here: `screens.app` turns these into ``Binding`` objects.
"""

from __future__ import annotations

from collections.abc import Mapping

from tui.data.keys import DATA_KEYS
from tui.env.keys import ENV_KEYS
from tui.functions.keys import FUNCTIONS_KEYS
from tui.keys_model import KeySpec
from tui.logs.keys import LOGS_KEYS
from tui.scripts.keys import SCRIPTS_KEYS
from tui.status.keys import STATUS_KEYS

__all__ = ["KeySpec", "PANES", "APP_KEYS", "ALL_KEYS", "PANE_KEYS", "BY_ID"]

PANES: tuple[tuple[str, str, str], ...] = (
    # (pane id, title, what will be there)
    ("status", "Status", "services and containers"),
    ("logs", "Logs", "live function logs and container logs, filterable"),
    ("functions", "Functions", "browse and run queries, mutations and actions"),
    ("data", "Data", "browse tables and documents"),
    ("env", "Env", "deployment environment variables, env files, auth readiness"),
    ("scripts", "Scripts", "package.json scripts, deploys, dev:backend"),
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
        # The lock works from anywhere, an argument editor or input included (they would
        # otherwise take ctrl+e as "end of line": the End key still does that).
        priority=True,
    ),
    KeySpec(
        "app.deploy",
        "D",
        "deploy",
        "Deploy",
        "Deploy the functions with deploy:functions (asks first).",
        show=False,  # in help and the palette; the Scripts pane shows its state
        write=True,
    ),
    KeySpec("app.back", "q", "back_or_quit", "Quit", "Close the dialog, or quit (not in inputs)."),
    KeySpec("app.quit", "ctrl+q", "quit", "Quit", "Quit from anywhere.", show=False, priority=True),
)

# Each pane's keys live with its capability (tui/<capability>/keys.py).
PANE_KEYS: dict[str, tuple[KeySpec, ...]] = {
    "status": STATUS_KEYS,
    "logs": LOGS_KEYS,
    "functions": FUNCTIONS_KEYS,
    "data": DATA_KEYS,
    "env": ENV_KEYS,
    "scripts": SCRIPTS_KEYS,
}

ALL_KEYS: tuple[KeySpec, ...] = (*APP_KEYS, *(k for keys in PANE_KEYS.values() for k in keys))
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
