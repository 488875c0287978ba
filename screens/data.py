"""The Data pane (key `4`); a placeholder until it is built."""

from __future__ import annotations

from screens.coming_next import ComingNextScreen


class DataScreen(ComingNextScreen):
    CSS_PATH = ["../styles/coming_next.tcss", "../styles/data.tcss"]

    def __init__(self) -> None:
        super().__init__("data")
