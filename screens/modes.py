"""The App's modes: which screen each pane is, and how a mode's screen joins without a CSS
re-parse."""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
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
    name = f"screens.{pane}"
    imported = name not in sys.modules  # not prewarmed: the first visit imports it
    module = importlib.import_module(name)
    if imported:
        # As prewarm_panes does: what the import built lives for the session, out of the
        # collector's reach. Left in, it made the next full collection traverse every pane
        # imported so far: 30 ms, seen inside a first visit in tmux (issue 19).
        gc.freeze()
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


def pane_css_paths(cls: type[Screen[Any]]) -> list[Path]:
    """The stylesheets a pane's screen brings, resolved as Textual resolves them (beside the
    class's module), without building the screen."""
    if cls.CSS_PATH is None:
        return []
    paths = cls.CSS_PATH if isinstance(cls.CSS_PATH, list) else [cls.CSS_PATH]
    here = Path(inspect.getfile(cls)).parent
    return [(here / path).resolve() for path in paths]


async def prewarm_panes(
    app: App[Any], keys_quiet: Callable[[], Awaitable[None]] | None = None
) -> list[str]:
    """Import every pane's module and read its stylesheet while the user reads the first
    screen: a first switch then costs a compose, not an import and a parse (issue 19). One
    pane at a time, each import on a thread, each after the keys have paused (``keys_quiet``),
    so a key typed meanwhile waits one pane at most."""
    done = []
    for pane, name in PANE_CLASSES.items():
        if keys_quiet is not None:
            await keys_quiet()
        module = await asyncio.to_thread(importlib.import_module, f"screens.{pane}")
        for path in pane_css_paths(getattr(module, name)):
            if not app.stylesheet.has_source(str(path), ""):
                app.stylesheet.read(path)
        done.append(pane)
        await asyncio.sleep(0)
    gc.freeze()  # the panes' modules live as long as the session (see run_console)
    return done
