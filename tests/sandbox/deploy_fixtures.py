"""A sandbox process plus a copy of the example workspace (``tests/workspace``) for deploy tests.

The workspace's npm packages come from ``tests/workspace/package-lock.json`` (``npm ci`` in
``.ci/run``). Without Node or those packages the tests skip on a developer machine and fail in
CI, where they must run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.peers.conftest import LineReader, unavailable

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
WORKSPACE = REPO_ROOT / "tests" / "workspace"
CONVEX_BIN = WORKSPACE / "node_modules" / ".bin" / "convex"
START_TIMEOUT = 30.0
CLI_TIMEOUT = 90.0


def require_node() -> str:
    node = shutil.which("node")
    if node is None:
        unavailable("`node` is not on PATH")
    if not CONVEX_BIN.exists():
        unavailable(f"{CONVEX_BIN} is missing: run `(cd tests/workspace && npm ci)`")
    assert node is not None
    return node


@dataclass
class SandboxProc:
    """``tests/sandbox/deploy_proc.py`` on a data directory; restartable on the same one."""

    data_dir: Path
    key: str = field(default_factory=lambda: f"convex-self-hosted|01{secrets.token_hex(24)}")
    url: str = ""
    site_url: str = ""
    log_path: Path | None = None
    proc: subprocess.Popen[str] | None = None

    def start(self) -> SandboxProc:
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"
        with self.log_path.open("a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(HERE / "deploy_proc.py"), str(self.data_dir), self.key],
                cwd=REPO_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert self.proc.stdout is not None
        line = LineReader(self.proc.stdout).wait_for(lambda t: t.startswith("{"), START_TIMEOUT)
        if line is None:
            self.stop()
            pytest.fail(f"sandbox did not start:\n{self.log_tail()}")
        info = json.loads(line)
        self.url, self.site_url = info["url"], info["site_url"]
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-4000:]

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Convex {self.key}"}, timeout=30
        )


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Workspace:
    """A private copy of the example app (its ``convex/`` can be edited and pushed again)."""

    def __init__(self, root: Path, sandbox: SandboxProc, home: Path) -> None:
        self.root = copy_workspace(root)
        self.sandbox = sandbox
        self.home = home

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "NO_COLOR": "1",
            "CI": "1",  # no Sentry crash reports over the network
            "CONVEX_SELF_HOSTED_URL": self.sandbox.url,
            "CONVEX_SELF_HOSTED_ADMIN_KEY": self.sandbox.key,
        }

    def cli(self, *args: str, timeout: float = CLI_TIMEOUT) -> Result:
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [str(CONVEX_BIN), *args],
                cwd=self.root,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"convex {' '.join(args)} timed out: {exc}\n{self.sandbox.log_tail()}")
        return Result(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)

    def ok(self, *args: str) -> Result:
        res = self.cli(*args)
        assert res.code == 0, f"convex {' '.join(args)}:\n{res.output}\n{self.sandbox.log_tail()}"
        return res

    def run_json(self, path: str, args: dict[str, Any] | None = None) -> Any:
        out = self.ok("run", path, json.dumps(args or {})).stdout.strip()
        return json.loads(out) if out else None  # the CLI prints nothing for null

    def node_script(self, name: str) -> Any:
        """Run ``tests/sandbox/<name>`` (a real JS client) in the app; its last stdout line."""
        script = self.root / name
        shutil.copy(HERE / name, script)
        proc = subprocess.run(
            [require_node(), str(script)],
            cwd=self.root,
            env={**self.env(), "CONVEX_URL": self.sandbox.url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr + self.sandbox.log_tail()
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def edit(self, module: str, old: str, new: str) -> None:
        path = self.root / "convex" / module
        text = path.read_text()
        assert old in text, f"{old!r} not in {module}"
        path.write_text(text.replace(old, new))


def _no_generated(_dir: str, names: list[str]) -> list[str]:
    return [n for n in names if n == "_generated"]


def copy_workspace(dest: Path) -> Path:
    """The example app's sources in ``dest`` (created), sharing the installed node_modules."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(WORKSPACE / "convex", dest / "convex", ignore=_no_generated)
    shutil.copytree(WORKSPACE / "oracle", dest / "oracle")
    for name in ("package.json", "vitest.config.mts"):
        shutil.copy(WORKSPACE / name, dest / name)
    (dest / "node_modules").symlink_to(WORKSPACE / "node_modules")
    return dest
