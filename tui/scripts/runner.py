"""Run a workspace command as a child process group, streaming its output live.

- The child runs in its own session (process group), so cancelling reaches everything it
  spawned: SIGINT to the group, then SIGTERM, then SIGKILL after a grace period each.
- Output (stdout and stderr merged, in order) is split into lines; colours (SGR) are kept and
  every other control sequence dropped (`tui.safety.text.clean`); the admin key is scrubbed.
- The child's environment carries the resolved deployment: `CONVEX_SELF_HOSTED_URL` and
  `CONVEX_SELF_HOSTED_ADMIN_KEY` — the only place the key goes to a child (never argv).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from tui.config.secret import Secret
from tui.safety.text import clean, scrub_secret

_SGR = re.compile(r"\x1b\[[0-9;:]*m")  # what clean(keep_sgr=True) keeps
GRACE_SECONDS = 3.0
DRAIN_SECONDS = 0.5  # after the leader exits: how long a straggler may hold the pipe open
MAX_LINES = 5000  # kept per run (the pane shows them; history keeps the last few)
# Variables that would point the Convex CLI somewhere else than the console's target.
CONFLICTING = ("CONVEX_DEPLOYMENT", "CONVEX_DEPLOY_KEY", "CONVEX_URL")


class RunState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"  # exit status 0
    FAILED = "failed"  # non-zero exit status, or could not start
    CANCELLED = "cancelled"


def child_env(
    url: str, admin_key: Secret | None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of every script: the console's own, retargeted at its deployment."""
    env = dict(os.environ if base is None else base)
    for name in CONFLICTING:
        env.pop(name, None)
    env["CONVEX_SELF_HOSTED_URL"] = url
    if admin_key is not None:
        env["CONVEX_SELF_HOSTED_ADMIN_KEY"] = admin_key.reveal()
    else:
        env.pop("CONVEX_SELF_HOSTED_ADMIN_KEY", None)
    env.setdefault("FORCE_COLOR", "1")  # colours through the pipe; the pane keeps them
    env.pop("NO_COLOR", None)
    return env


Listener = Callable[["ProcessRun", list[str]], None]


@dataclass
class ProcessRun:
    """One run of one command; `start()` it on an event loop, `cancel()` to stop it."""

    name: str
    argv: tuple[str, ...]
    cwd: str
    env: dict[str, str] = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    grace: float = GRACE_SECONDS
    lines: list[str] = field(default_factory=list)
    state: RunState = RunState.RUNNING
    exit_status: int | None = None
    error: str | None = None  # could not start (no such program, bad cwd)
    pid: int | None = None
    started_at: float = field(default_factory=time.time)
    _t0: float = field(default_factory=time.monotonic)
    _t1: float | None = None
    _proc: asyncio.subprocess.Process | None = None
    _cancelling: bool = False
    _listeners: list[Listener] = field(default_factory=list)
    _done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def elapsed(self) -> float:
        return (self._t1 or time.monotonic()) - self._t0

    @property
    def running(self) -> bool:
        return self.state is RunState.RUNNING

    @property
    def command_line(self) -> str:
        import shlex

        return shlex.join(self.argv)

    def on_output(self, listener: Listener) -> Callable[[], None]:
        """``listener(run, new_lines)``; called with ``[]`` when the state changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, new: list[str]) -> None:
        for listener in list(self._listeners):
            listener(self, new)

    def _add(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace")
        out: list[str] = []
        for line in text.split("\n"):
            # A progress line redraws itself with \r: keep what the terminal would show last.
            line = line.rstrip("\r").rsplit("\r", 1)[-1]
            line = scrub_secret(line, self.secret)
            # Fast path (C speed): with its colours taken out, a line that is all printable
            # characters holds no control or format character at all: `clean` would keep it.
            if not _SGR.sub("", line).isprintable():
                line = clean(line, keep_sgr=True)
            out.append(line)
        self.lines.extend(out)
        if len(self.lines) > MAX_LINES:
            del self.lines[: len(self.lines) - MAX_LINES]
        self._emit(out)

    async def wait(self) -> RunState:
        await self._done.wait()
        return self.state

    async def run(self) -> RunState:
        """Start the child and stream it to the end (or until cancelled)."""
        try:
            with _children_get_sigint():
                self._proc = await asyncio.create_subprocess_exec(
                    *self.argv,
                    cwd=self.cwd,
                    env=self.env,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.STDOUT,
                    start_new_session=True,  # its own process group: cancel reaches all of it
                )
        except OSError as exc:
            self.error = f"cannot start {self.argv[0]}: {exc.strerror or exc}"
            self._add(f"✘ {self.error}".encode())
            self._finish(RunState.FAILED, None)
            return self.state
        self.pid = self._proc.pid
        self._emit([])
        reader = asyncio.ensure_future(self._read(self._proc))
        status = await self._proc.wait()
        try:
            await asyncio.wait_for(asyncio.shield(reader), DRAIN_SECONDS)
        except TimeoutError:
            # A process the script started still holds the pipe: end the whole group.
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), self.grace)
            self._signal_group(signal.SIGKILL)
            reader.cancel()
        if self._cancelling:
            self._signal_group(signal.SIGKILL)  # stragglers that ignored INT and TERM
        state = RunState.CANCELLED if self._cancelling else (
            RunState.DONE if status == 0 else RunState.FAILED
        )  # fmt: skip
        self._finish(state, status)
        return state

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        pending = b""
        while True:
            chunk = await proc.stdout.read(65536)
            if not chunk:
                break
            pending += chunk
            head, sep, pending = pending.rpartition(b"\n")
            if sep:
                self._add(head)
        if pending:
            self._add(pending)

    def _finish(self, state: RunState, status: int | None) -> None:
        self._t1 = time.monotonic()
        self.state = state
        self.exit_status = status
        self._done.set()
        self._emit([])

    def _signal_group(self, sig: signal.Signals) -> bool:
        if self.pid is None:
            return False
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def _group_exists(self) -> bool:
        if self.pid is None:
            return False
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    async def cancel(self) -> None:
        """SIGINT to the group, then SIGTERM, then SIGKILL, `grace` seconds apart.

        Done only when the whole group is gone: the leader (npm, a shell) often exits on SIGINT
        while a child that ignores it lives on in the group."""
        if not self.running or self._proc is None:
            return
        self._cancelling = True
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if not self._signal_group(sig):
                break
            deadline = loop.time() + self.grace
            while loop.time() < deadline:
                if self._done.is_set() and not self._group_exists():
                    return
                await asyncio.sleep(0.05)
        await self._done.wait()

    def kill_now(self) -> None:
        """Synchronous last resort (the console is quitting): SIGKILL the group."""
        if self.running:
            self._cancelling = True
            self._signal_group(signal.SIGKILL)


@contextlib.contextmanager
def _children_get_sigint() -> Iterator[None]:
    """A console started with SIGINT ignored (a background job, `nohup`) passes that on to every
    child, and a shell cannot trap a signal ignored on entry: the polite first step of a cancel
    never reached a script (found when the tests ran as a background job). While a child is
    spawned, SIGINT has a do-nothing handler instead, which exec resets to the default in the
    child; the console itself still ignores it."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
    ):
        yield
        return
    signal.signal(signal.SIGINT, _ignore)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ignore(_signum: int, _frame: object) -> None:
    """A SIGINT that arrives while a child is spawned is ignored, as before."""


def make_run(
    name: str,
    argv: Sequence[str],
    cwd: str,
    url: str,
    admin_key: Secret | None,
    *,
    grace: float = GRACE_SECONDS,
    base_env: Mapping[str, str] | None = None,
) -> ProcessRun:
    return ProcessRun(
        name,
        tuple(argv),
        cwd,
        child_env(url, admin_key, base_env),
        secret=admin_key.reveal() if admin_key is not None else None,
        grace=grace,
    )


def fmt_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"
