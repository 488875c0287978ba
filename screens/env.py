"""The Env pane (key `5`); a placeholder until it is built."""

from __future__ import annotations

from screens.coming_next import ComingNextScreen


class EnvScreen(ComingNextScreen):
    CSS_PATH = ["../styles/coming_next.tcss", "../styles/env.tcss"]

    def __init__(self) -> None:
        super().__init__("env")
