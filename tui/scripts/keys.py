"""Keys of the Scripts pane (ids are stable: users remap them in the settings file)."""

from __future__ import annotations

from tui.keys_model import KeySpec

SCRIPTS_KEYS: tuple[KeySpec, ...] = (
    KeySpec("script.run", "enter,r", "run", "Run", "Run the selected script (shows its command line).",
            "scripts", write=True),
    KeySpec("script.cancel", "ctrl+c", "cancel", "Cancel",
            "Cancel the selected running script: SIGINT, then TERM, then KILL.", "scripts",
            priority=True),
    KeySpec("script.dev", "b", "dev", "dev:backend",
            "Start or stop dev:backend (npx convex dev) in the background.", "scripts", write=True),
    KeySpec("script.dev_restart", "B", "dev_restart", "Restart dev",
            "Restart dev:backend.", "scripts", show=False, write=True),
    KeySpec("script.history", "h", "history", "History",
            "Show the run history of this workspace (or the output again).", "scripts"),
    KeySpec("script.copy", "c", "copy_command", "Copy cmd",
            "Copy the selected script's exact command line (OSC 52).", "scripts", show=False),
)  # fmt: skip
