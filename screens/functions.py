"""The Functions pane (key `3`); a placeholder until it is built."""

from __future__ import annotations

from screens.coming_next import ComingNextScreen


class FunctionsScreen(ComingNextScreen):
    CSS_PATH = ["../styles/coming_next.tcss", "../styles/functions.tcss"]

    def __init__(self) -> None:
        super().__init__("functions")
