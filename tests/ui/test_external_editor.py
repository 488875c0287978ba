"""`edit_externally` in a console with no terminal to hand over (a browser, or Pilot's headless
driver): nothing is run, the toast says how to edit inside the console, no file is left behind.
The round trip itself runs in tmux (tests/e2e/test_functions_tmux.py, ctrl+o)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from textual.app import App

from screens.external_editor import edit_externally


async def test_without_a_terminal_it_says_how_to_edit_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = tmp_path / "ran"
    monkeypatch.setenv("VISUAL", f"touch {ran}")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    app: App[object] = App()
    async with app.run_test(notifications=True) as pilot:
        assert edit_externally(app, "{}", suffix=".json", here="e edits here") is None
        await pilot.pause()
        (toast,) = app._notifications
        assert toast.message.endswith("(not a browser): e edits here.")
        assert toast.severity == "warning"
    assert not ran.exists() and not any(tmp_path.iterdir())  # noqa: ASYNC240 - a tmp dir
