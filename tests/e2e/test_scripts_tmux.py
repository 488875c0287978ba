"""The Scripts pane and `D` end to end in tmux: the demo console opened in a workspace of
small scripts; a script runs with its output and exit status, D deploys (the workspace's
deploy:functions), dev:backend runs in the background, and quitting leaves no child behind."""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.test_demo_tmux import tmux  # noqa: F401 - the one tmux fixture
from tests.e2e.tmux import Tmux
from tests.scripts.workspaces import SCRIPTS, make_workspace

pytestmark = pytest.mark.tmux


def wait_for_process(marker: str, timeout: float = 10.0) -> None:
    """npm echoes the script's body before starting it: the marker shows before the process."""
    deadline = time.monotonic() + timeout
    while not processes_with(marker):
        assert time.monotonic() < deadline, f"no process running {marker}"
        time.sleep(0.05)


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm runs the scripts")
def test_run_a_script_deploy_and_quit_clean(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    marker = f"tick-{uuid.uuid4().hex[:8]}"
    scripts = dict(SCRIPTS, **{"dev:backend": f"while true; do echo {marker}; sleep 0.2; done"})
    ws = make_workspace(tmp_path / "ws", "npm", scripts)
    env = {"CONVEX_TUI_DATA_DIR": str(tmp_path / "data")}
    tmux.start(["env", f"--chdir={ws}", sys.executable, "-m", "screens", "demo"], env=env)
    tmux.wait_for(lambda s: "http up" in s, what="console up")
    tmux.keys("6")
    tmux.wait_for(lambda s: "deploy:functions" in s and "npm (package-lock.json)" in s,
                  what="scripts listed")  # fmt: skip
    for _ in range(4):  # deploy:functions, dev:backend, convex:status, lint → test
        tmux.keys("Down")
    tmux.wait_for(lambda s: "$ npm run test" in s, what="command line of the selection")
    tmux.keys("Enter")
    tmux.wait_until("exit 0 ·", "tested", "test · started", what="script output")

    tmux.keys("D")
    tmux.wait_for(lambda s: "Runs: npm run deploy:functions" in s, what="deploy confirmation")
    tmux.keys("y")
    tmux.wait_until("deployed +1 idx", line=0, what="deploy summary in the header")

    tmux.keys("b")
    tmux.wait_for(lambda s: "dev running" in s and marker in s, what="dev:backend output")
    wait_for_process(marker)
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=20)
    assert not processes_with(marker), "a child outlived the console"
    history = list((tmp_path / "data" / "history").glob("*.jsonl"))
    entries = [json.loads(line) for line in history[0].read_text().splitlines()]
    assert {e["script"] for e in entries} >= {"test", "deploy", "dev"}


def test_deploy_with_the_real_cli_by_key(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    """The console in a copy of the example workspace (its .env.convex.local points at a
    sandbox): D deploys with the real CLI and the header says what changed."""
    from tests.ui.test_deploy_real_cli import EXAMPLE, takes_deploys, unavailable
    from tui.sandbox.server import SandboxThread

    modules = EXAMPLE / "node_modules"
    if shutil.which("node") is None or not (modules / ".bin" / "convex").exists():
        unavailable(f"{modules} is missing: run `(cd tests/workspace && npm ci)`")
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE / "convex", ws / "convex", ignore=shutil.ignore_patterns("_generated"))
    package = json.loads((EXAMPLE / "package.json").read_text())
    package["scripts"] = {"deploy:functions": "convex deploy --yes"}
    (ws / "package.json").write_text(json.dumps(package))
    (ws / "node_modules").symlink_to(modules)
    with SandboxThread(data_dir=tmp_path / "sandbox", seed="empty") as sandbox:
        if not takes_deploys(sandbox.url, sandbox.admin_key):
            unavailable("this sandbox does not take deploys (/api/get_config_hashes)")
        env_file = ws / ".env.convex.local"
        env_file.write_text(f"CONVEX_SELF_HOSTED_URL={sandbox.url}\n"
                            f"CONVEX_SELF_HOSTED_ADMIN_KEY={sandbox.admin_key}\n")  # fmt: skip
        env_file.chmod(0o600)
        env = {"CONVEX_TUI_DATA_DIR": str(tmp_path / "data"), "CI": "1"}
        tmux.start(["env", f"--chdir={ws}", sys.executable, "-m", "screens"], env=env)
        tmux.wait_for(lambda s: "ws connected" in s, what="console connected")
        tmux.keys("D")
        tmux.wait_for(lambda s: "Runs: npm run deploy:functions" in s, what="confirmation")
        tmux.keys("y")
        screen = tmux.wait_until(re.compile(r"deployed \+.*fn"), line=0, timeout=120,
                                 what="deploy summary in the header")  # fmt: skip
        assert sandbox.admin_key not in screen
        tmux.keys("6")
        tmux.wait_for(lambda s: "Deployed Convex functions" in s, what="the CLI's output")
        tmux.keys("q")
        tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=20)


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm runs the scripts")
def test_closing_the_terminal_ends_the_children(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    marker = f"tick-{uuid.uuid4().hex[:8]}"
    # Quiet after its first line (a server waiting for requests): SIGPIPE would not end it.
    scripts = {"dev:backend": f"echo {marker}; while true; do sleep 0.2; done # {marker}"}
    ws = make_workspace(tmp_path / "ws", "npm", scripts)
    env = {"CONVEX_TUI_DATA_DIR": str(tmp_path / "data")}
    tmux.start(["env", f"--chdir={ws}", sys.executable, "-m", "screens", "demo"], env=env)
    tmux.wait_for(lambda s: "http up" in s, what="console up")
    tmux.keys("6", "b")
    tmux.wait_for(lambda s: marker in s, what="dev:backend output")
    wait_for_process(marker)
    tmux.kill()  # the terminal goes away: SIGHUP to the console
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_with(marker), "a child outlived the closed terminal"
