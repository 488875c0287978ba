"""`run_report` against the sandbox: each outcome classified and shown apart (`report_view`)."""

from __future__ import annotations

import pytest

from tui.config.secret import Secret
from tui.convex.client import ConvexClient
from tui.convex.models import FunctionSpec
from tui.functions.runner import report_view, run_report
from tui.safety.guard import WriteGuard
from tui.sandbox.server import SandboxServer


def spec(identifier: str, ftype: str, vis: str = "public") -> FunctionSpec:
    return FunctionSpec.from_json(
        {"identifier": identifier, "functionType": ftype, "visibility": {"kind": vis}}
    )


async def test_outcomes_are_told_apart(sandbox: SandboxServer) -> None:
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key)) as client:
        ok = await run_report(client, spec("tasks.js:list", "Query"), {})
        assert ok.outcome == "ok" and ok.request_id
        view = report_view(ok)
        assert view.status.startswith("✓ tasks:list") and view.tone == "" and view.logs
        assert view.has_value

        failed = await run_report(client, spec("tasks.js:create", "Mutation"), {"title": " "})
        view = report_view(failed)
        assert failed.outcome == "error" and view.tone == "-error"
        assert view.title == "ConvexError data" and view.value["code"] == "EMPTY_TITLE"
        assert "function error" in view.status and failed.history_entry().outcome == "error"

        thrown = await run_report(client, spec("debug.js:fail", "Query"), {})
        assert thrown.outcome == "error" and report_view(thrown).title == "Error"

        assert ok.result is not None
        internal = await run_report(
            client,
            spec("tasks.js:processTask", "Mutation", "internal"),
            {"taskId": ok.result.value[0]["_id"]},
        )
        assert internal.outcome == "ok", "the admin key runs internal functions"

        route = await run_report(
            client,
            FunctionSpec.from_json(
                {"functionType": "HttpAction", "method": "GET", "path": "/health"}
            ),
            {},
        )
        assert route.outcome == "transport" and "site URL" in report_view(route).status


async def test_read_only_refuses_before_sending(sandbox: SandboxServer) -> None:
    guard = WriteGuard()
    guard.lock()
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key), guard=guard) as client:
        before = len(sandbox.request_log)
        refused = await run_report(client, spec("tasks.js:create", "Mutation"), {"title": "x"})
        assert refused.outcome == "refused" and len(sandbox.request_log) == before
        assert "read-only" in report_view(refused).status
        assert not report_view(refused).has_value  # the pane shows no result, not `null`
        assert (await run_report(client, spec("tasks.js:list", "Query"), {})).outcome == "ok"


@pytest.mark.timeout(30)
async def test_transport_errors_are_not_function_errors(sandbox: SandboxServer) -> None:
    async with ConvexClient(sandbox.url, Secret("convex-self-hosted|01bad")) as client:
        bad_key = await run_report(client, spec("tasks.js:list", "Query"), {})
        assert bad_key.outcome == "transport"
        assert "admin key" in report_view(bad_key).status
    async with ConvexClient("http://127.0.0.1:9", Secret(sandbox.admin_key), timeout=3) as client:
        dead = await run_report(client, spec("tasks.js:list", "Query"), {})
        assert dead.outcome == "transport" and dead.request_id is None
