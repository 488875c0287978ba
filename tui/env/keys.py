"""Keys of the Env pane (ids are stable: users remap them in the settings file)."""

from __future__ import annotations

from tui.keys_model import KeySpec

ENV_KEYS: tuple[KeySpec, ...] = (
    KeySpec("env.reveal", "v", "reveal", "Reveal", "Show or hide the selected variable's value.", "env"),
    KeySpec("env.add", "a", "add", "Add", "Add a deployment variable (asks first).", "env", write=True),
    KeySpec(
        "env.edit", "e,enter", "edit", "Edit",
        "Edit the selected variable's value (asks first).", "env", write=True,
    ),
    KeySpec(
        "env.remove", "d,delete", "remove", "Remove",
        "Remove the selected variable from the deployment (asks first).", "env", write=True,
    ),
    KeySpec(
        "env.apply", "A", "apply_local", "Apply files",
        "Apply the env files' values the functions read (preview first).",
        "env", write=True,
    ),
    KeySpec("env.lower", "l", "lower", "Files/Checks",
            "Switch the lower table between the env files and the checks (short terminals).",
            "env"),
    KeySpec("env.refresh", "f5", "refresh", "Refresh", "Reload the variables and checks.", "env",
            show=False),
)  # fmt: skip
