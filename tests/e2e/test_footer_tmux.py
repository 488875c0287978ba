"""The footer in a real terminal at 80x24: every pane's last row is whole keys, then `^p palette`.

Textual's own footer let its row run past the screen's edge; in tmux the overflow showed through
beside the palette key (`^p paletter`, `^p paletteQ`) and a key was cut mid-word (`d De`). Here
each pane's footer is read back with capture-pane and parsed against the key table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.test_demo_tmux import demo_command
from tests.e2e.tmux import Tmux, labels, pane_marker, session
from tui.keys import APP_KEYS, PANE_KEYS, PANES

pytestmark = pytest.mark.tmux

PALETTE = "^p palette"


@pytest.fixture
def tmux80() -> Iterator[Tmux]:
    yield from session(80, 24)


def parse_footer(line: str, known: list[str]) -> list[str] | None:
    """The footer's keys in order, or None when the row holds anything but whole known keys
    followed by the palette key flush with the right edge."""
    if len(line) != 80 or not line.endswith(PALETTE) or not line.isascii():
        return None
    rest = line[: -len(PALETTE)].rstrip()
    found: list[str] = []
    while rest:
        match = next(
            (k for k in sorted(known, key=len, reverse=True)
             if rest == k or rest.startswith(k + " ")),
            None,
        )  # fmt: skip
        if match is None:
            return None
        found.append(match)
        rest = rest[len(match) :].lstrip()
    return found


def test_footer_parses() -> None:
    known = ["/ Filter", "? Help", "q Quit"]
    assert parse_footer("/ Filter ? Help".ljust(70) + PALETTE, known) == ["/ Filter", "? Help"]
    assert parse_footer("/ Filter ? He".ljust(70) + PALETTE, known) is None  # a cut key
    assert parse_footer("/ Filter".ljust(69) + PALETTE + "r", known) is None  # the stray cell
    assert parse_footer("/ Filter ⏎ x".ljust(70) + PALETTE, [*known, "⏎ x"]) is None  # a glyph


def test_every_pane_footer_is_whole_keys_at_80_columns(tmux80: Tmux) -> None:
    tmux80.start(demo_command())
    tmux80.wait_for(lambda s: "http up" in s, what="the demo's API up", timeout=30)
    app_labels = labels(APP_KEYS)
    for n, (pane, _title, _what) in enumerate(PANES, start=1):
        known = [*labels(PANE_KEYS[pane]), *app_labels]
        tmux80.keys(str(n))
        # This pane's own footer (a key only it has; the demo's Scripts pane hides its script
        # keys and says why instead), whole keys only, `? Help` kept.
        mark = re.compile("what this pane does") if pane == "scripts" else pane_marker(pane)

        def whole(screen: str, known: list[str] = known, mark: re.Pattern[str] = mark) -> bool:
            keys = parse_footer(screen.splitlines()[-1], known)
            return keys is not None and "? Help" in keys and mark.search(screen) is not None

        screen, _ = tmux80.wait_for(whole, what=f"pane {n} ({pane}): a footer of whole keys")
        assert screen.splitlines()[-1].endswith(PALETTE)
