"""The footer fits its row: whole keys, `? Help` kept, nothing under the palette key; a key is
clicked with the mouse and lights up under the pointer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screens.app import make_app
from screens.widgets.footer import ConsoleFooter, fit_keys
from tests.ui.fakes import FakeDocker, FakeProber, fixed_clock, settings
from tui.keys import PANES


@given(
    st.lists(st.tuples(st.integers(1, 30), st.booleans()), max_size=20),
    st.integers(0, 200),
)
def test_fit_keys_keeps_the_essential_and_a_prefix_of_the_rest(
    keys: list[tuple[int, bool]], room: int
) -> None:
    widths = [w for w, _ in keys]
    essential = [e for _, e in keys]
    shown = fit_keys(widths, essential, room)
    assert all(shown[i] for i, e in enumerate(essential) if e)
    optional = [s for s, e in zip(shown, essential, strict=True) if not e]
    assert optional == sorted(optional, reverse=True), "later keys never jump ahead"
    used = sum(w for w, s in zip(widths, shown, strict=True) if s)
    must = sum(w for w, e in zip(widths, essential, strict=True) if e)
    assert used <= max(room, must)
    if False in optional:  # the first one left out would not have fitted
        first_out = next(
            i for i, (s, e) in enumerate(zip(shown, essential, strict=True)) if not s and not e
        )
        assert used + widths[first_out] > room


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_no_pane_footer_overflows(size: tuple[int, int]) -> None:
    app = make_app(settings(), prober=FakeProber(), docker=FakeDocker(), clock=fixed_clock,
                   connect_convex=False)  # fmt: skip
    async with app.run_test(size=size) as pilot:
        for n, (pane, _, _) in enumerate(PANES, start=1):
            await pilot.press(str(n))
            await pilot.pause()
            footer = app.screen.query_one(ConsoleFooter)
            await pilot.pause()
            text = "".join(seg.text for seg in footer.render_line(0))
            shown = footer.shown
            assert any(k.action == "help" for k in shown), pane
            assert len(text.rstrip()) == size[0], f"{pane}: the palette key ends at the edge"
            for key in shown:  # whole keys only, each where the line has it
                assert f"{key.display} {key.description}" in text, (pane, key)
            assert text.rstrip().endswith("^p palette"), pane


async def test_a_click_presses_the_key_and_the_pointer_lights_it() -> None:
    app = make_app(settings(), prober=FakeProber(), docker=FakeDocker(), clock=fixed_clock,
                   connect_convex=False)  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        footer = app.screen.query_one(ConsoleFooter)
        await pilot.pause()
        spans = {item.action: (start, end) for start, end, item in footer._spans}
        start, _end = spans["help"]
        await pilot.hover(ConsoleFooter, offset=(start, 0))
        assert footer.hover is not None and footer.shown[footer.hover].action == "help"
        await pilot.click(ConsoleFooter, offset=(start, 0))
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
