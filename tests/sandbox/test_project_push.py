"""``convex-tui sandbox --project DIR`` and ``demo --project DIR``: the workspace's own app."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.sandbox.deploy_fixtures import REPO_ROOT, copy_workspace, require_node
from tui.sandbox.project import start_project_sandbox, unavailable_reason

pytestmark = [pytest.mark.timeout(120)]


def _start(args: list[str]) -> tuple[subprocess.Popen[str], list[str], str]:
    """Start `convex-tui sandbox ...`; return it, its stderr lines so far, and its API URL."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "sandbox",
            "--memory",
            "--port",
            "0",
            "--site-port",
            "0",
            *args,
        ],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    stderr = proc.stderr

    def pump() -> None:
        for raw in stderr:
            lines.put(raw)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith("API URL:"):
            return proc, seen, line.split()[-1]
    proc.kill()
    pytest.fail("sandbox did not start:\n" + "".join(seen))


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.peers
def test_sandbox_project_pushes_the_workspace_and_keeps_env_local(tmp_path: Path) -> None:
    require_node()
    project = copy_workspace(tmp_path / "app")
    (project / ".env.local").write_text("CONVEX_URL=https://real.example\n")
    relative = os.path.relpath(project, REPO_ROOT)  # as typed from a shell: `--project app`
    proc, lines, url = _start(["--project", relative])
    try:
        text = "".join(lines)
        assert f"Pushed {relative}/convex with `npx convex dev --once`" in text, text
        out = httpx.post(
            f"{url}/api/mutation", json={"path": "tasks:create", "args": {"text": "t"}}
        )
        assert out.json()["status"] == "success"
        listed = httpx.post(f"{url}/api/query", json={"path": "tasks:list", "args": {}}).json()
        assert [t["text"] for t in listed["value"]] == ["t"]
        # The demo app is not there: the workspace's app replaced it.
        demo = httpx.post(f"{url}/api/query", json={"path": "debug:checkEnv", "args": {}}).json()
        assert demo["status"] == "error" and "Could not find" in demo["errorMessage"]
    finally:
        _stop(proc)
    assert (project / ".env.local").read_text() == "CONVEX_URL=https://real.example\n"


def test_sandbox_project_without_packages_says_so_and_serves_the_demo(tmp_path: Path) -> None:
    (tmp_path / "convex").mkdir()
    proc, lines, url = _start(["--project", str(tmp_path)])
    try:
        text = "".join(lines)
        assert "not pushing" in text and ("npm install" in text or "Node.js" in text)
        assert "built-in demo app" in text
        demo = httpx.post(f"{url}/api/query", json={"path": "debug:checkEnv", "args": {}}).json()
        assert demo["status"] == "success"
    finally:
        _stop(proc)


def test_demo_project_refuses_clearly_when_it_cannot_push(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert start_project_sandbox(tmp_path, "convex-tui demo") is None
    err = capsys.readouterr().err
    assert f"cannot push {tmp_path}" in err and "no convex/ directory" in err
    assert unavailable_reason(tmp_path) is not None
