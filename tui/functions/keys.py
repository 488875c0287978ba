"""Keys of the Functions pane (ids are stable: users remap them in the settings file)."""

from __future__ import annotations

from tui.keys_model import KeySpec

FUNCTIONS_KEYS: tuple[KeySpec, ...] = (
    KeySpec(
        "functions.filter", "slash", "filter", "Filter", "Filter the function list.", "functions"
    ),
    KeySpec(
        "functions.run",
        "ctrl+r",
        "run",
        "Run",
        "Run the selected function with the editor's arguments (checked before sending).",
        "functions",
        priority=True,
    ),
    KeySpec(
        "functions.cancel",
        "ctrl+g",
        "cancel",
        "Cancel",
        "Cancel the running call (the console stops waiting; the backend may finish it).",
        "functions",
        priority=True,
    ),
    KeySpec(
        "functions.watch",
        "w",
        "watch",
        "Watch",
        "Pin a live watch of the selected query (over the sync socket); again to unpin.",
        "functions",
    ),
    KeySpec(
        "functions.identity",
        "i",
        "identity",
        "Act as",
        "Set the user identity calls run as (remembered per deployment).",
        "functions",
    ),
    KeySpec(
        "functions.history",
        "h",
        "history",
        "History",
        "Browse earlier calls: re-run, or copy as npx convex run / convex-tui run.",
        "functions",
    ),
    KeySpec(
        "functions.external_editor",
        "ctrl+o",
        "external_editor",
        "$EDITOR",
        "Edit the arguments in $EDITOR.",
        "functions",
        show=False,
        priority=True,
    ),
    KeySpec(
        "functions.template",
        "ctrl+t",
        "template",
        "Template",
        "Reset the arguments to the template built from the validator.",
        "functions",
        show=False,
        priority=True,
    ),
    KeySpec(
        "functions.refresh",
        "f5",
        "refresh",
        "Refresh",
        "Reload the function list from the deployment.",
        "functions",
        show=False,
    ),
    KeySpec(
        "functions.copy",
        "c",
        "copy",
        "Copy",
        "Copy the last call as an `npx convex run` line (OSC 52).",
        "functions",
        show=False,
    ),
)
