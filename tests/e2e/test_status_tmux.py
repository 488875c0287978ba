"""The Status pane in a real terminal: `/` opens the filter box (mounted on first use, not on
the first frame), it takes the keys typed next and filters, Escape closes it.

(Keys sent in the same burst as `/` go to the table, as in every pane: Textual hands each key
to the focused widget as it reads it, before the binding behind `/` has run. The test waits for
the box, as a person does.)"""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_demo_tmux import demo_command, tmux  # noqa: F401 - the fixture
from tests.e2e.tmux import Tmux

pytestmark = pytest.mark.tmux


def test_filter_box_opens_on_slash_and_takes_keys_at_once(tmux: Tmux) -> None:  # noqa: F811
    tmux.start(demo_command())
    tmux.wait_for(lambda s: re.search(r"│ API\s+up\s", s) is not None, what="API row up")
    tmux.keys("/")
    tmux.wait_for(lambda s: "filter containers (esc clears)" in s, what="the filter box")
    tmux.keys("n", "o", "-", "s", "u", "c", "h")
    # Typed into the box, and the filter applies to the containers table.
    tmux.wait_until("no-such", "Containers 0/0", what="typed into the filter box, applied")
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "no-such" not in s and "Containers 0/0" not in s, what="closed")
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)
