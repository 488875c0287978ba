"""The real console in tmux: a mutation run by another client shows its log line in the Logs
pane and `/` filters the view down to it; a followed, wrapped log keeps its tail on screen when
the terminal narrows; rows painted as they arrive are what a full repaint draws; a container
of the deployment shows its line within 5 s of `2` and the chooser's keys (space, enter) work;
the demo opens the pane on recent lines."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.docker_fixtures import ComposeProject
from tests.e2e.test_demo_tmux import tmux  # noqa: F401 - the fixture
from tests.e2e.tmux import Tmux
from tui.sandbox.server import SandboxThread

pytestmark = pytest.mark.tmux


@pytest.fixture
def deployment() -> Iterator[SandboxThread]:
    with SandboxThread(memory=True, seed="demo") as server:
        yield server


def unwrapped(screen: str) -> str:
    """The screen's text with wrapped rows joined again (a continuation is indented)."""
    return "".join(line.strip() for line in screen.splitlines())


def create(deployment: SandboxThread, title: str) -> None:
    resp = httpx.post(
        f"{deployment.url}/api/mutation",
        json={"path": "tasks:create", "args": {"title": title}, "format": "json"},
        timeout=10,
    )
    assert resp.json()["status"] == "success"


@pytest.fixture
def logs(tmux: Tmux, deployment: SandboxThread, tmp_path: Path) -> Tmux:  # noqa: F811
    """The console on the deployment, key 2 pressed: the Logs pane following."""
    argv = [sys.executable, "-m", "screens", "--url", deployment.url, "--admin-key",
            deployment.admin_key, "--project-dir", str(tmp_path), "console"]  # fmt: skip
    tmux.start(argv, env={"XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    tmux.wait_for(lambda s: "http up" in s, what="console up")
    tmux.keys("2")
    tmux.wait_for(lambda s: "following ·" in s, what="logs pane")
    return tmux


def test_mutation_log_line_appears_then_filter_finds_it(
    logs: Tmux, deployment: SandboxThread
) -> None:
    title = f"e2e-{uuid.uuid4().hex[:6]}"
    create(deployment, title)
    screen, _ = logs.wait_for(lambda s: "M tasks:processTask" in s, what="the mutation's lines")
    assert "M tasks:create" in screen and "'Created task'" in screen
    logs.keys("/")
    # Focus moves to the box after the key's handler: type once it is there (under load the
    # first letters would otherwise reach the pane, as a too-quick user's would).
    logs.wait_for(lambda s: "filter: text or regex" in s, what="the filter box")
    logs.keys(*title)
    logs.wait_for(lambda s: any(ln.startswith("▊") and title in ln for ln in s.splitlines()),
                  what="the query in the box")  # fmt: skip
    logs.keys("Enter")
    screen, _ = logs.wait_for(lambda s: "1/1 matches" in s, what="filtered to the line")
    assert f"/{title}" in screen and "M tasks:processTask" in screen
    assert "M tasks:create " not in screen.split("matches", 1)[1]  # others filtered out
    assert "remember filter" not in screen and "Error" not in screen  # saved without a race
    logs.keys("C-q")  # quits wherever the focus is (it may still be moving back from the box)
    logs.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)


def test_a_followed_wrapped_log_keeps_its_tail_when_the_terminal_narrows(
    logs: Tmux, deployment: SandboxThread
) -> None:
    logs.keys("w")
    more = f"more-{uuid.uuid4().hex[:6]}"
    for i in range(15):
        create(deployment, f"{more}-{i}")
    last = f"{more}-14"
    logs.wait_for(lambda s: last in unwrapped(s), what="the last of the log")
    logs.resize(80, 24)  # narrower: more wrapped lines than before
    logs.wait_for(lambda s: len(s.splitlines()) <= 24 and last in unwrapped(s),
                  what="the tail after the resize")  # fmt: skip
    logs.keys("C-q")
    logs.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)


def test_rows_painted_as_they_arrive_are_what_a_full_repaint_draws(
    logs: Tmux, deployment: SandboxThread
) -> None:
    """New rows are written straight from the log's widgets (`paint_direct`), not through
    Textual's compositor, and rows that only moved are moved by the terminal (a scroll region):
    the terminal must hold, cell by cell and colour by colour, what a full repaint of the screen
    then draws."""
    tag = f"b{uuid.uuid4().hex[:4]}"
    for i in range(24):  # past a screenful: the later arrivals scroll
        create(deployment, f"{tag}-{i}")
    logs.wait_for(lambda s: f"'{tag}-23'" in s, what="the burst's lines")
    arrived = settled(logs)
    logs.resize(121, 40)  # a resize repaints every cell through the compositor
    settled(logs, unlike=arrived)
    logs.resize(120, 40)
    assert settled(logs, like=arrived) == arrived
    logs.keys("C-q")
    logs.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)


def test_a_full_ring_followed_in_a_real_terminal_is_what_a_full_repaint_draws(
    tmux: Tmux,  # noqa: F811
    deployment: SandboxThread,
    tmp_path: Path,
) -> None:
    """The ring full (1,000 rows here), each new row drops the oldest: the log's lines move up
    while its scroll offset stays, and the terminal moves them (`LogLines.paint_offset`). The
    terminal must still hold what a full repaint draws."""
    argv = [sys.executable, "-m", "screens", "--url", deployment.url, "--admin-key",
            deployment.admin_key, "--project-dir", str(tmp_path), "console"]  # fmt: skip
    env = {"XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "CONVEX_TUI_LOG_BUFFER": "1000"}  # fmt: skip
    tmux.start(argv, env=env)
    tmux.wait_for(lambda s: "http up" in s, what="console up")
    tmux.keys("2")
    tmux.wait_for(lambda s: "following ·" in s, what="logs pane")
    tag = f"r{uuid.uuid4().hex[:4]}"
    for i in range(260):  # four rows each: past the ring
        create(deployment, f"{tag}-{i}")
    tmux.wait_for(lambda s: "dropped (buffer 1,000)" in s, what="the ring full", timeout=20)
    for i in range(260, 280):  # each one now drops the oldest rows
        create(deployment, f"{tag}-{i}")
    tmux.wait_for(lambda s: f"'{tag}-279'" in s, what="the last lines")
    arrived = settled(tmux)
    tmux.resize(121, 40)
    settled(tmux, unlike=arrived)
    tmux.resize(120, 40)
    assert settled(tmux, like=arrived) == arrived
    tmux.keys("C-q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)


def settled(term: Tmux, *, like: str | None = None, unlike: str | None = None) -> str:
    """The styled screen once two captures 0.2 s apart agree (and it is ``like`` or not
    ``unlike`` when asked); the last capture after 10 s."""
    deadline = time.monotonic() + 10
    last = term.styled()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = term.styled()
        wanted = (like is None or now == like) and (unlike is None or now != unlike)
        if now == last and wanted:
            return now
        last = now
    return last


@pytest.mark.docker
def test_a_deployment_container_shows_within_5s_of_2_and_enter_applies_the_chooser(
    tmux: Tmux,  # noqa: F811
    deployment: SandboxThread,
    compose: ComposeProject,
    sdk: Any,
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    cid = compose.run("backend", command=["sh", "-c", f"echo 'ready-{tag}'; exec sleep 3600"])
    name = sdk.api.inspect_container(cid)["Name"].lstrip("/")
    env = tmp_path / ".env.local"
    env.write_text(f"COMPOSE_PROJECT_NAME={compose.name}\n")
    argv = [sys.executable, "-m", "screens", "--url", deployment.url, "--admin-key",
            deployment.admin_key, "--project-dir", str(tmp_path), "console"]  # fmt: skip
    tmux.start(argv, env={"XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    tmux.wait_for(lambda s: "1/1 up" in s, what="console up, the container listed", timeout=30)
    tmux.keys("2")  # and no other key: the container is followed by default
    screen, _ = tmux.wait_for(lambda s: f"ready-{tag}" in s, what="the container's line", timeout=5)
    assert f"containers {name}" in screen
    # The real key path of the chooser: `o` shows it checked, space unchecks, enter applies.
    tmux.keys("o")
    tmux.wait_for(lambda s: f"enter: follow {name}" in s, what="the chooser, container checked")
    tmux.keys("Space")
    tmux.wait_for(lambda s: "enter: follow none" in s, what="unchecked")
    tmux.keys("Enter")
    tmux.wait_for(
        lambda s: (
            "containers off (o)" in s
            and "enter: follow" not in s
            and f"{name}: no longer followed" in s
        ),
        what="applied, closed, said",
    )
    tmux.keys("o")
    tmux.wait_for(lambda s: "enter: follow none" in s, what="the chooser again")
    tmux.keys("Space")
    tmux.wait_for(lambda s: f"enter: follow {name}" in s, what="checked again")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: f"containers {name}" in s and "enter: follow" not in s,
                  what="followed again")  # fmt: skip
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)


def test_the_demo_opens_the_logs_pane_on_recent_lines(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    env = {"XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    tmux.start([sys.executable, "-m", "screens", "demo"], env=env)
    tmux.wait_for(lambda s: "http up" in s, what="demo up", timeout=30)
    tmux.keys("2")
    # The rows are written first and the bar within a frame after them (issue 17,
    # BARS_AFTER_S): a capture may fall between the two, so the bar is waited for too.
    screen, _ = tmux.wait_for(
        lambda s: (
            "M tasks:create" in s
            and "Scheduler" in s
            and "failure" in s
            and "following ·" in s
            and "0/0 rows" not in s
        ),
        what="the demo app's first calls in the Logs pane, counted in its bar",
    )
    bar = next(line for line in screen.splitlines() if "following ·" in line)
    assert "rows" in bar and "containers n/a" in bar
    assert "'Created task'" in screen and "A rag:searchWithRAG" in screen
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)
