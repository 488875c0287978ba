"""The Scripts pane (key `6`); a placeholder until it is built."""

from __future__ import annotations

from screens.coming_next import ComingNextScreen


class ScriptsScreen(ComingNextScreen):
    CSS_PATH = ["../styles/coming_next.tcss", "../styles/scripts.tcss"]

    def __init__(self) -> None:
        super().__init__("scripts")
