"""The Functions pane end to end in tmux: filter to a function, type arguments, run, read."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.test_demo_tmux import demo_command, tmux  # noqa: F401 - fixture
from tests.e2e.tmux import Tmux

EDITOR_SCRIPT = """#!/bin/sh
printf '{title: "written by $EDITOR"}' > "$1"
"""


def replace_arguments(tmux: Tmux, text: str) -> None:  # noqa: F811 - the fixture name
    """^T puts the template back with the cursor at its start; select it all and type over it."""
    tmux.keys("C-t")
    for _line in range(8):
        tmux.keys("S-Down")
    tmux.keys("BSpace")
    tmux.wait_for(lambda s: '"title"' not in s, what="template selected and deleted")
    tmux.keys(*text)
    tmux.wait_for(lambda s: text in s, what="arguments typed")


def test_filter_type_arguments_run_and_read(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    editor = tmp_path / "editor.sh"
    editor.write_text(EDITOR_SCRIPT)
    editor.chmod(0o755)
    env = {"CONVEX_TUI_DATA_DIR": str(tmp_path / "data"), "EDITOR": str(editor), "VISUAL": ""}
    tmux.start(demo_command(), env=env)
    tmux.wait_for(lambda s: "http up" in s and "ws connected" in s, what="connected")
    tmux.keys("3")
    tmux.wait_for(lambda s: "getUserTasks" in s and "Q list" in s, what="function tree")
    # Keys sent in one burst could reach the list before "/" has moved the focus (a binding runs
    # on the focused widget's queue): wait for the box to say it is listening.
    tmux.keys("/")
    tmux.wait_for(lambda s: "type words" in s, what="filter box focused")
    tmux.keys(*"tasks create")
    tmux.wait_for(lambda s: "1/16" in s and "M create" in s, what="filtered to tasks:create")
    tmux.keys("Enter")  # opens the highlighted match in the editor
    tmux.wait_for(lambda s: '"title": "",' in s and "tasks:create" in s, what="template")
    # Replace the template with typed arguments.
    replace_arguments(tmux, '{title: "typed in tmux", priority: 2}')
    tmux.keys("C-r")
    screen = tmux.wait_until(
        re.compile(r"✓ tasks:create \d+ ms · request [0-9a-f]{16}"),
        re.compile(r'"[0-9a-z]{31,37}"\s+id'),  # the new id, shown and marked
        "Created task",  # the function's log line
        what="the result, its id and its log line",
    )
    # A validation problem is shown inline and nothing runs.
    replace_arguments(tmux, "{title: 5}")
    tmux.keys("C-r")
    tmux.wait_until("Not sent (field title)", what="inline problem")
    # ctrl+o: the arguments go through $EDITOR (the console suspends, then reads them back).
    tmux.keys("C-o")
    tmux.wait_for(lambda s: "written by $EDITOR" in s, what="arguments from $EDITOR")
    first_request = re.search(r"request ([0-9a-f]{16})", screen)
    assert first_request is not None
    tmux.keys("C-r")
    tmux.wait_for(
        lambda s: "✓ tasks:create" in s and first_request.group(1) not in s,
        what="a new run with the edited arguments",
    )
    tmux.keys("C-q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)
