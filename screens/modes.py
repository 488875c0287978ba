"""The App's modes: which screen each pane is, and how a mode's screen joins without a CSS
re-parse."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, cast

from textual.app import App
from textual.screen import Screen

# Pane id -> class in screens/<pane>.py, imported when the pane is first shown.
PANE_CLASSES = {
    "logs": "LogsScreen",
    "functions": "FunctionsScreen",
    "data": "DataScreen",
    "env": "EnvScreen",
    "scripts": "ScriptsScreen",
}


def pane_screen(pane: str) -> Screen[Any]:
    module = importlib.import_module(f"screens.{pane}")
    return cast("Screen[Any]", getattr(module, PANE_CLASSES[pane])())


def without_reparse(app: App[Any], make: Callable[[], Screen[Any]]) -> Screen[Any]:
    """A mode's screen whose first showing re-parses no CSS.

    Textual re-parses every stylesheet from scratch (a fresh parser, no cache) when a screen
    brings a new CSS file, and twice more for a new mode's screen (its `_css_update_count`
    starts at -1): ~40 ms of the first frame and of each pane's first switch (issue 19). Here
    the screen's file is added to the stylesheet as a source (parsed incrementally, cached rules
    for the rest) and the screen is marked current; the variables have not changed, so the
    rules are the same the re-parse would give."""
    screen = make()
    for path in screen.css_path:
        if not app.stylesheet.has_source(str(path), ""):
            app.stylesheet.read(path)
    screen._css_update_count = app._css_update_count
    return screen
