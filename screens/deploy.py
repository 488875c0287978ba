"""The App's process side: `D` deploys from any pane, `dev:backend` in the background, and the
board of every child the console runs (ended when the console quits).

A mixin of `ConsoleApp` (kept out of screens/app.py so that file stays small). Deploys and
scripts go through the write guard (WriteKind.DEPLOY / SCRIPT) before anything starts.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.timer import Timer

from screens.pane import PaneTarget
from tui.safety.guard import WriteKind, WriteRefused, WriteRequest

# tui.scripts (runner, board, deploy parsing, workspace) is imported on the first deploy, script
# or Scripts pane, not at start: nothing on the first frame needs it (issue 19).
DEPLOY, DEV = "deploy", "dev"  # the board's slots (tui.scripts.board.DEPLOY / DEV)

if TYPE_CHECKING:
    from screens.pane import ConsoleContext
    from tui.scripts.board import RunBoard
    from tui.scripts.deploy import DeploySummary
    from tui.scripts.runner import ProcessRun
    from tui.scripts.workspace import Script, Workspace

READY_MARK = "Convex functions ready"  # `npx convex dev` prints it after each push
_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def _plain(line: str) -> str:
    return _SGR.sub("", line)


class ProcessHost(App[int]):
    """Base of `ConsoleApp`: owns the run boards (one per workspace directory)."""

    if TYPE_CHECKING:
        context: ConsoleContext
        convex: Any

        def deployed(self) -> None: ...
        def update_header(self, **changes: Any) -> None: ...
        def open_in(self, pane: str, target: PaneTarget) -> None: ...

    _boards: dict[Path, RunBoard]
    _tick: Timer | None = None
    _functions_before: list[str] | None = None
    last_deploy: DeploySummary | None = None

    # ------------------------------------------------------------ board

    @property
    def board(self) -> RunBoard:
        boards: dict[Path, RunBoard] = self.__dict__.setdefault("_boards", {})
        root = Path(self.context.settings.project_dir)
        if root not in boards:
            from tui.scripts.board import RunBoard, guard_exit

            board = RunBoard(root)
            guard_exit(board)  # a closed terminal or SIGTERM ends the children too
            board.finished.append(self._run_finished)
            board.on_change(self._run_changed)
            boards[root] = board
        return boards[root]

    def workspace(self) -> Workspace:
        from tui.scripts.workspace import read_workspace

        return read_workspace(Path(self.context.settings.project_dir))

    def new_run(self, script: Script, name: str | None = None) -> ProcessRun:
        from tui.scripts.runner import make_run

        settings = self.context.settings
        return make_run(
            name or script.name,
            script.argv,
            str(settings.project_dir),
            settings.url,
            settings.admin_key,
        )

    def write_allowed(self, kind: WriteKind, what: str, command: str) -> bool:
        """Ask the one guard; a refusal is recorded by it and told to the user."""
        try:
            self.context.guard.check(WriteRequest(kind, what, command))
        except WriteRefused as exc:
            self.notify(f"{what}: refused — {exc.reason}", title="read-only",
                        severity="warning", markup=False)  # fmt: skip
            return False
        return True

    async def on_unmount(self) -> None:
        # Nothing the console started may outlive it (the ConsoleApp's own handler runs too).
        for board in self.__dict__.get("_boards", {}).values():
            await board.shutdown()

    # ------------------------------------------------------------ deploy (D)

    def action_deploy(self) -> None:
        from tui.scripts.runner import fmt_seconds

        running = self.board.running(DEPLOY)
        if running is not None:
            self.notify(f"A deploy is running ({fmt_seconds(running.elapsed)}): showing it.",
                        markup=False)  # fmt: skip
            self.open_in("scripts", PaneTarget("script", DEPLOY))
            return
        if self._nothing_to_run("deploy"):
            return
        script = self.workspace().deploy
        settings = self.context.settings
        what = f"deploy functions to {settings.profile}"
        if not self.write_allowed(WriteKind.DEPLOY, what, script.command_line):
            return
        guard = self.context.guard

        def confirmed(ok: bool | None) -> None:
            if ok and self.write_allowed(WriteKind.DEPLOY, what, script.command_line):
                self.start_deploy(script)

        from screens.confirm import ConfirmScreen

        self.push_screen(
            ConfirmScreen(
                f"Deploy the functions to {settings.profile}?",
                f"Runs: {script.command_line}\nin {settings.project_dir}\n"
                f"target {settings.url} (admin key {settings.key_fingerprint} passed in "
                "CONVEX_SELF_HOSTED_ADMIN_KEY)",
                typed=settings.profile if guard.needs_typed_confirmation else None,
                danger=settings.protected,
            ),
            confirmed,
        )

    def _nothing_to_run(self, what: str) -> bool:
        from tui.scripts.view import nothing_to_run

        ws = self.workspace()
        if not nothing_to_run(ws.has_package_json, self.context.settings.in_process_sandbox):
            return False
        self.notify(f"No {what} in the demo: it runs the built-in demo app and {ws.root} has no "
                    "package.json. `convex-tui demo --project DIR` pushes DIR's functions to the "
                    "sandbox; then D and b work on them.", severity="warning", markup=False)  # fmt: skip
        return True

    def start_deploy(self, script: Script) -> ProcessRun:
        run = self.board.start(DEPLOY, self.new_run(script, DEPLOY))
        self.update_header(deploy="deploying 0s")
        self.notify(f"Deploying: {script.command_line} (output in Scripts, key 6)", markup=False)
        self._functions_before = None
        self.run_worker(self._snapshot_functions(), group="deploy-functions",
                        description="functions before deploy", exit_on_error=False)  # fmt: skip
        self._start_tick()
        return run

    async def _function_names(self) -> list[str] | None:
        client = self.convex
        if client is None:
            return None
        try:
            return [f.identifier for f in await client.list_functions()]
        except Exception:  # noqa: BLE001 - the summary is best effort; the deploy goes on
            return None

    async def _snapshot_functions(self) -> None:
        self._functions_before = await self._function_names()

    async def _summarize(self, run: ProcessRun) -> None:
        from tui.scripts.deploy import DeploySummary, parse_output, with_functions
        from tui.scripts.runner import RunState, fmt_seconds

        summary = parse_output(run.lines, run.state is RunState.DONE)
        if run.error:
            summary = DeploySummary(False, error=run.error)
        elif run.state is RunState.CANCELLED:
            summary = DeploySummary(False, error="cancelled")
        after = await self._function_names() if summary.ok else None
        summary = with_functions(summary, self._functions_before, after)
        self.last_deploy = summary
        took = fmt_seconds(run.elapsed)
        self.update_header(deploy=summary.text())  # the duration: notification, Scripts pane
        if summary.ok:
            self.notify(f"{summary.details()}\n({took})", title="deploy", markup=False)
            self.deployed()
        else:
            status = "" if run.exit_status is None else f" (exit {run.exit_status})"
            self.notify(f"{summary.text()}{status}", title="deploy", severity="error",
                        markup=False)  # fmt: skip

    # ------------------------------------------------------------ dev:backend

    def action_dev_backend(self) -> None:
        self.toggle_dev()

    def toggle_dev(self) -> None:
        if self.board.running(DEV) is not None:
            self.run_worker(self.board.cancel(DEV), group="dev", description="stop dev:backend",
                            exit_on_error=False)  # fmt: skip
            self.update_header(dev="dev stopping")
            return
        self.start_dev()

    def start_dev(self) -> ProcessRun | None:
        if self._nothing_to_run("dev:backend"):
            return None
        script = self.workspace().dev
        if not self.write_allowed(WriteKind.SCRIPT, "run dev:backend", script.command_line):
            return None
        run = self.board.start(DEV, self.new_run(script, DEV))
        self.update_header(dev="dev running")
        return run

    async def restart_dev(self) -> None:
        await self.board.cancel(DEV)
        self.start_dev()

    # ------------------------------------------------------------ board events

    def _run_changed(self, run: ProcessRun, new: list[str]) -> None:
        if run.name != DEV or not run.running:
            return
        if any(READY_MARK in line for line in new):
            self.update_header(dev=f"dev ready {time.strftime('%H:%M:%S')}")
            self.deployed()  # dev pushed: Functions/Data refresh
        elif any(_plain(line).lstrip().startswith(("✖", "Error")) for line in new):
            self.update_header(dev="dev error (Scripts: 6)")

    def _run_finished(self, slot: str, run: ProcessRun) -> None:
        if slot == DEPLOY:
            self.run_worker(self._summarize(run), group="deploy-summary",
                            description="deploy summary", exit_on_error=False)  # fmt: skip
        elif slot == DEV:
            from tui.scripts.runner import RunState

            state = "dev stopped" if run.state is RunState.CANCELLED else (
                f"dev exited {run.exit_status}" if run.exit_status is not None else "dev failed"
            )  # fmt: skip
            self.update_header(dev=state)

    def _start_tick(self) -> None:
        if self._tick is None:
            self._tick = self.set_interval(1.0, self._on_tick)

    def _on_tick(self) -> None:
        from tui.scripts.runner import fmt_seconds

        run = self.board.running(DEPLOY)
        if run is not None:
            self.update_header(deploy=f"deploying {fmt_seconds(run.elapsed)}")
        elif self._tick is not None:
            self._tick.stop()
            self._tick = None
