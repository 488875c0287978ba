"""Configuration: one typed model read once at start-up (see `tui.config.model`)."""

from tui.config.model import CliOverrides, Settings, Sourced, load_settings
from tui.config.secret import Secret

__all__ = ["CliOverrides", "Secret", "Settings", "Sourced", "load_settings"]
