"""The real Convex CLI (1.48, ``tests/workspace``) pushes the example app to the sandbox, and
real clients run the pushed TypeScript functions (in the sandbox's Node host)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sandbox.deploy_fixtures import (
    Result,
    SandboxProc,
    Workspace,
    copy_workspace,
    require_node,
)

pytestmark = [pytest.mark.peers, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Result]]:
    require_node()
    base = tmp_path_factory.mktemp("deploy")
    sandbox = SandboxProc(base / "data").start()
    try:
        ws = Workspace(base / "app", sandbox, base / "home")
        yield ws, ws.cli("dev", "--once")
    finally:
        sandbox.stop()


@pytest.fixture
def ws(pushed: tuple[Workspace, Result]) -> Workspace:
    workspace, first = pushed
    assert first.code == 0, f"dev --once failed:\n{first.output}\n{workspace.sandbox.log_tail()}"
    return workspace


def call(ws: Workspace, kind: str, path: str, args: dict[str, Any]) -> dict[str, Any]:
    with ws.sandbox.http() as client:
        body: dict[str, Any] = client.post(
            f"/api/{kind}", json={"path": path, "args": args, "format": "json"}
        ).json()
    return body


def test_dev_once_pushes_the_workspace(pushed: tuple[Workspace, Result]) -> None:
    ws, first = pushed
    assert first.code == 0, first.output
    assert "Convex functions ready!" in first.output
    # The CLI's codegen ran on the sandbox's analysis: api.d.ts names every pushed module.
    api = (ws.root / "convex" / "_generated" / "api.d.ts").read_text()
    for module in ("tasks", "messages", "summary", "files", "http"):
        assert f"typeof {module}" in api


def test_deploy_yes_completes_and_reports_no_index_changes(ws: Workspace) -> None:
    res = ws.ok("deploy", "--yes")
    assert "Deployed Convex functions to" in res.output
    assert "Added table indexes" not in res.output  # same schema as the push before


def test_function_spec_and_data_are_the_pushed_apps(ws: Workspace) -> None:
    spec = json.loads(ws.ok("function-spec").stdout)
    by_id = {f.get("identifier"): f for f in spec["functions"] if "identifier" in f}
    assert by_id["tasks.js:list"]["functionType"] == "Query"
    assert by_id["tasks.js:archiveDone"]["visibility"] == {"kind": "internal"}
    assert by_id["summary.js:digest"]["functionType"] == "Action"
    assert by_id["tasks.js:create"]["args"]["value"]["text"]["fieldType"] == {"type": "string"}
    assert "demo:seed" not in json.dumps(spec)  # the built-in demo app is gone
    assert any(f.get("functionType") == "HttpAction" for f in spec["functions"])
    # The dashboard's listing is the pushed app's too.
    listing = dict(call(ws, "query", "_system/frontend/modules:list", {})["value"])
    assert {"tasks.js", "messages.js", "summary.js", "ticks.js", "http.js"} <= set(listing)
    archive = next(f for f in listing["tasks.js"]["functions"] if f["name"] == "archiveDone")
    assert archive["udfType"] == "Mutation" and archive["visibility"] == {"kind": "internal"}
    routes = [f["name"] for f in listing["http.js"]["functions"]]
    # The router's own order (getRoutes): exact paths by method and path, then prefixes.
    assert routes == [
        "GET /file",
        "GET /hello",
        "GET /tasks/count",
        "POST /upload",
        "POST /echo/*",
    ]
    validator = call(
        ws, "query", "_system/frontend/modules:argsValidator", {"function": "tasks:create"}
    )
    assert json.loads(validator["value"])["value"]["text"]["fieldType"] == {"type": "string"}
    schema = json.loads(call(ws, "query", "_system/frontend/getSchemas", {})["value"]["active"])
    tables = {t["tableName"]: t for t in schema["tables"]}
    assert {"users", "authSessions", "tasks", "messages", "ticks"} <= set(tables)
    assert tables["tasks"]["documentType"]["value"]["text"]["fieldType"] == {"type": "string"}
    task_id = ws.run_json("tasks:create", {"text": "buy milk", "priority": 5})
    assert "buy milk" in ws.ok("data", "tasks").stdout
    with ws.sandbox.http() as client:
        indexes = client.get("/api/get_indexes").json()["indexes"]
    names = {(i["table"], i["name"]) for i in indexes}
    assert {("tasks", "by_status"), ("tasks", "by_priority"), ("tasks", "by_user")} <= names
    assert ws.run_json("tasks:urgent", {"atLeast": 4}) == ["buy milk"]
    ws.run_json("tasks:setStatus", {"id": task_id, "status": "done"})
    assert ws.run_json("tasks:urgent", {"atLeast": 4}) == []
    listed = ws.run_json("tasks:list", {"status": "done"})
    assert [t["text"] for t in listed] == ["buy milk"]


def test_throwing_mutation_leaves_no_write(ws: Workspace) -> None:
    before = len(ws.run_json("tasks:list"))
    res = ws.cli("run", "tasks:createThenFail", '{"text": "ghost"}')
    assert res.code != 0
    assert "refusing to keep ghost" in res.output
    after = ws.run_json("tasks:list")
    assert len(after) == before
    assert all(t["text"] != "ghost" for t in after)


def test_convex_error_data_and_console_levels(ws: Workspace) -> None:
    bad = call(ws, "mutation", "messages:send", {"author": "ann", "body": "  "})
    assert bad["status"] == "error"
    assert bad["errorData"] == {"code": "EMPTY", "message": "a message needs a body"}
    good = call(ws, "mutation", "messages:send", {"author": "ann", "body": "hi"})
    assert good["status"] == "success"
    assert good["logLines"] == ["[WARN] 'message from' 'ann'"]
    assert call(ws, "query", "messages:list", {})["value"][-1]["body"] == "hi"


def test_pagination_acting_as_and_log_stream(ws: Workspace) -> None:
    for i in range(5):
        call(ws, "mutation", "messages:send", {"author": "pager", "body": f"p{i}"})
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        out = call(
            ws, "query", "messages:page", {"paginationOpts": {"numItems": 2, "cursor": cursor}}
        )
        value = out["value"]
        assert len(value["page"]) <= 2
        seen += [m["body"] for m in value["page"]]
        cursor = value["continueCursor"]
        if value["isDone"]:
            break
    assert [b for b in seen if b.startswith("p")] == ["p0", "p1", "p2", "p3", "p4"]
    assert len(seen) == len(call(ws, "query", "messages:list", {})["value"])  # no gaps, no repeats
    # Acting as a user: ctx.auth.getUserIdentity() in the pushed code sees it.
    import base64

    who = base64.b64encode(json.dumps({"subject": "user-7", "issuer": "https://x"}).encode())
    with httpx.Client(
        base_url=ws.sandbox.url,
        headers={"Authorization": f"Convex {ws.sandbox.key}:{who.decode()}"},
        timeout=30,
    ) as client:
        body = client.post(
            "/api/mutation", json={"path": "messages:send", "args": {"author": "a", "body": "b"}}
        ).json()
    assert body["logLines"] == ["[WARN] 'message from' 'user-7'"]
    with ws.sandbox.http() as client:
        logs = client.get("/api/stream_function_logs", params={"cursor": 0}).json()["entries"]
    sends = [e for e in logs if e.get("identifier") == "messages:send" and e.get("logLines")]
    assert any("[WARN]" in line for e in sends for line in e["logLines"])
    pages = [e for e in logs if e.get("identifier") == "messages:page"]
    assert pages and all(e["kind"] == "Completion" and e["udfType"] == "Query" for e in pages)


def test_time_random_and_env_inside_functions(ws: Workspace) -> None:
    first = ws.run_json("tasks:stamp")
    assert first["now"] == first["later"]  # Date is frozen for the whole execution
    assert abs(first["now"] - time.time() * 1000) < 60_000
    assert 0 <= first["random"] < 1
    assert first["greeting"] is None
    ws.ok("env", "set", "GREETING", "hello from env")
    assert ws.run_json("tasks:stamp")["greeting"] == "hello from env"


def test_node_action_calls_a_pushed_query(ws: Workspace) -> None:
    count = len(ws.run_json("tasks:list"))
    out = ws.run_json("summary:digest", {"salt": "s"})
    assert out["count"] == count
    assert len(out["sha256"]) == 64


def test_run_query_inside_a_mutation_sees_its_writes(ws: Workspace) -> None:
    before = len(ws.run_json("tasks:list"))
    assert ws.run_json("tasks:createAndCount", {"text": "counted"}) == before + 1


def test_a_crashing_host_fails_the_call_and_the_next_call_works(ws: Workspace) -> None:
    started = time.monotonic()
    res = ws.cli("run", "summary:crash")
    assert res.code != 0 and "Node host exited" in res.output
    assert time.monotonic() - started < 20
    assert isinstance(ws.run_json("tasks:list"), list)


def test_scheduled_pushed_function_runs(ws: Workspace) -> None:
    task_id = ws.run_json("tasks:create", {"text": "finished"})
    ws.run_json("tasks:setStatus", {"id": task_id, "status": "done"})
    job = ws.run_json("tasks:archiveLater", {"delayMs": 50})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not ws.run_json("tasks:list", {"status": "done"}):
            break
        time.sleep(0.2)
    assert ws.run_json("tasks:list", {"status": "done"}) == []
    jobs = ws.ok("data", "_scheduled_functions", "--format", "jsonArray").stdout
    assert job in jobs and "success" in jobs
    assert ws.run_json("tasks:jobState", {"id": job}) == "success"


def test_pushed_crons_run(ws: Workspace) -> None:
    deadline = time.monotonic() + 15
    first = None
    while time.monotonic() < deadline and first is None:
        first = call(ws, "query", "ticks:last", {})["value"]
        time.sleep(0.3)
    assert first is not None, ws.sandbox.log_tail()
    while time.monotonic() < deadline:
        later = call(ws, "query", "ticks:last", {})["value"]
        if later is not None and later > first:
            break
        time.sleep(0.3)
    assert later > first  # it keeps running, once a second


def test_text_search_and_file_ids_are_checked_like_the_backend(ws: Workspace) -> None:
    # Text search runs (relevance order: tests/sandbox/test_backend_features.py) ...
    call(ws, "mutation", "messages:send", {"author": "ann", "body": "searchable words"})
    found = call(ws, "query", "messages:search", {"text": "searchable"})
    assert [m["body"] for m in found["value"]] == ["searchable words"]
    # ... and a file id from another table is refused by its validator.
    out = call(ws, "query", "files:url", {"id": "x"})
    assert out["status"] == "error" and "ArgumentValidationError" in out["errorMessage"]


def test_http_actions_run_the_pushed_router(ws: Workspace) -> None:
    hello = httpx.get(ws.sandbox.url + "/http/hello", params={"name": "sandbox"}, timeout=30)
    assert hello.status_code == 200 and hello.text == "hello sandbox"
    assert hello.headers["content-type"] == "text/plain"
    count = httpx.get(ws.sandbox.url + "/http/tasks/count", timeout=30).json()
    assert count == {"count": len(ws.run_json("tasks:list"))}
    echo = httpx.post(ws.sandbox.url + "/http/echo/a/b", content=b"payload", timeout=30)
    assert (echo.status_code, echo.text) == (201, "payload")
    assert echo.headers["x-echo-path"] == "/echo/a/b"
    missing = httpx.get(ws.sandbox.url + "/http/nowhere", timeout=30)
    assert missing.status_code == 404


def test_js_client_subscription_reruns_on_write(ws: Workspace) -> None:
    report = ws.node_script("subscribe.mjs")
    assert "from js" not in report["updates"][0]
    assert "from js" in report["updates"][-1]


def test_python_client_runs_pushed_functions(ws: Workspace) -> None:
    convex = pytest.importorskip("convex")
    client = convex.ConvexClient(ws.sandbox.url)
    new_id = client.mutation("tasks:create", {"text": "from python", "priority": 2.0})
    texts = [t["text"] for t in client.query("tasks:list", {})]
    assert "from python" in texts
    assert isinstance(new_id, str)
    with pytest.raises(convex.ConvexError) as err:
        client.mutation("messages:send", {"author": "py", "body": ""})
    assert err.value.data == {"code": "EMPTY", "message": "a message needs a body"}


def test_demo_project_sandbox_serves_the_pushed_app(tmp_path: Path) -> None:
    """`convex-tui demo --project DIR`'s sandbox (the console then opens on it)."""
    from tui.sandbox.project import start_project_sandbox

    require_node()
    sandbox = start_project_sandbox(copy_workspace(tmp_path / "app"), "convex-tui demo")
    assert sandbox is not None
    try:
        with httpx.Client(base_url=sandbox.url, timeout=30) as client:
            out = client.post("/api/query", json={"path": "tasks:list", "args": {}}).json()
        assert out == {"status": "success", "value": []}
        assert sandbox.deployment.registry.lookup("tasks", "create") is not None
    finally:
        sandbox.stop()


def _fresh_workspace(tmp_path: Path) -> Workspace:
    require_node()
    sandbox = SandboxProc(tmp_path / "data").start()
    return Workspace(tmp_path / "app", sandbox, tmp_path / "home")


def test_edit_and_push_again_changes_behaviour_and_dry_run_changes_nothing(
    tmp_path: Path,
) -> None:
    ws = _fresh_workspace(tmp_path)
    try:
        ws.ok("dev", "--once")
        assert ws.run_json("tasks:stamp")["greeting"] is None
        ws.edit("tasks.ts", "process.env.GREETING ?? null", 'process.env.GREETING ?? "edited"')
        dry = ws.ok("deploy", "--dry-run", "--yes")
        assert "[dry run]" in dry.output
        assert ws.run_json("tasks:stamp")["greeting"] is None
        ws.ok("deploy", "--yes")
        assert ws.run_json("tasks:stamp")["greeting"] == "edited"
    finally:
        ws.sandbox.stop()


def test_schema_that_existing_documents_violate_fails_the_push(tmp_path: Path) -> None:
    ws = _fresh_workspace(tmp_path)
    try:
        ws.ok("dev", "--once")
        ws.run_json("tasks:create", {"text": "old"})
        ws.edit(
            "schema.ts", "priority: v.number(),", "priority: v.number(),\n    owner: v.string(),"
        )
        res = ws.cli("deploy", "--yes")
        assert res.code != 0
        assert "does not match the schema" in res.output and '"tasks"' in res.output
        assert [t["text"] for t in ws.run_json("tasks:list")] == ["old"]  # old app still runs
    finally:
        ws.sandbox.stop()


def test_a_module_that_throws_at_import_fails_the_push_naming_it(tmp_path: Path) -> None:
    ws = _fresh_workspace(tmp_path)
    try:
        ws.ok("dev", "--once")
        (ws.root / "convex" / "ticks.ts").write_text(
            (ws.root / "convex" / "ticks.ts").read_text() + '\nthrow new Error("boom at import");\n'
        )
        res = ws.cli("dev", "--once")
        assert res.code != 0
        assert "Failed to analyze ticks.js: Uncaught Error: boom at import" in res.output
        assert isinstance(ws.run_json("tasks:list"), list)  # the previous push still runs
    finally:
        ws.sandbox.stop()


def test_pushed_app_survives_a_restart(tmp_path: Path) -> None:
    ws = _fresh_workspace(tmp_path)
    try:
        ws.ok("dev", "--once")
        ws.run_json("tasks:create", {"text": "durable"})
        ws.sandbox.stop()
        assert _audit_actions(ws.sandbox.data_dir) == ["push_config_with_components"]
        ws.sandbox.start()
        assert [t["text"] for t in ws.run_json("tasks:list")] == ["durable"]
        spec = json.loads(ws.ok("function-spec").stdout)
        assert any(f.get("identifier") == "tasks.js:create" for f in spec["functions"])
        # Unchanged modules are recognised by hash after the restart: nothing to re-upload.
        with ws.sandbox.http() as client:
            hashes = client.post("/api/get_config_hashes", json={}).json()["moduleHashes"]
        assert any(h["path"] == "tasks.js" for h in hashes)
        ws.ok("dev", "--once")
    finally:
        ws.sandbox.stop()


def _audit_actions(data_dir: Path) -> list[str]:
    """The deployment audit log's actions, read straight from the sandbox's SQLite file."""
    import sqlite3

    conn = sqlite3.connect(data_dir / "db.sqlite3")
    try:
        rows = conn.execute(
            "SELECT d.body FROM documents d JOIN tables t ON d.tbl = t.number "
            "WHERE t.name = '_deployment_audit_log' ORDER BY d.ctime"
        ).fetchall()
    finally:
        conn.close()
    return [json.loads(body)["action"] for (body,) in rows]
