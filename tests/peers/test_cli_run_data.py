"""`npx convex run`, `convex data` and `convex function-spec` (convex@1.48.0) against the sandbox."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from tests.peers.conftest import ConvexCli, Sandbox, call
from tui.convex.ids import is_id
from tui.convex.values import Int64, decode, encode

pytestmark = [pytest.mark.peers, pytest.mark.timeout(120)]

DEMO_TABLES = {"users", "authAccounts", "authSessions", "tasks", "messages", "documents"}


def test_run_public_mutation_then_query(convex_cli: ConvexCli) -> None:
    created = convex_cli.run("run", "tasks:create", '{"title": "peer: write the CLI test"}')
    assert created.code == 0, created.describe()
    task_id = json.loads(created.stdout)
    assert isinstance(task_id, str) and is_id(task_id), created.describe()

    # JSON5 args (unquoted keys, single quotes) are parsed by the CLI, not the server.
    listed = convex_cli.run("run", "tasks:list", "{status: 'pending'}")
    assert listed.code == 0, listed.describe()
    tasks = json.loads(listed.stdout)
    assert isinstance(tasks, list) and tasks, listed.describe()
    newest = tasks[0]
    assert newest["_id"] == task_id, "tasks:list must return the newest task first"
    assert newest["title"] == "peer: write the CLI test"
    assert newest["status"] == "pending"
    assert isinstance(newest["_creationTime"], float | int) and newest["_creationTime"] > 1.6e12
    assert all(task["status"] == "pending" for task in tasks)
    # The function's console lines reach the CLI user on stderr, like a real deployment.
    assert "Listing tasks (status=pending)" in listed.stderr, listed.describe()


def test_run_internal_functions(convex_cli: ConvexCli, admin_http: httpx.Client) -> None:
    action = convex_cli.run("run", "rag:generateQueryEmbedding", '{"query": "reactive database"}')
    assert action.code == 0, action.describe()
    vector = json.loads(action.stdout)
    assert isinstance(vector, list) and len(vector) == 8, action.describe()
    assert math.isclose(math.fsum(x * x for x in vector), 1.0, abs_tol=1e-4)
    again = convex_cli.run(
        "run", "internal.rag.generateQueryEmbedding", '{"query": "reactive database"}'
    )
    assert again.code == 0 and json.loads(again.stdout) == vector, again.describe()

    task_id = call(admin_http, "mutation", "tasks:create", {"title": "peer: processed by hand"})
    processed = convex_cli.run("run", "tasks:processTask", json.dumps({"taskId": task_id}))
    assert processed.code == 0, processed.describe()
    assert processed.stdout == "", "a null result prints nothing"
    assert "Processing task" in processed.stderr, processed.describe()


def test_run_int64_and_bytes_round_trip(convex_cli: ConvexCli) -> None:
    big = 2**62 + 12345  # not representable as a float64
    value = {"n": Int64(big), "neg": Int64(-7), "b": b"\x00\x01\xfe\xff", "f": 1.5}
    args = json.dumps({"value": encode(value)})
    result = convex_cli.run("run", "debug:echo", args)
    assert result.code == 0, result.describe()
    printed = json.loads(result.stdout)
    assert printed == encode(value), result.describe()
    assert decode(printed) == value


def test_run_convex_error_and_unknown_function(convex_cli: ConvexCli) -> None:
    failed = convex_cli.run("run", "tasks:create", '{"title": "   "}')
    assert failed.code == 1, failed.describe()
    assert failed.stdout == ""
    assert 'Failed to run function "tasks:create"' in failed.stderr, failed.describe()
    assert "Server Error" in failed.stderr and "[Request ID: " in failed.stderr, failed.describe()
    uncaught = (
        'Uncaught ConvexError: {"code":"EMPTY_TITLE","message":"Task title must not be empty"}'
    )
    assert uncaught in failed.stderr, failed.describe()

    invalid = convex_cli.run("run", "tasks:get", '{"id": "not-an-id"}')
    assert invalid.code == 1, invalid.describe()
    # crates/common/src/schemas/validator.rs: `NoMatch` with a `Path: .field` context line.
    assert (
        "ArgumentValidationError: Value does not match validator.\nPath: .id\n"
        'Value: "not-an-id"\nValidator: v.id("tasks")'
    ) in invalid.stderr, invalid.describe()

    missing = convex_cli.run("run", "tasks:doesNotExist")
    assert missing.code == 1, missing.describe()
    # `/api/function` answers like `Application::any_udf` (crates/application/src/lib.rs).
    assert (
        "Could not find function for 'tasks:doesNotExist'. Did you forget to run `npx convex dev`?"
        in missing.stderr
    ), missing.describe()
    # The CLI then lists the deployment's functions through `_system/cli/modules:apiSpec`.
    assert "Available functions:" in missing.stderr, missing.describe()
    assert "tasks:list" in missing.stderr and "rag:generateQueryEmbedding" in missing.stderr


def test_data_lists_user_tables(convex_cli: ConvexCli) -> None:
    result = convex_cli.run("data")
    assert result.code == 0, result.describe()
    names = result.stdout.split()
    assert names == sorted(names), result.describe()
    assert set(names) >= DEMO_TABLES, result.describe()
    assert not [name for name in names if name.startswith("_")], result.describe()


def test_data_tasks_jsonl_newest_first(convex_cli: ConvexCli, admin_http: httpx.Client) -> None:
    result = convex_cli.run("data", "tasks", "--limit", "5", "--format", "jsonl")
    assert result.code == 0, result.describe()
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 5, result.describe()
    docs = [json.loads(line) for line in lines]
    for doc in docs:
        assert is_id(doc["_id"]) and isinstance(doc["_creationTime"], float | int), doc
        assert isinstance(doc["title"], str) and isinstance(doc["status"], str), doc
    times = [doc["_creationTime"] for doc in docs]
    assert times == sorted(times, reverse=True), "default order is newest first"
    newest = call(admin_http, "query", "tasks:list", {})
    assert [doc["_id"] for doc in docs] == [task["_id"] for task in newest[:5]]

    oldest = convex_cli.run("data", "tasks", "--limit", "3", "--order", "asc", "--format", "jsonl")
    assert oldest.code == 0, oldest.describe()
    asc = [json.loads(line)["_creationTime"] for line in oldest.stdout.strip().splitlines()]
    assert len(asc) == 3 and asc == sorted(asc) and asc[-1] <= times[-1], oldest.describe()


def test_data_scheduled_functions(convex_cli: ConvexCli, admin_http: httpx.Client) -> None:
    task_id = call(admin_http, "mutation", "tasks:create", {"title": "peer: scheduled"})
    result = convex_cli.run("data", "_scheduled_functions", "--limit", "50", "--format", "jsonl")
    assert result.code == 0, result.describe()
    jobs = [json.loads(line) for line in result.stdout.strip().splitlines()]
    mine = [job for job in jobs if job["args"] == [{"taskId": task_id}]]
    assert len(mine) == 1, result.describe()
    assert mine[0]["name"] == "tasks.js:processTask", result.describe()
    assert mine[0]["state"]["kind"] in ("pending", "success"), result.describe()
    assert isinstance(mine[0]["scheduledTime"], float | int), result.describe()
    times = [job["_creationTime"] for job in jobs]
    assert times == sorted(times, reverse=True), "default order is newest first"


def test_function_spec(convex_cli: ConvexCli, peer_sandbox: Sandbox) -> None:
    result = convex_cli.run("function-spec")
    assert result.code == 0, result.describe()
    spec = json.loads(result.stdout)
    assert spec["url"] == peer_sandbox.url
    by_id = {fn.get("identifier"): fn for fn in spec["functions"] if "identifier" in fn}
    listed = by_id["tasks.js:list"]
    assert listed["functionType"] == "Query"
    assert listed["visibility"] == {"kind": "public"}
    assert listed["args"] == {
        "type": "object",
        "value": {"status": {"fieldType": {"type": "string"}, "optional": True}},
    }
    create = by_id["tasks.js:create"]
    assert create["functionType"] == "Mutation"
    assert create["args"]["value"]["title"] == {"fieldType": {"type": "string"}, "optional": False}
    assert by_id["tasks.js:processTask"]["visibility"] == {"kind": "internal"}
    assert by_id["rag.js:generateQueryEmbedding"]["functionType"] == "Action"
    assert by_id["tasks.js:get"]["args"]["value"]["id"]["fieldType"] == {
        "type": "id",
        "tableName": "tasks",
    }
    http_routes = [fn for fn in spec["functions"] if fn.get("functionType") == "HttpAction"]
    assert {"functionType": "HttpAction", "method": "GET", "path": "/health"} in http_routes
