"""The Logs pane (key `2`); a placeholder until it is built."""

from __future__ import annotations

from screens.coming_next import ComingNextScreen


class LogsScreen(ComingNextScreen):
    CSS_PATH = ["../styles/coming_next.tcss", "../styles/logs.tcss"]

    def __init__(self) -> None:
        super().__init__("logs")
