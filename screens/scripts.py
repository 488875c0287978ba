"""The Scripts pane (key `6`): the workspace's package.json scripts, run with a key.

Output streams live (colours kept, other control sequences dropped), with elapsed time, exit
status and duration; ctrl+c cancels the whole process group. The deploy (`D` anywhere) and
`dev:backend` (`b`) show here too. The runs belong to the App (`screens.deploy.ProcessHost`),
so they go on while panes change, and end when the console quits.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widgets import DataTable, RichLog, Static

from screens.bindings import to_bindings
from screens.pane import PaneScreen, PaneTarget
from screens.widgets.cells import cell, tone_colors
from screens.widgets.tables import FittingTable
from tui.safety.guard import WriteKind
from tui.scripts.board import DEPLOY, DEV
from tui.scripts.history import HistoryEntry
from tui.scripts.keys import SCRIPTS_KEYS
from tui.scripts.runner import ProcessRun, fmt_seconds
from tui.scripts.view import demo_explainer, nothing_to_run, state_cell, status_line
from tui.scripts.workspace import Script, Workspace

if TYPE_CHECKING:
    from screens.deploy import ProcessHost

SCRIPT_ACTIONS = frozenset({spec.action for spec in SCRIPTS_KEYS})
COLUMNS = ("script", "state", "what it does")
HISTORY_COLUMNS = ("started", "script", "took", "status", "last line")


class ScriptsScreen(PaneScreen):
    CSS_PATH = "../styles/scripts.tcss"
    BINDINGS = to_bindings(SCRIPTS_KEYS)  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(name="scripts", id="pane-scripts")
        self._workspace: Workspace | None = None
        self._shown: str | None = None  # slot whose output the log shows
        self._tick: Timer | None = None
        self._unsubscribe: list[object] = []
        self._history: list[HistoryEntry] = []

    @property
    def procs(self) -> ProcessHost:
        return cast("ProcessHost", self.app)

    # ------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        table: FittingTable[Text] = FittingTable(id="scripts", cursor_type="row")
        table.border_title = "Scripts"
        yield table
        explainer = Static(id="explainer", classes="-hidden")
        explainer.border_title = "Scripts · what this pane does"
        yield explainer
        yield Static(id="command")
        log = RichLog(id="output", wrap=True, markup=False, highlight=False, max_lines=5000)
        log.border_title = "Output"
        yield log
        history: FittingTable[Text] = FittingTable(
            id="history", cursor_type="row", classes="-hidden"
        )
        history.border_title = "History"
        yield history

    def on_mount(self) -> None:
        table = self.query_one("#scripts", DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label)
        history = self.query_one("#history", DataTable)
        for label in HISTORY_COLUMNS:
            history.add_column(label, key=label)
        self.watch(self.app, "context", lambda _: self.reload(), init=False)
        self._subscribe()
        self.reload()
        table.focus()
        self._tick = self.set_interval(1.0, self._refresh_states)

    def on_unmount(self) -> None:
        for undo in self._unsubscribe:
            undo()  # type: ignore[operator]
        self._unsubscribe.clear()

    def _subscribe(self) -> None:
        for undo in self._unsubscribe:
            undo()  # type: ignore[operator]
        self._unsubscribe = [self.procs.board.on_change(self._board_changed)]

    # ------------------------------------------------------------ model

    def slot_of(self, script: Script) -> str:
        ws = self._workspace
        if ws is not None and script.name == ws.deploy.name:
            return DEPLOY
        if ws is not None and script.name == ws.dev.name:
            return DEV
        return script.name

    def reload(self) -> None:
        self._subscribe()
        self._workspace = ws = self.procs.workspace()
        table = self.query_one("#scripts", DataTable)
        if self._explain_demo(ws):
            return
        keep = table.cursor_row
        table.clear()
        colors = tone_colors(self.app.get_css_variables())
        for script in ws.scripts:
            run = self.procs.board.runs.get(self.slot_of(script))
            table.add_row(
                cell(script.name, colors),
                cell(state_cell(run), colors),
                cell(script.description or script.body, colors),
                key=script.name,
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        where = f"{ws.root} · {ws.package_manager}"
        if ws.lockfile:
            where += f" ({ws.lockfile})"
        elif ws.has_package_json:
            where += " (no lockfile)"
        else:
            where += " · no package.json"
        program = (ws.deploy.argv or ("npx",))[0]
        if shutil.which(program) is None:
            where += f" · {program} not found on PATH"
        table.border_subtitle = where
        if ws.problem:
            self.notify(ws.problem, severity="warning", markup=False)
        self._show_selected()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The demo's explainer: no script keys in the footer (nothing to run).
        if action in SCRIPT_ACTIONS and self.is_mounted:
            return not self.query_one("#scripts").has_class("-hidden")
        return True

    def _explain_demo(self, ws: Workspace) -> bool:
        """The demo without a workspace: say what the pane does instead of offering a deploy
        of a directory that is not a Convex app."""
        demo = nothing_to_run(ws.has_package_json, self.host.context.settings.in_process_sandbox)
        for widget in (self.query_one("#scripts"), self.query_one("#command"),
                       self.query_one("#output")):  # fmt: skip
            widget.set_class(demo, "-hidden")
        explainer = self.query_one("#explainer", Static)
        explainer.set_class(not demo, "-hidden")
        self.refresh_bindings()
        if demo:
            self._workspace = None
            explainer.update(Text(demo_explainer(str(ws.root))))
        return demo

    def selected(self) -> Script | None:
        table = self.query_one("#scripts", DataTable)
        if not table.row_count or self._workspace is None:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - cursor outside the rows after a clear
            return None
        return self._workspace.get(str(key.value))

    # ------------------------------------------------------------ showing output

    @on(DataTable.RowHighlighted, "#scripts")
    def _highlighted(self) -> None:
        self._show_selected()

    @on(DataTable.RowSelected, "#scripts")
    def _selected_row(self) -> None:
        self.action_run()  # enter on the table (DataTable binds enter itself)

    def _show_selected(self) -> None:
        script = self.selected()
        command = self.query_one("#command", Static)
        if script is None:
            command.update("")
            return
        command.update(Text(f"$ {script.command_line}", no_wrap=True, overflow="ellipsis"))
        self._show(self.slot_of(script), script.command_line)

    def _show(self, slot: str, command_line: str) -> None:
        self._shown = slot
        log = self.query_one("#output", RichLog)
        log.clear()
        run = self.procs.board.runs.get(slot)
        log.border_title = f"Output · {command_line}"
        if run is None:
            log.border_subtitle = "not run yet · enter runs it"
            return
        for line in run.lines:
            log.write(Text.from_ansi(line))
        self._subtitle(run)

    def _subtitle(self, run: ProcessRun) -> None:
        self.query_one("#output", RichLog).border_subtitle = status_line(run)

    def _board_changed(self, run: ProcessRun, new: list[str]) -> None:
        slot = next((s for s, r in self.procs.board.runs.items() if r is run), None)
        if slot is None or not self.is_mounted:
            return
        if slot == self._shown:
            log = self.query_one("#output", RichLog)
            for line in new:
                log.write(Text.from_ansi(line))
            self._subtitle(run)
        if not new:  # a state change: refresh the table's state cell
            self._refresh_states()

    def _refresh_states(self) -> None:
        if self._workspace is None:
            return
        table = self.query_one("#scripts", DataTable)
        colors = tone_colors(self.app.get_css_variables())
        for script in self._workspace.scripts:
            run = self.procs.board.runs.get(self.slot_of(script))
            if script.name in table.rows:
                table.update_cell(script.name, "state", cell(state_cell(run), colors),
                                  update_width=True)  # fmt: skip
        shown = self.procs.board.runs.get(self._shown or "")
        if shown is not None:
            self._subtitle(shown)

    def open_target(self, target: PaneTarget) -> None:
        if target.kind != "script" or self._workspace is None:
            return
        ws = self._workspace
        name = {DEPLOY: ws.deploy.name, DEV: ws.dev.name}.get(target.value, target.value)
        table = self.query_one("#scripts", DataTable)
        if name in table.rows:
            table.move_cursor(row=table.get_row_index(name), animate=False)
        self._show_selected()

    # ------------------------------------------------------------ actions

    def action_run(self) -> None:
        script = self.selected()
        if script is None:
            return
        slot = self.slot_of(script)
        if slot == DEPLOY:
            self.procs.action_deploy()
            return
        if slot == DEV:
            self.action_dev()
            return
        board = self.procs.board
        running = board.running(slot)
        if running is not None:
            self.notify(f"{script.name} is running ({fmt_seconds(running.elapsed)}); "
                        "ctrl+c cancels it.", markup=False)  # fmt: skip
            return
        what = f"run script {script.name}"
        if not self.procs.write_allowed(WriteKind.SCRIPT, what, script.command_line):
            return
        guard = self.host.context.guard
        if guard.needs_typed_confirmation:
            from screens.confirm import ConfirmScreen

            def confirmed(ok: bool | None) -> None:
                if ok and self.procs.write_allowed(WriteKind.SCRIPT, what, script.command_line):
                    self._start(script, slot)

            profile = self.host.context.settings.profile
            self.app.push_screen(
                ConfirmScreen(f"Run {script.name} against {profile}?",
                              f"Runs: {script.command_line}", typed=profile, danger=True),
                confirmed,
            )  # fmt: skip
            return
        self._start(script, slot)

    def _start(self, script: Script, slot: str) -> None:
        self.procs.board.start(slot, self.procs.new_run(script))
        self._show(slot, script.command_line)
        self._refresh_states()

    def action_cancel(self) -> None:
        script = self.selected()
        slot = self.slot_of(script) if script is not None else self._shown
        if slot is None or self.procs.board.running(slot) is None:
            slot = self._shown
        run = self.procs.board.running(slot or "")
        if run is None:
            self.notify("Nothing running here to cancel.", markup=False)
            return
        self.notify(f"Cancelling {run.name}: SIGINT, then TERM, then KILL", markup=False)
        self.run_worker(self.procs.board.cancel(slot or ""), group="cancel",
                        description=f"cancel {run.name}", exit_on_error=False)  # fmt: skip

    def action_dev(self) -> None:
        self.procs.toggle_dev()
        self.open_target(PaneTarget("script", DEV))  # select its row: its command and output
        self._refresh_states()

    def action_dev_restart(self) -> None:
        self.run_worker(self.procs.restart_dev(), group="dev", description="restart dev:backend",
                        exit_on_error=False)  # fmt: skip

    def action_copy_command(self) -> None:
        script = self.selected()
        if script is not None:
            self.app.copy_to_clipboard(script.command_line)
            self.notify(f"Copied: {script.command_line}", timeout=3, markup=False)

    def action_history(self) -> None:
        if self._workspace is None:  # the demo's explainer stays in place
            return
        history = self.query_one("#history", DataTable)
        log = self.query_one("#output", RichLog)
        if not history.has_class("-hidden"):
            history.add_class("-hidden")
            log.remove_class("-hidden")
            return
        history.clear()
        colors = tone_colors(self.app.get_css_variables())
        self._history = list(reversed(self.procs.board.history()))
        for entry in self._history:
            started = datetime.fromtimestamp(entry.started_at).strftime("%m-%d %H:%M:%S")
            tone = (
                "ok"
                if entry.exit_status == 0
                else ("muted" if entry.state == "cancelled" else "bad")
            )
            status = entry.state if entry.exit_status is None else f"exit {entry.exit_status}"
            last = entry.last_lines[-1] if entry.last_lines else ""
            history.add_row(
                cell(started, colors), cell(entry.script, colors),
                cell(fmt_seconds(entry.duration), colors), cell((status, tone), colors),  # type: ignore[arg-type]
                cell(Text.from_ansi(last).plain, colors),
            )  # fmt: skip
        history.border_subtitle = f"{history.row_count} runs · enter: its last lines · h: output"
        history.remove_class("-hidden")
        log.add_class("-hidden")
        history.focus()

    @on(DataTable.RowSelected, "#history")
    def _history_selected(self, event: DataTable.RowSelected) -> None:
        """A past run: its last lines and facts in the output area."""
        row = event.cursor_row
        if not 0 <= row < len(self._history):
            return
        entry = self._history[row]
        self.action_history()  # back to the output area
        self._shown = None  # not a live slot: the board's updates leave it alone
        log = self.query_one("#output", RichLog)
        log.clear()
        log.border_title = f"History · {entry.command}"
        for line in entry.last_lines:
            log.write(Text.from_ansi(line))
        started = datetime.fromtimestamp(entry.started_at).strftime("%Y-%m-%d %H:%M:%S")
        status = entry.state if entry.exit_status is None else f"exit {entry.exit_status}"
        log.border_subtitle = (
            f"{entry.script} · {started} · {status} · {fmt_seconds(entry.duration)}"
        )
