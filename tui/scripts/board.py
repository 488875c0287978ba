"""Every process the console runs for one workspace: scripts, the one deploy, `dev:backend`.

Lives with the App (not a pane) so a deploy started from any pane keeps running while panes
change, and so quitting the console ends every child. Plain asyncio: runs on the App's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from tui.scripts import history
from tui.scripts.runner import ProcessRun

DEPLOY = "deploy"
DEV = "dev"

Changed = Callable[[ProcessRun, list[str]], None]


class RunBoard:
    def __init__(self, workspace: Path, *, history_dir: Path | None = None) -> None:
        self.workspace = workspace
        self.history_dir = history_dir
        self.runs: dict[str, ProcessRun] = {}  # slot (script name, "deploy", "dev") → newest run
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._listeners: list[Changed] = []
        self.finished: list[Callable[[str, ProcessRun], None]] = []

    def on_change(self, listener: Changed) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, run: ProcessRun, new: list[str]) -> None:
        for listener in list(self._listeners):
            listener(run, new)

    def running(self, slot: str) -> ProcessRun | None:
        run = self.runs.get(slot)
        return run if run is not None and run.running else None

    @property
    def any_running(self) -> list[ProcessRun]:
        return [r for r in self.runs.values() if r.running]

    def start(self, slot: str, run: ProcessRun) -> ProcessRun:
        """Start ``run`` in ``slot``; one run per slot at a time (the caller checks first)."""
        if self.running(slot) is not None:
            raise RuntimeError(f"{slot} is already running")
        self.runs[slot] = run
        run.on_output(self._emit)
        self._tasks[slot] = asyncio.ensure_future(self._drive(slot, run))
        self._emit(run, [])
        return run

    async def _drive(self, slot: str, run: ProcessRun) -> None:
        try:
            await run.run()
        finally:
            with contextlib.suppress(OSError):
                entry = history.entry_of(run)
                await asyncio.to_thread(history.append, self.workspace, entry, self.history_dir)
            for callback in list(self.finished):
                callback(slot, run)

    async def cancel(self, slot: str) -> None:
        run = self.running(slot)
        if run is not None:
            await run.cancel()

    def history(self) -> list[history.HistoryEntry]:
        return history.load(self.workspace, self.history_dir)

    async def shutdown(self, grace: float = 1.0) -> None:
        """The console is quitting: nothing it started may outlive it."""
        running = self.any_running
        for run in running:
            run.grace = min(run.grace, grace)
        if running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(r.cancel() for r in running)), grace * 3 + 1
                )
        self.kill_now()
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    def kill_now(self) -> None:
        for run in self.any_running:
            run.kill_now()


_ALL_BOARDS: list[RunBoard] = []
_installed = False


def _kill_everything() -> None:
    for board in list(_ALL_BOARDS):
        board.kill_now()


def guard_exit(board: RunBoard) -> None:
    """Children live in their own sessions, so a closed terminal (SIGHUP) or a SIGTERM to the
    console would not reach them: end them first, then let the signal do what it did before."""
    global _installed
    _ALL_BOARDS.append(board)
    if _installed:
        return
    _installed = True
    import atexit
    import os
    import signal

    atexit.register(_kill_everything)
    for sig in (signal.SIGHUP, signal.SIGTERM):
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: object, previous: object = previous) -> None:
            _kill_everything()
            if callable(previous):
                previous(signum, frame)
                return
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

        try:
            signal.signal(sig, handler)
        except ValueError:  # not the main thread: atexit still covers a normal exit
            pass
