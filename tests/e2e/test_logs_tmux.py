"""The real console in tmux on a sandbox: a mutation run by another client shows its log line
in the Logs pane, then `/` filters the view down to it."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_demo_tmux import tmux  # noqa: F401 - the fixture
from tests.e2e.tmux import Tmux
from tui.sandbox.server import SandboxThread

pytestmark = pytest.mark.tmux


@pytest.fixture
def deployment() -> Iterator[SandboxThread]:
    with SandboxThread(memory=True, seed="demo") as server:
        yield server


def test_mutation_log_line_appears_then_filter_finds_it(
    tmux: Tmux,  # noqa: F811
    deployment: SandboxThread,
    tmp_path: Path,
) -> None:
    argv = [sys.executable, "-m", "screens", "--url", deployment.url, "--admin-key",
            deployment.admin_key, "--project-dir", str(tmp_path), "console"]  # fmt: skip
    tmux.start(argv, env={"XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    tmux.wait_for(lambda s: "http up" in s, what="console up")
    tmux.keys("2")
    tmux.wait_for(lambda s: "following ·" in s, what="logs pane")
    title = f"e2e-{uuid.uuid4().hex[:6]}"
    resp = httpx.post(
        f"{deployment.url}/api/mutation",
        json={"path": "tasks:create", "args": {"title": title}, "format": "json"},
        timeout=10,
    )
    assert resp.json()["status"] == "success"
    screen, _ = tmux.wait_for(lambda s: "M tasks:processTask" in s, what="the mutation's lines")
    assert "M tasks:create" in screen and "'Created task'" in screen
    tmux.keys("/")
    tmux.keys(*title)
    tmux.keys("Enter")
    screen, _ = tmux.wait_for(lambda s: "1/1 matches" in s, what="filtered to the line")
    assert f"/{title}" in screen and "M tasks:processTask" in screen
    assert "M tasks:create " not in screen.split("matches", 1)[1]  # others filtered out
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)
