"""The Data pane end to end in tmux: it opens on a table, filters, the table list, the detail,
a held-down key on a big table with the jumps, and an edit in $EDITOR (a script that rewrites
the file), each through the real terminal."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_demo_tmux import demo_command, tmux  # noqa: F401 - the fixture
from tests.e2e.tmux import Tmux
from tui.sandbox.server import SandboxThread

pytestmark = pytest.mark.tmux
SLOW = 60.0  # bounds for a loaded machine (two busy cores): every wait is on a condition


def test_opens_on_tasks_then_filters_documents_and_tables(tmux: Tmux) -> None:  # noqa: F811
    tmux.start(demo_command())
    tmux.wait_for(lambda s: "http up" in s, what="console up", timeout=SLOW)
    tmux.keys("4")
    # No table picked by hand: the largest (tasks) is open with its first page.
    screen, _ = tmux.wait_for(lambda s: "row 1 of 40" in s, what="tasks open", timeout=SLOW)
    assert re.search(r"│\s*40\s+tasks\s*│", screen), "tables with counts"
    assert re.search(r"│\s*\d+\s+authAccounts", screen), "auth tables are listed"
    assert "─ tasks ─" in screen and "_creationTime" in screen and "title" in screen
    tmux.keys("/")  # the documents have the keys: / filters them
    tmux.wait_for(lambda s: "status = pending and priority" in s, what="filter bar")
    tmux.keys("status = in_progress", "Enter")
    screen, _ = tmux.wait_for(
        lambda s: "filter: status = in_progress" in s and re.search(r"row 1 of \d+", s) is not None,
        what="filtered",
        timeout=SLOW,
    )
    shown = int(re.search(r"row 1 of (\d+)", screen).group(1))  # type: ignore[union-attr]
    assert 0 < shown < 40
    assert "in_progress" in screen and "completed" not in screen
    tmux.keys("Enter")
    screen, _ = tmux.wait_for(lambda s: "enter on an id opens it" in s, what="document detail")
    assert re.search(r"tasks · [0-9a-z]{31,37}", screen)
    assert 'status: "in_progress"' in screen  # the JSON tree quotes strings
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "enter on an id opens it" not in s, what="detail closed")
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "row 1 of 40" in s, what="filter cleared", timeout=SLOW)
    # The table list: tab to it, / filters it, enter opens the table.
    tmux.keys("Tab", "/")
    tmux.wait_for(lambda s: "filter tables" in s, what="table filter")
    tmux.keys("messages", "Enter")
    tmux.wait_for(lambda s: "authAccounts" not in s, what="only messages listed")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "─ messages ─" in s and "row 1 of 20" in s, what="messages open")
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)


@pytest.fixture
def bulk() -> Iterator[SandboxThread]:
    with SandboxThread(memory=True, seed="demo", bulk={"tasks": 3000}) as server:
        yield server


def test_held_down_key_pages_ahead_and_jumps_on_a_big_table(
    tmux: Tmux,  # noqa: F811
    bulk: SandboxThread,
) -> None:
    tmux.start(
        [sys.executable, "-m", "screens", "--url", bulk.url, "console"],
        env={"CONVEX_SELF_HOSTED_ADMIN_KEY": bulk.admin_key},
    )
    tmux.keys("4")
    tmux.wait_for(lambda s: "row 1 of 3,000" in s, what="tasks open", timeout=SLOW)
    # 1,200 Down presses in one go (what a held key sends, faster than any key repeat): one row
    # each, past the first page and the pages read ahead, none lost.
    tmux._run("send-keys", "-t", tmux.session, "-N", "1200", "Down")
    screen, _ = tmux.wait_for(
        lambda s: "row 1,201 of 3,000" in s, what="1,200 rows on", timeout=SLOW
    )
    tmux.wait_for(lambda s: "…" not in s.split("│")[-3], what="rows painted", timeout=SLOW)
    tmux.keys("PageDown")
    tmux.wait_for(lambda s: re.search(r"row 1,2[3-4]\d of 3,000", s) is not None, what="a page on")
    tmux.keys("G")
    screen, _ = tmux.wait_for(lambda s: "row 3,000 of 3,000" in s, what="the end", timeout=SLOW)
    assert screen.count(" 20") >= 30, "the last page is painted, not placeholders"
    tmux.keys("Up")
    tmux.wait_for(lambda s: "row 2,999 of 3,000" in s, what="up from the end")
    tmux.keys("g")
    tmux.wait_for(lambda s: "row 1 of 3,000" in s, what="the start", timeout=SLOW)
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)


EDITOR = """\
import json, sys
path = sys.argv[1]
doc = json.load(open(path))
doc["body"] = "rewritten by the editor"
open(path, "w").write(json.dumps(doc, indent=2))
"""


def test_edit_in_editor_shows_the_diff_then_saves(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    tmux.start(demo_command(), env={"EDITOR": f"{sys.executable} {script}", "VISUAL": ""})
    tmux.wait_for(lambda s: "http up" in s, what="console up", timeout=SLOW)
    tmux.keys("4")
    tmux.wait_for(lambda s: "row 1 of 40" in s, what="tasks open", timeout=SLOW)
    tmux.keys("Tab", "/")
    tmux.wait_for(lambda s: "filter tables" in s, what="table filter")
    tmux.keys("messages", "Enter")
    tmux.wait_for(lambda s: "authAccounts" not in s, what="only messages listed")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "─ messages ─" in s and "row 1 of 20" in s, what="messages open")
    tmux.keys("E")  # the console suspends, the script rewrites the file, the console resumes
    screen, _ = tmux.wait_for(lambda s: "Save 1 change" in s, what="the diff", timeout=SLOW)
    assert '~ body: "' in screen and '→ "rewritten by the editor"' in screen
    tmux.keys("y")
    tmux.wait_for(lambda s: "Done: edit" in s, what="saved", timeout=SLOW)
    tmux.wait_for(lambda s: "rewritten by the editor" in s, what="shown in the grid", timeout=SLOW)
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)
