"""The Functions pane against the sandbox's demo app (real HTTP + sync socket, Pilot keys)."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import OptionList, Static, TextArea, Tree

from screens.app import ConsoleApp, make_app
from screens.function_dialogs import FunctionHistoryScreen
from screens.functions import FunctionsScreen
from screens.pane import PaneTarget
from screens.widgets.json_tree import JsonTree
from tests.ui.conftest import until
from tests.ui.fakes import FakeProber, settings
from tui.config.secret import Secret
from tui.convex.ids import is_id
from tui.functions.runner import CallReport
from tui.sandbox.server import SandboxThread

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONVEX_TUI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def build(sandbox: SandboxThread, **kw: Any) -> ConsoleApp:
    s = dataclasses.replace(settings(url=sandbox.url, **kw), admin_key=Secret(sandbox.admin_key))
    return make_app(s, prober=FakeProber())


async def open_pane(pilot: Any) -> FunctionsScreen:
    await pilot.press("3")
    screen = await until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, FunctionsScreen)
            and pilot.app.screen.specs
            and pilot.app.screen
        ),
        what="function list",
    )
    assert isinstance(screen, FunctionsScreen)
    return screen


async def run(pilot: Any, screen: FunctionsScreen, path: str, text: str | None) -> CallReport:
    screen.open_target(PaneTarget("function", path))
    await pilot.pause()
    if text is not None:
        screen.query_one("#fn-args", TextArea).load_text(text)
    before = screen.last_report
    await pilot.press("ctrl+r")
    report = await until(
        pilot,
        lambda: screen.last_report is not before and not screen.running and screen.last_report,
        what=f"{path} result",
    )
    assert isinstance(report, CallReport)
    return report


async def saved(pilot: Any, app: ConsoleApp) -> None:
    """The pane's file writes (history, identity) have finished."""
    groups = ("functions-history", "functions-identity")
    await until(
        pilot,
        lambda: not [w for w in app.workers if w.group in groups and not w.is_finished],
        what="history/identity saved",
    )


def sent(sandbox: SandboxThread, path: str) -> int:
    return sum(1 for _m, _p, udf in list(sandbox.request_log) if udf == path)


async def test_list_matches_types_and_visibility(sandbox: SandboxThread) -> None:
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)
        by_path = {s.path: s for s in screen.specs}
        assert by_path["tasks:create"].function_type == "Mutation"
        assert by_path["tasks:processTask"].visibility == "internal"
        assert by_path["GET /health"].function_type == "HttpAction"
        tree = screen.query_one("#fn-tree", Tree)
        labels = [str(n.label) for n in tree.root.children]
        assert "tasks" in labels and "rag" in labels
        await pilot.press("slash", *"getuser")
        await until(
            pilot, lambda: tree.cursor_node and str(tree.cursor_node.label).endswith("getUserTasks")
        )
        await pilot.press("enter")
        await until(pilot, lambda: screen.current is by_path["tasks:getUserTasks"])
        assert screen.query_one("#fn-args", TextArea).has_focus


async def test_create_then_list_shows_the_task(sandbox: SandboxThread) -> None:
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)
        created = await run(pilot, screen, "tasks:create", '{title: "from the pane"}')
        assert created.outcome == "ok" and created.result is not None
        task_id = created.result.value
        assert is_id(task_id) and created.request_id
        listed = await run(pilot, screen, "tasks:list", "{}")
        assert listed.outcome == "ok" and listed.result is not None
        assert any(
            t["_id"] == task_id and t["title"] == "from the pane" for t in listed.result.value
        )
        tree = screen.query_one("#fn-result", JsonTree)
        assert tree.value == listed.result.value
        logs = str(screen.query_one("#fn-logs", Static).render())
        assert "Listing tasks" in logs
        # An id in the result opens its document in the Data pane.
        created_id = await run(pilot, screen, "tasks:create", '{title: "open me"}')
        assert created_id.result is not None
        tree.focus()
        tree.move_cursor(tree.root.children[0])
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "data", what="data pane")


async def test_convex_error_data_is_shown_apart(sandbox: SandboxThread) -> None:
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)
        report = await run(pilot, screen, "tasks:create", '{title: "  "}')
        assert report.outcome == "error"
        tree = screen.query_one("#fn-result", JsonTree)
        assert tree.border_title == "ConvexError data"
        assert tree.value == {"code": "EMPTY_TITLE", "message": "Task title must not be empty"}
        assert "function error" in str(screen.query_one("#fn-status", Static).render())
        assert screen.query_one("#fn-status").has_class("-error")


async def test_invalid_json_and_violations_send_nothing(sandbox: SandboxThread) -> None:
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)
        screen.open_target(PaneTarget("function", "tasks:create"))
        await pilot.pause()
        before = sent(sandbox, "tasks:create")
        editor = screen.query_one("#fn-args", TextArea)
        problem = screen.query_one("#fn-problem", Static)
        for text, field, line in (
            ('{\n  title: "x",,\n}', "", 2),  # bad JSON
            ('{\n  "title": 5,\n}', "title", 2),  # wrong type
            ("{\n  priority: 1,\n}", "title", None),  # missing required field
            ('{\n  title: "x",\n  colour: "red",\n}', "colour", 3),  # extra field
        ):
            editor.load_text(text)
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert not problem.has_class("-hidden"), text
            shown = str(problem.render())
            assert "Not sent" in shown and (field in shown)
            if line is not None:
                assert editor.cursor_location[0] == line - 1, text
        await pilot.pause(0.2)
        assert sent(sandbox, "tasks:create") == before, "nothing reached the sandbox"
        assert screen.last_report is None


async def test_internal_functions_run_with_the_admin_key(sandbox: SandboxThread) -> None:
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)
        report = await run(pilot, screen, "rag:generateQueryEmbedding", '{query: "auth"}')
        assert report.outcome == "ok" and report.result is not None
        assert len(report.result.value) == 8
        assert ("POST", "/api/action", "rag:generateQueryEmbedding") in sandbox.request_log


async def test_act_as_user_changes_get_user_tasks(sandbox: SandboxThread, data_dir: Path) -> None:
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)
        nobody = await run(pilot, screen, "tasks:getUserTasks", "{}")
        assert nobody.result is not None and nobody.result.value == []
        listed = await run(pilot, screen, "tasks:list", "{}")
        assert listed.result is not None
        user = next(t["userId"] for t in listed.result.value if "userId" in t)
        await pilot.press("escape", "i")  # escape: from the editor back to the list
        await until(pilot, lambda: app.screen.__class__.__name__ == "ActAsScreen")
        await pilot.press(*user, "enter")
        await until(pilot, lambda: screen.identity is not None)
        assert screen.identity is not None and screen.identity["subject"] == user
        as_user = await run(pilot, screen, "tasks:getUserTasks", "{}")
        assert as_user.result is not None and as_user.result.value
        assert all(t["userId"] == user for t in as_user.result.value)
        await saved(pilot, app)
    # Remembered per deployment: a new console starts acting as the same user.
    app2 = build(sandbox)
    async with app2.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)
        assert screen.identity is not None and screen.identity["subject"] == user


async def test_read_only_refuses_a_mutation_and_runs_a_query(sandbox: SandboxThread) -> None:
    app = build(sandbox, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)
        before = sent(sandbox, "tasks:create")
        refused = await run(pilot, screen, "tasks:create", '{title: "nope"}')
        assert refused.outcome == "refused"
        assert "read-only" in str(screen.query_one("#fn-status", Static).render())
        assert sent(sandbox, "tasks:create") == before
        ok = await run(pilot, screen, "tasks:list", "{}")
        assert ok.outcome == "ok"


async def test_protected_target_asks_for_the_name(sandbox: SandboxThread) -> None:
    app = build(sandbox, protected=True, profile="prod")
    async with app.run_test(size=(120, 40)) as pilot:
        app.context.guard.unlock()
        screen = await open_pane(pilot)
        screen.open_target(PaneTarget("function", "messages:send"))
        await pilot.pause()
        screen.query_one("#fn-args", TextArea).load_text('{body: "hi", author: "ops"}')
        before = sent(sandbox, "messages:send")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        assert sent(sandbox, "messages:send") == before
        await pilot.press(*"prod", "enter")
        await until(pilot, lambda: screen.last_report is not None and not screen.running)
        assert screen.last_report is not None and screen.last_report.outcome == "ok"


async def test_history_survives_a_restart(sandbox: SandboxThread) -> None:
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)
        await run(pilot, screen, "messages:list", "{}")
        await run(pilot, screen, "tasks:list", '{status: "pending"}')
        await saved(pilot, app)
    app2 = build(sandbox)
    async with app2.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)

        async def history() -> FunctionHistoryScreen:
            await pilot.press("escape", "h")
            dialog = await until(
                pilot, lambda: isinstance(app2.screen, FunctionHistoryScreen) and app2.screen
            )
            assert isinstance(dialog, FunctionHistoryScreen)
            return dialog

        dialog = await history()  # nothing open: every call, newest first
        assert [e.function for e in dialog.entries] == ["tasks:list", "messages:list"]
        line = str(dialog.query_one("#line", Static).render())
        assert "npx convex run tasks:list" in line and '"status":"pending"' in line
        await pilot.press("escape")
        # With a function open, its calls only (like the dashboard); `f` shows them all.
        screen.open_target(PaneTarget("function", "messages:list"))
        dialog = await history()
        assert [e.function for e in dialog.entries] == ["messages:list"]
        await pilot.press("f")
        assert [e.function for e in dialog.entries] == ["tasks:list", "messages:list"]
        await pilot.press("r")  # re-run the newest call
        await until(pilot, lambda: screen.last_report is not None and not screen.running)
        assert screen.last_report is not None and screen.last_report.outcome == "ok"
        assert screen.last_report.spec.path == "tasks:list"
        assert screen.last_report.args == {"status": "pending"}


PEER_MUTATION = """
from convex import ConvexClient
c = ConvexClient(URL)
c.set_admin_auth(KEY)
c.mutation("messages:send", {"body": "from another process", "author": "peer"})
"""


async def test_watch_updates_when_another_process_mutates(sandbox: SandboxThread) -> None:
    pytest.importorskip("convex")
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pane(pilot)
        screen.open_target(PaneTarget("function", "messages:list"))
        await pilot.pause()
        await pilot.press("escape", "w")
        panel = await until(pilot, lambda: screen.watches() and screen.watches()[0])
        await until(pilot, lambda: panel.updates >= 1, what="first value")
        first = panel.updates
        script = f"URL = {sandbox.url!r}\nKEY = {sandbox.admin_key!r}\n" + textwrap.dedent(
            PEER_MUTATION
        )
        proc = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 0, proc.stderr
        await until(pilot, lambda: panel.updates > first, what="update from the peer")
        assert panel.previous[-1]["body"] == "from another process"
        tree = panel.query_one(JsonTree)
        assert any(path[0] == len(panel.previous) - 1 for path in tree.changed)
        # The new message is the last item: the panel scrolls it into view.
        await until(pilot, lambda: tree.scroll_y > 0, what="scrolled to the change")
        # Hidden pane: the watch pauses, and resumes when shown again.
        await pilot.press("1")
        await until(pilot, lambda: panel.state == "paused")
        await pilot.press("3")
        await until(pilot, lambda: panel.state == "live", what="resumed")


async def test_a_long_action_can_be_cancelled(unused_tcp_port: int) -> None:
    """The demo app has no slow action: a loopback backend that never answers /api/action."""
    from aiohttp import web

    release = asyncio.Event()
    spec = {
        "identifier": "slow.js:crawl",
        "functionType": "Action",
        "visibility": {"kind": "public"},
        "args": {"type": "object", "value": {}},
    }

    async def query(request: web.Request) -> web.Response:
        return web.json_response({"status": "success", "value": [spec]})

    async def action(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"status": "success", "value": None})

    api = web.Application()
    api.router.add_post("/api/query", query)
    api.router.add_post("/api/action", action)
    runner = web.AppRunner(api)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        app = make_app(settings(url=f"http://127.0.0.1:{unused_tcp_port}"), prober=FakeProber())
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_pane(pilot)
            screen.open_target(PaneTarget("function", "slow:crawl"))
            await pilot.pause()
            await pilot.press("ctrl+r")
            await until(pilot, lambda: screen.running, what="running")
            await pilot.press("ctrl+c")  # TextArea copy: the console stays responsive
            await pilot.press("ctrl+g")
            await until(pilot, lambda: not screen.running, what="cancelled")
            assert screen.last_report is not None and screen.last_report.outcome == "cancelled"
            assert "Cancelled" in str(screen.query_one("#fn-status", Static).render())
    finally:
        release.set()
        await runner.cleanup()


def first_hit(app: ConsoleApp) -> str:
    lists = app.screen.query(OptionList)
    if not lists or not lists.first().option_count:
        return ""
    return str(lists.first().get_option_at_index(0).prompt)


async def test_palette_jumps_to_a_function_and_deploys_refresh(sandbox: SandboxThread) -> None:
    app = build(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.convex is not None, what="client")
        await pilot.press("ctrl+p")
        await pilot.press(*"Function: tasks:getUserTasks")
        await until(
            pilot, lambda: "Function: tasks:getUserTasks" in first_hit(app), what="palette hit"
        )
        await pilot.press("enter")
        screen = await until(
            pilot,
            lambda: (
                isinstance(app.screen, FunctionsScreen)
                and app.screen.current is not None
                and app.screen
            ),
            what="function opened",
        )
        assert screen.current.path == "tasks:getUserTasks"
        specs_before = screen.specs
        loads = sum(1 for _m, _p, udf in list(sandbox.request_log) if udf.endswith("apiSpec"))
        app.deployed()  # what the deploy pane calls after a push
        await until(pilot, lambda: screen.specs is not specs_before, what="list reloaded")
        after = sum(1 for _m, _p, udf in list(sandbox.request_log) if udf.endswith("apiSpec"))
        assert after == loads + 1


async def test_json_tree_marks_convex_types_and_follows_the_theme() -> None:
    from textual.app import App, ComposeResult

    from tui.convex.ids import encode_id
    from tui.convex.values import Int64

    doc_id = encode_id(10001, bytes(16))

    class One(App[None]):
        opened: list[str] = []

        def compose(self) -> ComposeResult:
            yield JsonTree("v")

        def on_json_tree_id_selected(self, event: JsonTree.IdSelected) -> None:
            self.opened.append(event.doc_id)

    app = One()
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.query_one(JsonTree)
        tree.show({"n": Int64(-7), "b": b"\x00\xff", "id": doc_id, "s": "\x1b[31mred"})
        await pilot.pause()
        labels = {str(n.label) for n in tree.root.children}
        assert "n: -7n  int64" in labels and f'id: "{doc_id}"  id' in labels
        assert any(label.startswith("b: 2 bytes AP8=") for label in labels)
        assert not any("\x1b" in label for label in labels), "escape sequences never reach labels"
        before = Text.assemble(tree.root.children[0].label).spans
        app.theme = "textual-light"
        await pilot.pause()
        assert Text.assemble(tree.root.children[0].label).spans != before
        tree.focus()
        tree.move_cursor(tree.root.children[2])
        await pilot.press("enter")
        await until(pilot, lambda: app.opened == [doc_id], what="id opened")
