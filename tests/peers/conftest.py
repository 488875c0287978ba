"""Fixtures for the real-peer tests: a demo sandbox in a child process and the pinned npm CLI.

The npm packages come from `tests/peers/package.json` (`npm ci` in `.ci/run`). Without them the
tests skip loudly on a developer machine and fail in CI, where they must run.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

PEERS_DIR = Path(__file__).resolve().parent
REPO_ROOT = PEERS_DIR.parent.parent
CONVEX_BIN = PEERS_DIR / "node_modules" / ".bin" / "convex"
SANDBOX_START_TIMEOUT = 30.0
CLI_TIMEOUT = 30.0


def unavailable(reason: str) -> None:
    """Skip on a developer machine, fail in CI: CI must exercise the real peers."""
    if os.environ.get("CI"):
        pytest.fail(f"peer tests cannot run in CI: {reason}")
    pytest.skip(f"PEER TESTS SKIPPED: {reason}")


@dataclass(frozen=True)
class Sandbox:
    url: str
    site_url: str
    admin_key: str
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (
            f"convex {' '.join(self.args)} -> exit {self.code} in {self.seconds:.1f}s\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


class ConvexCli:
    """Runs the pinned `convex` CLI against the sandbox with self-hosted credentials only."""

    def __init__(self, sandbox: Sandbox, cwd: Path, home: Path) -> None:
        self.sandbox = sandbox
        self.cwd = cwd
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "NO_COLOR": "1",
            "FORCE_COLOR": "0",
            # Outside CI the CLI reports crashes to Sentry over the network; tests stay on loopback.
            "CI": "1",
            "CONVEX_SELF_HOSTED_URL": sandbox.url,
            "CONVEX_SELF_HOSTED_ADMIN_KEY": sandbox.admin_key,
        }

    def run(self, *args: str, timeout: float = CLI_TIMEOUT, **env: str) -> CliResult:
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [str(CONVEX_BIN), *args],
                cwd=self.cwd,
                env={**self.env, **env},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
            pytest.fail(
                f"convex {' '.join(args)} timed out after {timeout}s\nstdout:\n{out}\n"
                f"stderr:\n{err}\nsandbox log:\n{self.sandbox.log_tail()}"
            )
        return CliResult(
            args, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(CONVEX_BIN), *args],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


class LineReader:
    """Collects a child's output lines on a thread so reads can have deadlines."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, predicate: Any, timeout: float) -> str | None:
        """Return the first collected line satisfying `predicate`, waiting up to `timeout`."""
        for line in self.lines:
            if predicate(line):
                return line
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                return None
            if item is None:
                return None
            self.lines.append(item)
            if predicate(item):
                return item
        return None


@pytest.fixture(scope="session")
def peer_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One in-memory demo sandbox in a child process, shared by all peer tests."""
    log_path = tmp_path_factory.mktemp("peer-sandbox") / "sandbox.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, str(PEERS_DIR / "sandbox_proc.py")],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    assert proc.stdout is not None and proc.stdin is not None
    reader = LineReader(proc.stdout)
    line = reader.wait_for(lambda text: text.startswith("{"), SANDBOX_START_TIMEOUT)
    if line is None:
        proc.kill()
        proc.wait()
        pytest.fail(f"sandbox did not start:\n{log_path.read_text(errors='replace')[-4000:]}")
    info = json.loads(line)
    sandbox = Sandbox(info["url"], info["site_url"], info["admin_key"], log_path)
    try:
        yield sandbox
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def convex_cli(peer_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> ConvexCli:
    if shutil.which("node") is None:
        unavailable("`node` is not on PATH")
    if not CONVEX_BIN.exists():
        unavailable(f"{CONVEX_BIN} is missing: run `(cd tests/peers && npm ci)`")
    # The CLI must run from a Convex app's root: it reads package.json (and convex.json if any).
    app = tmp_path_factory.mktemp("peer-app")
    package = {"name": "peer-app", "private": True, "dependencies": {"convex": "1.48.0"}}
    (app / "package.json").write_text(json.dumps(package))
    (app / "convex").mkdir()
    return ConvexCli(peer_sandbox, app, tmp_path_factory.mktemp("cli-home"))


@pytest.fixture
def admin_http(peer_sandbox: Sandbox) -> Iterator[httpx.Client]:
    """Plain HTTP with the admin key, for arranging and cross-checking state cheaply."""
    headers = {"Authorization": f"Convex {peer_sandbox.admin_key}"}
    with httpx.Client(base_url=peer_sandbox.url, headers=headers, timeout=15) as client:
        yield client


def call(client: httpx.Client, kind: str, path: str, args: dict[str, Any] | None = None) -> Any:
    """Run a function over `/api/{kind}` (encoded JSON) and return its value, failing on errors."""
    body = {"path": path, "args": args or {}, "format": "convex_encoded_json"}
    response = client.post(f"/api/{kind}", json=body)
    assert response.status_code == 200, (
        f"POST /api/{kind} {body} -> {response.status_code} {response.text}"
    )
    payload = response.json()
    assert payload["status"] == "success", f"POST /api/{kind} {body} -> {payload}"
    return payload["value"]
