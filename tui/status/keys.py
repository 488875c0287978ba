"""Keys of the Status pane (ids are stable: users remap them in the settings file)."""

from __future__ import annotations

from tui.keys_model import KeySpec

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
        "status.doctor",
        "d",
        "doctor",
        "Doctor",
        "Open the doctor's full report (every check, its cause and its fix).",
        "status",
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
