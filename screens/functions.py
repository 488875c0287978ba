"""Functions pane (key `3`): find, call and watch queries, mutations and actions.

Left: the deployment's functions as a tree by module (apiSpec). Right: the arguments editor
(JSON5, prefilled from the validator), the outcome line, the result as a JSON tree and the
function's log lines; pinned watches below. Arguments are parsed and checked with the shared
validator before anything is sent; mutations and actions pass the write guard (the client
checks; a protected target also asks for its name). Calls, watches and the list load run in
workers (group "functions-*"), so a long action never blocks the console and can be cancelled.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static, TextArea, Tree

from screens.bindings import to_bindings
from screens.external_editor import edit_externally
from screens.pane import PaneScreen, PaneTarget
from screens.widgets.function_tree import FunctionTree
from screens.widgets.json_tree import JsonTree
from screens.widgets.watch_panel import MAX_WATCHES, WatchPanel, WatchShelf
from tui.convex.errors import ConvexClientError
from tui.convex.models import FunctionSpec
from tui.functions import args as fn_args
from tui.functions.catalog import TYPE_WORD, find, letter
from tui.functions.keys import FUNCTIONS_KEYS
from tui.functions.runner import CallReport, report_view, run_report, write_kind
from tui.functions.store import History, HistoryEntry, IdentityStore, describe_identity
from tui.safety.text import clean, clean_line

FILTER_IDLE = "/ filter (esc clears)"
FILTER_TYPING = "type words · enter opens · esc clears"
MAX_LOG_LINES = 50


class FunctionsScreen(PaneScreen):
    CSS_PATH = "../styles/functions.tcss"
    AUTO_FOCUS = "#fn-tree"  # not the filter box above it: keys must reach the list first
    BINDINGS = [
        *to_bindings(FUNCTIONS_KEYS),
        Binding("escape", "escape", "Back", show=False, id="functions.escape"),
    ]

    def __init__(self) -> None:
        super().__init__(name="functions", id="pane-functions")
        self.specs: list[FunctionSpec] = []
        self.current: FunctionSpec | None = None
        self.identity: dict[str, Any] | None = None
        self.last_report: CallReport | None = None
        self.running = False
        self.list_error: str | None = None
        self._args_by_path: dict[str, str] = {}
        self._pending_target: str | None = None
        self._filter = ""
        self._history: History | None = None
        self._identities: IdentityStore | None = None
        self._text_lines: dict[str, int] = {}  # id of a height-auto Static -> lines shown

    # ------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="fn-body"):
            with Vertical(id="fn-side"):
                yield Input(placeholder=FILTER_IDLE, id="fn-filter")
                tree = FunctionTree(id="fn-tree")
                tree.border_title = "Functions"
                yield tree
            with Vertical(id="fn-main"):
                yield Static(Text("Select a function and press enter."), id="fn-title")
                yield self._editor()
                yield Static("", id="fn-problem", classes="-hidden")
                yield Static(
                    Text("ctrl+r runs · ctrl+g cancels · w watches a query"), id="fn-status"
                )
                result = JsonTree("result", id="fn-result")
                result.border_title = "Result"
                yield result
                yield Static("", id="fn-logs")
                yield WatchShelf(id="fn-watches", classes="-hidden")

    def _editor(self) -> TextArea:
        try:
            editor = TextArea.code_editor("", language="json", id="fn-args", soft_wrap=True)
        except Exception:  # noqa: BLE001 - no tree-sitter: a plain editor still works
            editor = TextArea("", id="fn-args", soft_wrap=True)
        editor.show_line_numbers = False
        editor.border_title = "Arguments (JSON5)"
        return editor

    def on_mount(self) -> None:
        self.watch(self.app, "context", lambda _: self.retarget(), init=False)
        self.watch(self.app, "convex_generation", lambda _: self._client_ready(), init=True)
        self.watch(self.app, "deploy_generation", lambda _: self.action_refresh(), init=False)
        self.query_one(FunctionTree).focus()

    def _client_ready(self) -> None:
        client = self.host.convex
        if client is None:
            self._set_status(Text("Waiting for the Convex client to connect…"))
            return
        self._history = History(client.url)
        self._identities = IdentityStore(client.url)
        self.identity = self._identities.load()
        self._update_title()
        self.action_refresh()

    def retarget(self) -> None:
        self.workers.cancel_node(self)
        self.query_one(WatchShelf).clear()
        self.specs, self.current, self.last_report = [], None, None
        self._rebuild_tree()
        self._client_ready()

    # ------------------------------------------------------------ the list

    def action_refresh(self) -> None:
        if self.host.convex is not None:
            self._load_functions()

    @work(group="functions-list", exclusive=True, exit_on_error=False, description="load functions")
    async def _load_functions(self) -> None:
        client = self.host.convex
        if client is None:
            return
        tree = self.query_one(FunctionTree)
        tree.border_subtitle = "loading…"
        try:
            specs = await client.list_functions()
        except ConvexClientError as exc:
            self.list_error = exc.message
            tree.border_subtitle = "error"
            self._set_status(
                Text(f"Cannot list functions (f5 retries): {clean_line(exc.message, 300)}"),
                "-error",
            )
            return
        self.list_error = None
        self.specs = specs
        self._rebuild_tree()
        if self._pending_target:
            target, self._pending_target = self._pending_target, None
            self._open_path(target)

    def _rebuild_tree(self) -> None:
        self.query_one(FunctionTree).show(self.specs, self._filter)

    def _highlighted(self) -> FunctionSpec | None:
        return self.query_one(FunctionTree).highlighted

    def action_filter(self) -> None:
        # set_focus is immediate: keys typed right after "/" land in the box, not on the list.
        self.set_focus(self.query_one("#fn-filter", Input))

    @on(Input.Changed, "#fn-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter = event.value.strip()
        self._rebuild_tree()

    @on(events.DescendantFocus)
    @on(events.DescendantBlur)
    def _filter_hint(self) -> None:
        box = self.query_one("#fn-filter", Input)
        box.placeholder = FILTER_TYPING if self.focused is box else FILTER_IDLE

    @on(Input.Submitted, "#fn-filter")
    def _filter_submitted(self) -> None:
        """Enter opens the highlighted match (the first one after typing), like fzf."""
        tree = self.query_one(FunctionTree)
        spec = self._highlighted()
        if spec is None:
            first = tree.first_function()
            spec = first.data if first is not None else None
        if spec is None:
            self.set_focus(tree)
            return
        self.open_function(spec)
        self.set_focus(self.query_one("#fn-args", TextArea))

    def action_escape(self) -> None:
        box = self.query_one("#fn-filter", Input)
        if self.focused is box or (self.focused is self.query_one(FunctionTree) and self._filter):
            box.value = ""
            self.query_one(FunctionTree).focus()
        else:
            self.query_one(FunctionTree).focus()

    @on(Tree.NodeSelected, "#fn-tree")
    def _selected(self, event: Tree.NodeSelected[FunctionSpec | None]) -> None:
        if event.node.data is not None:
            self.open_function(event.node.data)
            self.query_one("#fn-args", TextArea).focus()

    # ------------------------------------------------------------ the editor

    def open_function(self, spec: FunctionSpec) -> None:
        if self.current is not None:
            self._args_by_path[self.current.path] = self.query_one("#fn-args", TextArea).text
        self.current = spec
        text = self._args_by_path.get(spec.path) or fn_args.template(spec.args)
        self.query_one("#fn-args", TextArea).load_text(text)
        self._show_problem(None)
        self._update_title()

    def open_target(self, target: PaneTarget) -> None:
        if target.kind == "function":
            if self.specs:
                self._open_path(target.value)
            else:
                self._pending_target = target.value

    def _open_path(self, path: str) -> None:
        spec = find(self.specs, path)
        if spec is None:
            self.notify(
                f"No function {clean_line(path, 80)} on this deployment.",
                severity="warning",
                markup=False,
            )
            return
        self.open_function(spec)
        self.query_one(FunctionTree).select_spec(spec)
        self.query_one("#fn-args", TextArea).focus()

    def _update_title(self) -> None:
        spec = self.current
        text = Text()
        if spec is None:
            text.append("Select a function and press enter.")
        else:
            text.append(f" {letter(spec)} ", style="bold reverse")
            text.append(f" {clean(spec.path)}", style="bold")
            text.append(f"  {TYPE_WORD.get(spec.function_type, '?')}")
            if spec.visibility == "internal":
                text.append(" · internal", style="italic")
        text.append(f"  · {describe_identity(self.identity)}", style="italic")
        self.query_one("#fn-title", Static).update(text)

    def action_template(self) -> None:
        if self.current is not None:
            self.query_one("#fn-args", TextArea).load_text(fn_args.template(self.current.args))
            self._show_problem(None)

    def action_external_editor(self) -> None:
        area = self.query_one("#fn-args", TextArea)
        edited = edit_externally(self.app, area.text, suffix=".json5", here="type the arguments")
        if edited is not None:
            area.load_text(edited)

    # ------------------------------------------------------------ running

    def action_run(self) -> None:
        highlighted = self._highlighted()
        on_list = self.focused is self.query_one(FunctionTree)
        if on_list and highlighted is not None and highlighted is not self.current:
            self.open_function(highlighted)
        spec = self.current
        if spec is None:
            self.notify("Select a function first (enter on the list).", markup=False)
            return
        if self.running:
            self.notify("A call is running: ctrl+g cancels it.", markup=False)
            return
        text = self.query_one("#fn-args", TextArea).text
        try:
            args = fn_args.prepare(spec.args, text)
        except fn_args.ArgsProblem as problem:
            self._show_problem(problem)
            return
        self._show_problem(None)
        guard = self.host.context.guard
        if write_kind(spec) is not None and guard.needs_typed_confirmation and not guard.read_only:
            from screens.confirm import ConfirmScreen

            profile = self.host.context.settings.profile
            self.app.push_screen(
                ConfirmScreen(
                    f"Run {TYPE_WORD[spec.function_type]} {clean_line(spec.path, 80)}?",
                    f"{profile} is protected. Arguments: {clean_line(text, 200)}",
                    typed=profile,
                    danger=True,
                ),
                lambda ok: self._send(spec, args) if ok else None,
            )
            return
        self._send(spec, args)

    def rerun(self, entry: HistoryEntry, run: bool) -> None:
        spec = find(self.specs, entry.function)
        if spec is None:
            self.notify(
                f"{clean_line(entry.function, 80)} is not on this deployment now.", markup=False
            )
            return
        self.open_function(spec)
        self.query_one("#fn-args", TextArea).load_text(fn_args.editor_text(_decoded(entry.args)))
        if run:
            self.action_run()

    def _send(self, spec: FunctionSpec, args: dict[str, Any]) -> None:
        client = self.host.convex
        if client is None:
            self._set_status(Text("Not connected yet: the Convex client is starting."), "-error")
            return
        self.running = True
        self._set_status(Text(f"Running {clean(spec.path)}… (ctrl+g cancels)"))
        self._call(spec, args, self.identity)

    @work(group="functions-run", exclusive=True, exit_on_error=False, description="run function")
    async def _call(
        self, spec: FunctionSpec, args: dict[str, Any], identity: dict[str, Any] | None
    ) -> None:
        client = self.host.convex
        if client is None:
            return
        try:
            report = await run_report(client, spec, args, identity)
        except asyncio.CancelledError:
            cancelled = CallReport(spec, args, identity, "cancelled")
            self.running = False
            self.show_report(cancelled)
            self._record(cancelled)
            raise
        self.running = False
        self.show_report(report)
        self._record(report)

    def action_cancel(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "functions-run")

    def _record(self, report: CallReport) -> None:
        self.last_report = report
        if report.outcome == "refused" or self._history is None:
            return
        history, entry = self._history, report.history_entry()
        self.run_worker(
            asyncio.to_thread(history.append, entry),
            group="functions-history",
            description="save history",
            exit_on_error=False,
        )

    def show_report(self, report: CallReport) -> None:
        view = report_view(report)
        self._set_status(Text(clean(view.status)), view.tone)
        result_tree = self.query_one("#fn-result", JsonTree)
        result_tree.border_title = view.title
        if view.has_value:
            result_tree.show(view.value)
        else:  # a refusal or a lost call has no value: never show a stale or made-up `null`
            result_tree.clear()
        shown = [clean_line(str(line), 400) for line in view.logs[-MAX_LOG_LINES:]]
        self._update_text(self.query_one("#fn-logs", Static), Text("\n".join(shown)))

    def _update_text(self, widget: Static, text: Text) -> None:
        """Update a height-auto Static, re-laying out the screen only when its height changes
        (a full layout costs more than the rest of showing a result)."""
        width = max(widget.content_size.width, 1)
        lines = len(text.wrap(self.app.console, width)) if text.plain else 0
        relayout = lines != self._text_lines.get(widget.id or "")
        self._text_lines[widget.id or ""] = lines
        widget.update(text, layout=relayout)

    def _set_status(self, text: Text, tone: str = "") -> None:
        status = self.query_one("#fn-status", Static)
        self._update_text(status, text)
        status.set_class(tone == "-error", "-error")
        status.set_class(tone == "-refused", "-refused")

    def _show_problem(self, problem: fn_args.ArgsProblem | None) -> None:
        box = self.query_one("#fn-problem", Static)
        box.set_class(problem is None, "-hidden")
        if problem is None:
            box.update("")
            return
        where = f" (field {problem.field})" if problem.field else ""
        box.update(Text(f"Not sent{where}: {problem}"))
        if problem.line:
            area = self.query_one("#fn-args", TextArea)
            area.move_cursor((problem.line - 1, max((problem.column or 1) - 1, 0)))
            area.focus()

    @on(JsonTree.IdSelected)
    def _open_id(self, event: JsonTree.IdSelected) -> None:
        self.host.open_in("data", PaneTarget("document", event.doc_id))

    # ------------------------------------------------------------ watches

    def action_watch(self) -> None:
        spec = self._highlighted() if self.focused is self.query_one(FunctionTree) else None
        spec = spec or self.current
        if spec is None or spec.function_type != "Query":
            self.notify("Watch works on queries: select one first.", markup=False)
            return
        shelf = self.query_one(WatchShelf)
        pinned = shelf.find(spec.path)
        if pinned is not None:
            shelf.unpin(pinned)
            return
        if len(shelf.panels) >= MAX_WATCHES:
            self.notify(
                f"At most {MAX_WATCHES} watches: w on a pinned one unpins it.", markup=False
            )
            return
        if spec is self.current:
            text = self.query_one("#fn-args", TextArea).text
        else:
            text = self._args_by_path.get(spec.path, "")
        try:
            args = fn_args.prepare(spec.args, text or "{}")
        except fn_args.ArgsProblem as problem:
            self._show_problem(problem)
            return
        if self.identity:
            self.notify(
                "Watches run as admin (one shared sync socket); act-as applies to runs.",
                markup=False,
            )
        shelf.pin(spec.path, args, self.host.convex)

    def watches(self) -> list[WatchPanel]:
        return self.query_one(WatchShelf).panels

    def on_screen_suspend(self) -> None:
        # Hidden pane: close every subscription (the server stops running them for us).
        self.query_one(WatchShelf).pause()

    def on_screen_resume(self) -> None:
        self.query_one(WatchShelf).resume(self.host.convex)

    # ------------------------------------------------------------ identity, history, copy

    def action_identity(self) -> None:
        from screens.function_dialogs import ActAsScreen

        def chosen(choice: tuple[str, dict[str, Any] | None] | None) -> None:
            if choice is None:
                return
            self.identity = choice[1]
            if self._identities is not None:
                store = self._identities
                self.run_worker(
                    asyncio.to_thread(store.save, self.identity),
                    group="functions-identity",
                    description="save identity",
                    exit_on_error=False,
                )
            self._update_title()

        issuer = self.host.context.settings.site_url or ""
        self.app.push_screen(ActAsScreen(self.identity, issuer), chosen)

    def action_history(self) -> None:
        from screens.function_dialogs import FunctionHistoryScreen

        if self._history is None:
            self.notify("No deployment yet: history is kept per deployment.", markup=False)
            return
        entries = self._history.load()

        def chosen(choice: tuple[str, HistoryEntry] | None) -> None:
            if choice is not None:
                self.rerun(choice[1], run=choice[0] == "rerun")

        settings = self.host.context.settings
        profile = settings.profile if settings.profile in settings.profiles else None
        current = self.current.path if self.current is not None else None
        dialog = FunctionHistoryScreen(entries, profile, settings.url, current)
        self.app.push_screen(dialog, chosen)

    def action_copy(self) -> None:
        if self.last_report is None:
            self.notify("Nothing run yet.", markup=False)
            return
        line = self.last_report.history_entry().npx_line()
        self.app.copy_to_clipboard(line)
        self.notify(f"Copied: {clean_line(line, 300)}", markup=False)


def _decoded(encoded: Any) -> dict[str, Any]:
    from tui.convex import values

    value = values.decode(encoded)
    return value if isinstance(value, dict) else {}
