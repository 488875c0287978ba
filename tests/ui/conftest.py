"""Fixtures for the console's Pilot and snapshot tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from screens.status import StatusScreen
from tui.sandbox.server import SandboxThread


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxThread]:
    with SandboxThread(memory=True, seed="demo") as server:
        yield server


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Input, TextArea

    # A blinking cursor is in a snapshot or not depending on when the frame is taken.
    monkeypatch.setattr(Input, "cursor_blink", False)
    monkeypatch.setattr(TextArea, "cursor_blink", False)


async def until(
    pilot: Any,
    check: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "",
    shown: Callable[[], str] | None = None,
) -> Any:
    """Let the app run until ``check()`` holds: workers post from threads, so wait for the effect.
    ``shown`` says what the app showed instead, when it never held."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            seen = f"; it showed:\n{shown()}" if shown is not None else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}{seen}")
        await pilot.pause(0.02)


def status_screen(app: Any) -> StatusScreen:
    """The app's current screen, which must be the status pane."""
    screen = app.screen
    assert isinstance(screen, StatusScreen)
    return screen
