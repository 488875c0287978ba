"""A tiny tmux driver for end-to-end tests and the startup bench (own server socket)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence


def tmux_path() -> str | None:
    return shutil.which("tmux")


class Tmux:
    """One session on a private tmux server (``-L``), so nothing else is touched."""

    def __init__(self, width: int = 120, height: int = 40) -> None:
        self.socket = f"ctui-{uuid.uuid4().hex[:8]}"
        self.session = "console"
        self.width, self.height = width, height

    def _run(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20
        )
        return out.stdout

    def start(self, argv: Sequence[str], env: dict[str, str] | None = None) -> float:
        """Launch ``argv``; returns the launch time (perf_counter)."""
        cmd = " ".join(_quote(a) for a in argv)
        # Keep the pane open after exit so the test can read the last screen and exit status.
        shell = f"{cmd}; echo EXITED:$?; sleep 30"
        full_env = {**os.environ, **(env or {}), "TERM": "xterm-256color"}
        t0 = time.perf_counter()
        subprocess.run(
            [
                "tmux",
                "-L",
                self.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                self.session,
                "-x",
                str(self.width),
                "-y",
                str(self.height),
                shell,
            ],
            env=full_env,
            check=True,
            timeout=20,
        )
        return t0

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self._run("send-keys", "-t", self.session, *keys)

    def wait_for(
        self,
        check: Callable[[str], bool],
        timeout: float = 20.0,
        what: str = "",
        poll: float = 0.05,
    ) -> tuple[str, float]:
        """Poll the screen (an external process: bounded polling) until ``check`` holds."""
        deadline = time.perf_counter() + timeout
        while True:
            text = self.screen()
            if check(text):
                return text, time.perf_counter()
            if time.perf_counter() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{text}")
            time.sleep(poll)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def session(width: int = 120, height: int = 40) -> Iterator[Tmux]:
    """A tmux fixture's body: fails under CI when tmux is missing, skips loudly elsewhere."""
    import pytest

    if tmux_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but tmux is missing (apt-get install tmux)")
        print("WARNING: tmux tests skipped: tmux not installed", file=sys.stderr)
        pytest.skip("tmux not installed (apt-get install tmux)")
    t = Tmux(width, height)
    yield t
    t.kill()
