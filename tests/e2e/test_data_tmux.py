"""The Data pane end to end in tmux: open `tasks`, filter by status, open a document."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_demo_tmux import demo_command, tmux  # noqa: F401 - the fixture
from tests.e2e.tmux import Tmux

pytestmark = pytest.mark.tmux


def test_open_tasks_filter_by_status_open_a_document(tmux: Tmux) -> None:  # noqa: F811
    tmux.start(demo_command())
    tmux.wait_for(lambda s: "http up" in s, what="console up")
    tmux.keys("4")
    screen, _ = tmux.wait_for(
        lambda s: re.search(r"│\s*40\s+tasks\s*│", s) is not None, what="tables with counts"
    )
    assert re.search(r"│\s*\d+\s+authAccounts", screen), "auth tables are listed"
    tmux.keys("/")  # the table list has focus: / filters it
    tmux.wait_for(lambda s: "filter tables" in s, what="table filter")
    tmux.keys("tasks", "Enter")
    tmux.wait_for(lambda s: "authAccounts" not in s, what="only tasks listed")
    tmux.keys("Enter")
    screen, _ = tmux.wait_for(lambda s: "row 1 of 40" in s, what="tasks open")
    assert "_creationTime" in screen and "title" in screen
    tmux.keys("/")
    tmux.wait_for(lambda s: "status = pending and priority" in s, what="filter bar")
    tmux.keys("status = in_progress", "Enter")
    screen, _ = tmux.wait_for(
        lambda s: "filter: status = in_progress" in s and re.search(r"row 1 of \d+", s) is not None,
        what="filtered",
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
    tmux.wait_for(lambda s: "row 1 of 40" in s, what="filter cleared")
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)
