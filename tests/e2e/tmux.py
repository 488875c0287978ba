"""A tiny tmux driver for end-to-end tests and the startup bench (own server socket)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.keys_model import KeySpec


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
        # A real terminal's size comes from the pane: COLUMNS/LINES (pytest-xdist workers set
        # them to 80x24) would make Textual ignore it.
        full_env.pop("COLUMNS", None)
        full_env.pop("LINES", None)
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

    def styled(self) -> str:
        """The screen with its colours and attributes (SGR sequences), as the terminal holds it."""
        return self._run("capture-pane", "-p", "-e", "-t", self.session)

    def resize(self, width: int, height: int) -> None:
        """The terminal window changes size (the user drags it)."""
        self._run("resize-window", "-t", self.session, "-x", str(width), "-y", str(height))
        self.width, self.height = width, height

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

    def wait_until(
        self,
        *present: str | re.Pattern[str],
        absent: Sequence[str | re.Pattern[str]] = (),
        what: str = "",
        timeout: float = 20.0,
        line: int | None = None,
    ) -> str:
        """Wait until every text or pattern in ``present`` is on the screen (or on screen line
        ``line``) and none of ``absent`` is: every expectation inside the bounded wait, so a
        frame caught half painted is waited past instead of failing an assertion after it."""

        def found(text: str, item: str | re.Pattern[str]) -> bool:
            return item.search(text) is not None if isinstance(item, re.Pattern) else item in text

        def check(screen: str) -> bool:
            lines = screen.splitlines()
            if line is not None:
                screen = lines[line] if -len(lines) <= line < len(lines) else ""
            return all(found(screen, p) for p in present) and not any(
                found(screen, a) for a in absent
            )

        missing = ", ".join(p.pattern if isinstance(p, re.Pattern) else p for p in present)
        return self.wait_for(check, timeout=timeout, what=what or missing)[0]

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


def labels(specs: Iterable[KeySpec]) -> list[str]:
    """What the footer may show for each key shown there: one of its keys (Textual shows the
    first binding the focused widget does not take itself: `r Run` where a table takes enter),
    plain ASCII, and its description."""
    from tui.keys import display_keys

    return [
        f"{display_keys(key)} {s.description}" for s in specs if s.show for key in s.keys.split(",")
    ]


def pane_marker(pane: str) -> re.Pattern[str]:
    """A footer key only that pane has (its first that no other pane has): the pane is on
    screen. Any of its keys may be the one shown."""
    from tui.keys import PANE_KEYS

    others = {label for p, specs in PANE_KEYS.items() if p != pane for label in labels(specs)}
    spec = next(s for s in PANE_KEYS[pane] if s.show and not set(labels([s])) & others)
    return re.compile("|".join(re.escape(label) for label in labels([spec])))
