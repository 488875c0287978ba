"""Defect 9: `q` then quickly `s`/`x`/`g` crashed the console (NoMatches '#no': the confirm
screen was pushed while the app was closing and focused a button that was never composed)."""

from __future__ import annotations

import pytest

from screens.app import make_app
from tests.ui.fakes import FakeDocker, FakeProber, fixed_clock, settings


@pytest.mark.parametrize("key", ["s", "x", "g"])
async def test_quit_then_action_key_does_not_crash(key: str) -> None:
    app = make_app(
        settings(), prober=FakeProber(up=True), docker=FakeDocker(), clock=fixed_clock,
        connect_convex=False,
    )  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#containers").focus()
        # Both keys arrive in one read (a fast typist, a slow link): no pause in between.
        app.simulate_key("q")
        app.simulate_key(key)
        await pilot.pause()
    assert app.return_code == 0
    assert app._exception is None
