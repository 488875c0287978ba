"""The Status pane in a real terminal: `/` opens the filter box (mounted on first use, not on
the first frame), it takes the keys typed next and filters, Escape closes it.

(Keys sent in the same burst as `/` go to the table, as in every pane: Textual hands each key
to the focused widget as it reads it, before the binding behind `/` has run. The test waits for
the box, as a person does.)"""

from __future__ import annotations

import re

import httpx
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


def test_the_live_total_is_current_again_on_return_from_another_pane(tmux: Tmux) -> None:  # noqa: F811
    """Hidden, the Status pane closes its live query; keys 2 then 1 in a real terminal bring it
    back subscribed and up to date with a write made meanwhile."""
    tmux.start(demo_command())
    live = re.compile(r"([\d,]+) documents · live")
    screen, _ = tmux.wait_for(lambda s: live.search(s) is not None, what="the live total")
    port = re.search(r"│ API .*127\.0\.0\.1:(\d+)", screen)
    found = live.search(screen)
    assert port is not None and found is not None
    total = int(found.group(1).replace(",", ""))
    tmux.keys("2")
    tmux.wait_until("following ·", what="the Logs pane")
    reply = httpx.post(f"http://127.0.0.1:{port.group(1)}/api/mutation", timeout=10,
                       json={"path": "tasks:create", "args": {"title": "made while hidden"}})  # fmt: skip
    assert reply.json()["status"] == "success"
    tmux.wait_until(str(reply.json()["value"]), what="the new task's line on the Logs pane")
    tmux.keys("1")

    def current(s: str) -> bool:
        now = live.search(s)
        return now is not None and int(now.group(1).replace(",", "")) >= total + 1

    tmux.wait_for(current, what=f"at least {total + 1:,} documents · live")
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)
