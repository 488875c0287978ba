"""The Env pane (key `5`): the deployment's environment variables, masked until revealed,
add/edit/remove through the write guard (confirmed first), the env files beside them and the
checks (the doctor's relationships, auth readiness).

The backend validates names and values; its messages (invalid name, too large, forbidden
built-in) are shown as they come.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from screens.bindings import to_bindings
from screens.confirm import ConfirmScreen
from screens.pane import PaneScreen
from screens.widgets.cells import cell, tone_colors
from screens.widgets.tables import FittingTable
from tui.config.model import ADMIN_KEY_VARS
from tui.doctor.checks import Check
from tui.env.keys import ENV_KEYS
from tui.env.local import apply_plan, local_variables
from tui.env.model import EnvChange, as_request, plan_text
from tui.env.view import check_cells, checks, deployment_rows, local_rows
from tui.safety.guard import WriteKind
from tui.safety.text import clean

if TYPE_CHECKING:
    from screens.deploy import ProcessHost


@dataclass
class EnvLoaded(Message):
    deployed: dict[str, str] | None
    schema: dict[str, Any] | None
    error: str | None


@dataclass
class EnvWritten(Message):
    changes: list[EnvChange]
    error: str | None
    code: str | None = None


COMPACT_BELOW = 34  # terminal rows


class EnvScreen(PaneScreen):
    CSS_PATH = "../styles/env.tcss"
    BINDINGS = to_bindings(ENV_KEYS)  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(name="env", id="pane-env")
        self.deployed: dict[str, str] | None = None
        self.schema: dict[str, Any] | None = None
        self.revealed: set[str] = set()
        self.error: str | None = None
        self.checks: list[Check] = []
        self.lower = "local"  # the lower table shown on a short terminal

    # ------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        vars_: FittingTable[Text] = FittingTable(id="vars", cursor_type="row")
        vars_.border_title = "Deployment variables"
        yield vars_
        yield Static(id="env-message", classes="-hidden")
        local: FittingTable[Text] = FittingTable(id="local", cursor_type="row")
        local.border_title = "Env files (l: checks)"
        yield local
        checks_: FittingTable[Text] = FittingTable(id="checks", cursor_type="row", classes="-off")
        checks_.border_title = "Checks: relationships · auth readiness (l: env files)"
        yield checks_
        yield Static(id="check-detail")

    def on_mount(self) -> None:
        for table_id, columns in (
            ("#vars", ("name", "value", "in the env files")),
            ("#local", ("name", "file:line", "value", "on the deployment")),
            ("#checks", ("status", "check", "detail")),
        ):
            table = self.query_one(table_id, DataTable)
            for label in columns:
                table.add_column(label, key=label)
        self.watch(self.app, "context", lambda _: self.retarget(), init=False)
        self.watch(self.app, "convex_generation", lambda _: self.load(), init=True)
        self.watch(self.app, "deploy_generation", lambda _: self.load(), init=False)
        self.watch(self.app, "theme", lambda _: self._redraw(), init=False)
        self.query_one("#vars", DataTable).focus()

    def on_resize(self) -> None:
        # Short terminals show one of the lower tables at a time (l switches).
        self.set_class(self.size.height < COMPACT_BELOW, "-compact")

    def action_lower(self) -> None:
        self.lower = "checks" if self.lower == "local" else "local"
        self.query_one("#local").set_class(self.lower != "local", "-off")
        self.query_one("#checks").set_class(self.lower != "checks", "-off")
        self.query_one(f"#{self.lower}", DataTable).focus()

    def retarget(self) -> None:
        self.deployed, self.schema, self.error = None, None, None
        self.revealed.clear()
        self._redraw()

    # ------------------------------------------------------------ loading

    def load(self) -> None:
        self._redraw()
        if self.host.convex is not None:
            self._load()

    @work(group="env-load", exclusive=True, exit_on_error=False, description="load env vars")
    async def _load(self) -> None:
        client = self.host.convex
        if client is None:
            return
        from tui.convex.errors import ConvexClientError

        try:
            deployed = await client.list_env()
        except ConvexClientError as exc:
            self.post_message(EnvLoaded(None, None, exc.message))
            return
        try:
            schema = await client.schema()
        except ConvexClientError:
            schema = None  # auth readiness then says "no schema"
        self.post_message(EnvLoaded(deployed, schema, None))

    @on(EnvLoaded)
    def _loaded(self, message: EnvLoaded) -> None:
        self.deployed, self.schema, self.error = message.deployed, message.schema, message.error
        self._redraw()

    def action_refresh(self) -> None:
        self.load()

    # ------------------------------------------------------------ rendering

    def _message(self, text: str | None, tone: str = "") -> None:
        widget = self.query_one("#env-message", Static)
        widget.set_class(not text, "-hidden")
        widget.set_class(tone == "error", "-error")
        widget.update(Text(clean(text or "")))

    def _redraw(self) -> None:
        settings = self.host.context.settings
        colors = tone_colors(self.app.get_css_variables())
        deployed = self.deployed or {}
        table = self.query_one("#vars", DataTable)
        keep = table.cursor_row
        table.clear()
        for row in deployment_rows(settings, deployed, self.revealed):
            table.add_row(cell(row.name, colors), cell(row.value, colors),
                          cell(row.files, colors), key=row.key)  # fmt: skip
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        if self.error:
            self._message(f"Cannot list the deployment's variables: {self.error} (F5 retries)",
                          "error")  # fmt: skip
            table.border_subtitle = ""
        elif self.deployed is None:
            waiting = "connecting…" if self.host.convex is None else "loading…"
            table.border_subtitle = waiting
        else:
            table.border_subtitle = f"{len(deployed)} · values hidden (v reveals)"
            if not deployed:
                self._message("No environment variables set on the deployment (a adds one).")
        local = self.query_one("#local", DataTable)
        keep = local.cursor_row
        local.clear()
        for lrow in local_rows(settings, self.deployed, self.revealed):
            local.add_row(cell(lrow.name, colors), cell(lrow.where, colors),
                          cell(lrow.value, colors), cell(lrow.deployment, colors), key=lrow.key)  # fmt: skip
        if local.row_count:
            local.move_cursor(row=min(keep, local.row_count - 1), animate=False)
        found = [ef.path.name for ef in settings.env_files if ef.exists]
        local.border_subtitle = " · ".join(found) if found else f"none in {settings.project_dir}"
        table_checks = self.query_one("#checks", DataTable)
        keep = table_checks.cursor_row
        table_checks.clear()
        self.checks = checks(settings, self.deployed, self.schema)
        for n, check in enumerate(self.checks):
            status, title, detail = check_cells(check)
            table_checks.add_row(cell(status, colors), cell(title, colors), cell(detail, colors),
                                 key=str(n))  # fmt: skip
        if table_checks.row_count:
            table_checks.move_cursor(row=min(keep, table_checks.row_count - 1), animate=False)
        self._show_check()
        plan = apply_plan(settings, deployed) if self.deployed is not None else []
        table_checks.border_subtitle = f"A applies {len(plan)} from the env files" if plan else ""
        warns = sum(c.status != "ok" for c in self.checks)
        local.border_subtitle += f" · checks: {warns} to look at" if warns else " · checks ok"

    # ------------------------------------------------------------ selection

    @on(DataTable.RowHighlighted, "#checks")
    def _show_check(self) -> None:
        """The highlighted check in full (the table cuts long messages): message and fix."""
        table = self.query_one("#checks", DataTable)
        widget = self.query_one("#check-detail", Static)
        row = table.cursor_row
        if not self.checks or not 0 <= row < len(self.checks):
            widget.update("")
            return
        check = self.checks[row]
        text = f"{check.title}: {check.message}"
        if check.fix and check.status != "ok":
            text += f"\nfix: {check.fix}"
        widget.update(Text(clean(text)))

    def _selected(self, table_id: str) -> str | None:
        table = self.query_one(table_id, DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - cursor outside the rows after a clear
            return None
        return str(key.value)

    def action_reveal(self) -> None:
        focused = self.focused
        table_id = "#local" if focused is not None and focused.id == "local" else "#vars"
        key = self._selected(table_id)
        if key is None:
            return
        self.revealed ^= {key}
        self._redraw()

    # ------------------------------------------------------------ writes

    def _may_write(self, what: str, command: str = "") -> bool:
        """The one guard, asked the App's way (a refusal is recorded and told)."""
        host = cast("ProcessHost", self.app)
        return host.write_allowed(WriteKind.ENV_CHANGE, what, command)

    def action_add(self) -> None:
        if self._may_write("add env variable"):
            self._edit_dialog("", "")

    def action_edit(self) -> None:
        focused = self.focused
        if focused is not None and focused.id == "local":
            self._edit_from_file()
            return
        name = self._selected("#vars")
        if name is None or self.deployed is None:
            self.action_add()
            return
        if self._may_write(f"edit env {name}"):
            self._edit_dialog(name, self.deployed.get(name, ""))

    @on(DataTable.RowSelected, "#vars")
    @on(DataTable.RowSelected, "#local")
    def _row_selected(self) -> None:
        self.action_edit()

    def _edit_from_file(self) -> None:
        """An env-file row: offer its value for the deployment (edited before it is sent)."""
        key = self._selected("#local")
        if key is None or self.deployed is None:
            return
        name = key.removeprefix("local:")
        if name in ADMIN_KEY_VARS:
            self.notify("The admin key is not a deployment variable.", markup=False)
            return
        found = next((v for v in local_variables(self.host.context.settings) if v.name == name),
                     None)  # fmt: skip
        if found is not None and self._may_write(f"set env {name} from {found.where}"):
            self._edit_dialog(name, found.value, editing=name in self.deployed)

    def _edit_dialog(
        self, name: str, value: str, error: str = "", *, editing: bool | None = None
    ) -> None:
        from screens.env_edit import EnvEditScreen

        def done(result: tuple[str, str] | None) -> None:
            if result is not None:
                self._confirm([EnvChange(result[0], result[1])],
                              f"Set {result[0]} on the deployment?")  # fmt: skip

        editing = bool(name) if editing is None else editing
        self.app.push_screen(EnvEditScreen(name, value, error=error, editing=editing), done)

    def action_remove(self) -> None:
        name = self._selected("#vars")
        if name is None:
            return
        if self._may_write(f"remove env {name}"):
            self._confirm([EnvChange(name, None)], f"Remove {name} from the deployment?")

    def action_apply_local(self) -> None:
        if self.deployed is None:
            return
        plan = apply_plan(self.host.context.settings, self.deployed)
        if not plan:
            self.notify("The env files and the deployment agree on every variable the "
                        "functions read.", markup=False)  # fmt: skip
            return
        if self._may_write("apply env files to the deployment"):
            names = ", ".join(c.name for c in plan)
            self._confirm(plan, f"Apply {len(plan)} variable(s) from the env files: {names}?")

    def _confirm(self, changes: list[EnvChange], question: str) -> None:
        settings = self.host.context.settings
        guard = self.host.context.guard

        def confirmed(ok: bool | None) -> None:
            if ok and self._may_write(question, plan_text(changes)):
                self._send(changes)

        self.app.push_screen(
            ConfirmScreen(
                question,
                f"Same as:\n{plan_text(changes)}\non {settings.profile} ({settings.url})",
                typed=settings.profile if guard.needs_typed_confirmation else None,
                danger=any(c.removes for c in changes) or settings.protected,
            ),
            confirmed,
        )

    @work(group="env-write", exit_on_error=False, description="change env vars")
    async def _send(self, changes: list[EnvChange]) -> None:
        client = self.host.convex
        if client is None:
            self.post_message(EnvWritten(changes, "not connected to the deployment yet"))
            return
        from tui.convex.errors import ConvexClientError
        from tui.safety.guard import WriteRefused

        try:
            await client.set_env(as_request(changes))
        except WriteRefused as exc:
            self.post_message(EnvWritten(changes, exc.reason, "refused"))
            return
        except ConvexClientError as exc:
            self.post_message(EnvWritten(changes, exc.message, getattr(exc, "code", None)))
            return
        self.post_message(EnvWritten(changes, None))

    @on(EnvWritten)
    def _written(self, message: EnvWritten) -> None:
        what = ", ".join(c.describe() for c in message.changes)
        if message.error is None:
            self.notify(f"Done: {what}", markup=False)
            for change in message.changes:
                self.revealed.discard(change.name)
            self._message(None)
            self.load()
            return
        title = message.code or "rejected"
        self.notify(clean(message.error), title=title, severity="error", markup=False)
        self._message(f"{what}: {message.error}", "error")
        if len(message.changes) == 1 and not message.changes[0].removes:
            change = message.changes[0]  # let the user correct it, with the backend's message
            editing = change.name in (self.deployed or {})
            self._edit_dialog(change.name, change.value or "", clean(message.error),
                              editing=editing)  # fmt: skip
