"""Keys of the Logs pane (ids are stable: users remap them in the settings file)."""

from __future__ import annotations

from tui.keys_model import KeySpec

LOGS_KEYS: tuple[KeySpec, ...] = ()
