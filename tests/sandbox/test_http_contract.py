"""The sandbox's HTTP surface against reference §0–§8, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tui.convex import values
from tui.convex.ids import decode_id
from tui.sandbox.server import SandboxServer

RID = re.compile(r"^\[Request ID: [0-9a-f]{16}\] Server Error\n")
ENC = "convex_encoded_json"


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=20) as c:
        yield c


def admin(s: SandboxServer, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Convex {s.admin_key}", **extra}


async def call(
    c: httpx.AsyncClient,
    route: str,
    path: str,
    args: object,
    headers: dict[str, str] | None = None,
    fmt: str | None = ENC,
) -> dict[str, object]:
    body: dict[str, object] = {"path": path, "args": args}
    if fmt:
        body["format"] = fmt
    r = await c.post(route, json=body, headers=headers or {})
    assert r.status_code == 200, r.text
    data: dict[str, object] = r.json()
    return data


async def test_meta_routes(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    assert (await client.get("/")).text.startswith("This Convex deployment is running.")
    version = (await client.get("/version")).text
    assert version and version == (await client.get("/instance_version")).text
    assert (await client.get("/instance_name")).text == "convex-self-hosted"
    assert (await client.post("/echo", content=b"\x00hello")).content == b"\x00hello"
    missing = await client.get("/no/such/route")
    assert missing.status_code == 404 and missing.content == b""
    metrics = await client.get("/metrics")
    assert metrics.status_code == 404 and metrics.json()["code"] == "MetricsDisabled"


async def test_admin_key_contract(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    ok = await client.get("/api/check_admin_key", headers=admin(sandbox))
    assert ok.json() == {"success": True, "allowedOps": [], "isReadOnly": False}
    via_query = await client.get("/api/check_admin_key", params={"adminKey": sandbox.admin_key})
    assert via_query.status_code == 200
    bad = await client.get("/api/check_admin_key", headers={"Authorization": "Convex garbage"})
    assert bad.status_code == 401
    # Compact like serde: ConvexHttpClient shows these bytes verbatim.
    assert bad.text == (
        '{"code":"BadAdminKey","message":"The provided admin key was invalid for this instance"}'
    )
    other = "convex-self-hosted|01" + "ab" * 48
    assert (
        await client.get("/api/check_admin_key", headers={"Authorization": f"Convex {other}"})
    ).status_code == 401
    none = await client.get("/api/check_admin_key")
    assert none.status_code == 403 and none.json()["code"] == "BadDeployKey"
    short = await client.get("/api/check_admin_key", headers={"Authorization": "abc"})
    assert short.status_code == 400 and short.json()["code"] == "InvalidHeaderFailure"
    weird = await client.get("/api/check_admin_key", headers={"Authorization": "Basic abcdef"})
    assert weird.json() == {"code": "InvalidAdminKey", "message": "Invalid admin key"}
    bad_client = await client.post(
        "/api/query", json={"path": "tasks:list", "args": {}}, headers={"Convex-Client": "nonsense"}
    )
    assert bad_client.status_code == 400 and bad_client.json()["code"] == "InvalidClientVersion"


async def test_function_success_error_and_logs(
    sandbox: SandboxServer, client: httpx.AsyncClient
) -> None:
    created = await call(
        client, "/api/mutation", "tasks:create", {"title": "Write tests", "priority": 2}
    )
    assert created["status"] == "success"
    task_id = created["value"]
    assert isinstance(task_id, str) and decode_id(task_id).encode() == task_id
    assert created["logLines"] == [f"[INFO] 'Created task' '{task_id}'"]
    got = await call(client, "/api/query", "tasks:get", [{"id": task_id}])  # legacy [obj] args
    doc = got["value"]
    assert isinstance(doc, dict) and doc["title"] == "Write tests" and doc["_id"] == task_id
    assert isinstance(doc["_creationTime"], float) and "logLines" not in got  # omitted when empty

    failed = await call(client, "/api/query", "debug:fail", {})
    assert failed["status"] == "error" and "errorData" not in failed
    assert RID.match(str(failed["errorMessage"]))
    assert "Uncaught Error: Something went wrong" in str(failed["errorMessage"])
    assert failed["logLines"] == ["[ERROR] 'About to throw on purpose'"]

    convex_error = await call(client, "/api/mutation", "tasks:create", {"title": "  "})
    assert convex_error["status"] == "error"
    assert convex_error["errorData"] == {
        "code": "EMPTY_TITLE",
        "message": "Task title must not be empty",
    }
    assert "Uncaught ConvexError:" in str(convex_error["errorMessage"])

    invalid = await call(client, "/api/mutation", "tasks:create", {"nope": 1})
    assert "ArgumentValidationError: Object is missing the required field `title`" in str(
        invalid["errorMessage"]
    )
    wrong_kind = await call(client, "/api/mutation", "tasks:list", {})
    assert "Trying to execute tasks.js:list as Mutation, but it is defined as Query." in str(
        wrong_kind["errorMessage"]
    )
    bad_path = await client.post("/api/query", json={"path": "../x:y", "args": {}})
    assert bad_path.status_code == 400
    assert bad_path.json()["code"] == "BadConvexFunctionIdentifier"


async def test_visibility(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    for path in ("tasks:processTask", "_system/cli/tables", "nosuch:fn"):
        out = await call(
            client, "/api/query", path, {"paginationOpts": {"numItems": 1, "cursor": None}}
        )
        assert str(out["errorMessage"]).endswith(
            f"Could not find public function for '{path}'. Did you forget to run "
            "`npx convex dev` or `npx convex deploy`?\n"
        )
    tables = await call(
        client,
        "/api/query",
        "_system/cli/tables",
        {"paginationOpts": {"numItems": 10, "cursor": None}},
        admin(sandbox),
    )
    names = [t["name"] for t in tables["value"]["page"]]  # type: ignore[index]
    assert {"tasks", "messages", "documents", "users", "authSessions"} <= set(names)
    # An admin key may run internal functions through the typed endpoints too.
    emb = await call(
        client, "/api/action", "rag:generateQueryEmbedding", {"query": "hi"}, admin(sandbox)
    )
    assert emb["status"] == "success" and len(emb["value"]) == 8  # type: ignore[arg-type]
    missing = await call(client, "/api/function", "tasks:nope", {}, admin(sandbox))
    assert str(missing["errorMessage"]).endswith(
        "Could not find function for 'tasks:nope'. Did you forget to run `npx convex dev`?\n"
    )
    denied = await client.post("/api/function", json={"path": "tasks:list", "args": {}})
    assert denied.status_code == 403 and denied.json()["code"] == "BadDeployKey"
    any_kind = await call(
        client, "/api/function", "tasks:create", {"title": "via function"}, admin(sandbox)
    )
    assert any_kind["status"] == "success"


async def test_formats_int64_bytes(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    value = {"big": values.Int64(2**62), "raw": b"\x00\xff", "nan": float("nan"), "n": 5.0}
    encoded = values.encode(value)
    lossless = await call(client, "/api/query", "debug:echo", {"value": encoded})
    assert lossless["value"] == encoded
    clean = await call(client, "/api/query", "debug:echo", {"value": encoded}, fmt="json")
    assert clean["value"] == {"big": str(2**62), "raw": "AP8=", "nan": "NaN", "n": 5}
    default = await call(client, "/api/query", "debug:echo", {"value": encoded}, fmt=None)
    assert default["value"] == clean["value"]  # unknown client → clean JSON
    export = await call(client, "/api/query", "debug:echo", {"value": encoded}, fmt="export_json")
    assert export["value"]["big"] == 2**62  # type: ignore[index]
    bad = await client.post(
        "/api/query", json={"path": "debug:echo", "args": {"value": 1}, "format": "xml"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "BadFormat"


async def test_run_by_url_and_batch(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    r = await client.post("/api/run/messages/list", json={"args": {}})
    assert r.status_code == 200 and r.json()["status"] == "success"
    assert len(r.json()["value"]) == 20
    one = await client.post("/api/run/messages", json={"args": {}})
    assert one.status_code == 400 and one.json()["code"] == "MissingIdentifier"
    batch = await client.post(
        "/api/query_batch",
        json={
            "queries": [
                {"path": "messages:list", "args": {}},
                {"path": "debug:fail", "args": {}},
            ]
        },
    )
    results = batch.json()["results"]
    assert [x["status"] for x in results] == ["success", "error"]


async def test_acting_as_user(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    users = await call(
        client,
        "/api/query",
        "_system/cli/tableData",
        {"table": "users", "order": "asc", "paginationOpts": {"numItems": 1, "cursor": None}},
        admin(sandbox),
    )
    user_id = users["value"]["page"][0]["_id"]  # type: ignore[index]
    anon = await call(client, "/api/query", "tasks:getUserTasks", {})
    assert anon["value"] == []
    ident = base64.b64encode(
        json.dumps({"subject": f"{user_id}|session", "issuer": "https://x"}).encode()
    ).decode()
    acting = {"Authorization": f"Convex {sandbox.admin_key}:{ident}"}
    mine = await call(client, "/api/query", "tasks:getUserTasks", {}, acting)
    assert mine["value"] and all(t["userId"] == user_id for t in mine["value"])  # type: ignore


async def test_env_vars(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    h = admin(sandbox)
    r = await client.post(
        "/api/update_environment_variables",
        headers=h,
        json={"changes": [{"name": "OPENAI_API_KEY", "value": "sk"}, {"name": "B", "value": "2"}]},
    )
    assert r.status_code == 200 and r.content == b""
    listed = await client.get("/api/list_environment_variables", headers=h)
    assert listed.json() == {"environmentVariables": {"B": "2", "OPENAI_API_KEY": "sk"}}
    check = await call(client, "/api/query", "debug:checkEnv", {})
    assert check["value"]["checked"]["OPENAI_API_KEY"] is True  # type: ignore[index]
    docs = await call(client, "/api/query", "_system/cli/queryEnvironmentVariables", {}, h)
    assert [d["name"] for d in docs["value"]] == ["B", "OPENAI_API_KEY"]  # type: ignore
    got = await call(
        client, "/api/query", "_system/cli/queryEnvironmentVariables:get", {"name": "B"}, h
    )
    assert got["value"] == {"name": "B", "value": "2"}
    await client.post(
        "/api/update_environment_variables",
        headers=h,
        json={"changes": [{"name": "B", "value": None}]},
    )
    assert (
        "B"
        not in (await client.get("/api/list_environment_variables", headers=h)).json()[
            "environmentVariables"
        ]
    )
    for change, code in [
        ({"name": "1BAD", "value": "x"}, "EnvironmentVariableNameInvalid"),
        ({"name": "A" * 257, "value": "x"}, "EnvironmentVariableNameTooLong"),
        ({"name": "BIG", "value": "x" * 9000}, "EnvironmentVariableValueTooLarge"),
    ]:
        bad = await client.post(
            "/api/update_environment_variables", headers=h, json={"changes": [change]}
        )
        assert bad.status_code == 400 and bad.json()["code"] == code
    assert (await client.get("/api/list_environment_variables")).status_code == 403


async def test_shapes_indexes_schema(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    h = admin(sandbox)
    shapes = (await client.get("/api/shapes2", headers=h)).json()
    assert shapes["authVerifiers"] == {"type": "Never"}  # empty tables are listed
    fields = {f["fieldName"]: f for f in shapes["tasks"]["fields"]}
    assert fields["description"]["optional"] is True
    assert fields["userId"]["shape"] == {"type": "Id", "tableName": "users"}
    indexes = (await client.get("/api/get_indexes", headers=h)).json()["indexes"]
    assert {
        "table": "tasks",
        "name": "by_status",
        "fields": ["status"],
        "backfill": {"state": "done"},
        "staged": False,
    } in indexes
    spec = await call(client, "/api/query", "_system/cli/modules:apiSpec", {}, h)
    by_id = {s.get("identifier", s.get("path")): s for s in spec["value"]}  # type: ignore
    create = by_id["tasks.js:create"]
    assert create["functionType"] == "Mutation" and create["visibility"] == {"kind": "public"}
    assert create["args"]["value"]["title"] == {"fieldType": {"type": "string"}, "optional": False}
    assert by_id["tasks.js:processTask"]["visibility"] == {"kind": "internal"}
    assert by_id["/health"] == {"functionType": "HttpAction", "method": "GET", "path": "/health"}
    url = await call(client, "/api/query", "_system/cli/convexUrl:cloudUrl", {}, h)
    assert url["value"] == sandbox.url


async def test_log_stream(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    h = admin(sandbox, **{"Convex-Client": "npm-cli-1.29.0"})
    await call(client, "/api/query", "messages:list", {})  # so cursor=0 has something to return
    first = (await client.get("/api/stream_function_logs", params={"cursor": 0}, headers=h)).json()
    assert [e["identifier"] for e in first["entries"]] == ["messages:list"]
    cursor = first["newCursor"]
    waiter = asyncio.create_task(
        client.get("/api/app_metrics/stream_function_logs", params={"cursor": cursor}, headers=h)
    )
    await asyncio.sleep(0)  # let the poll start before the execution it waits for
    await call(client, "/api/query", "debug:fail", {})
    entries = (await waiter).json()["entries"]
    entry = next(e for e in entries if e["identifier"] == "debug:fail")
    assert entry["kind"] == "Completion" and entry["udfType"] == "Query"
    assert entry["caller"] == "HttpApi" and entry["error"].startswith("Uncaught Error")
    assert entry["logLines"][0]["level"] == "ERROR"  # structured for npm-cli
    for key in (
        "componentPath",
        "cachedResult",
        "parentExecutionId",
        "executionTime",
        "userExecutionTime",
        "success",
        "requestId",
        "executionId",
        "usageStats",
        "returnBytes",
        "occInfo",
        "willRetry",
        "executionTimestamp",
        "identityType",
        "environment",
    ):
        assert key in entry
    assert 1e9 < entry["timestamp"] < 1e11  # seconds, not ms
    plain = (
        await client.get(
            "/api/stream_function_logs", params={"cursor": cursor}, headers=admin(sandbox)
        )
    ).json()
    line = next(e for e in plain["entries"] if e["identifier"] == "debug:fail")["logLines"][0]
    assert line == "[ERROR] 'About to throw on purpose'"
    # Actions stream Progress entries and keep their Completion's logLines empty.
    await call(client, "/api/action", "rag:generateQueryEmbedding", {"query": "q"}, admin(sandbox))
    latest = (
        await client.get(
            "/api/stream_function_logs", params={"cursor": plain["newCursor"]}, headers=h
        )
    ).json()["entries"]
    kinds = [(e["kind"], e["identifier"]) for e in latest]
    assert ("Progress", "rag:generateQueryEmbedding") in kinds
    completion = [e for e in latest if e["kind"] == "Completion"][-1]
    assert completion["logLines"] == []
    assert (await client.get("/api/stream_function_logs")).status_code == 403


async def test_http_actions(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    r = await client.get("/http/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    async with httpx.AsyncClient(base_url=sandbox.site_url) as site:
        r = await site.get("/health")
        assert r.status_code == 200 and r.json()["status"] == "ok"
        assert (await site.get("/nope")).status_code == 404


async def test_empty_log_poll_returns_after_timeout() -> None:
    async with (
        SandboxServer(memory=True, seed="empty", log_poll_seconds=0.3) as s,
        httpx.AsyncClient(base_url=s.url) as c,
    ):
        r = await c.get("/api/stream_function_logs", params={"cursor": 123.5}, headers=admin(s))
    assert r.json() == {"entries": [], "newCursor": 123.5}


async def test_user_jwt_rejected_like_a_backend_without_auth_providers(
    sandbox: SandboxServer, client: httpx.AsyncClient
) -> None:
    import base64
    import json

    def b64(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    token = f"{b64({'alg': 'RS256'})}.{b64({'iss': 'https://site.example', 'sub': 'u1'})}.sig"
    resp = await client.post(
        "/api/query",
        json={"path": "tasks:getUserTasks", "args": {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 401
    assert resp.json()["code"] == "NoAuthProvider"
    assert "no providers configured" in resp.json()["message"]
    bad = await client.post(
        "/api/query", json={"path": "tasks:list", "args": {}}, headers={"Authorization": "Bearer x"}
    )
    assert bad.status_code == 401 and bad.json()["code"] == "InvalidAuthHeader"


async def test_convex_urls_are_built_in(sandbox: SandboxServer, client: httpx.AsyncClient) -> None:
    """CONVEX_CLOUD_URL / CONVEX_SITE_URL are provided to functions and cannot be set."""
    for name in ("CONVEX_SITE_URL", "CONVEX_CLOUD_URL"):
        resp = await client.post(
            "/api/update_environment_variables",
            json={"changes": [{"name": name, "value": "https://elsewhere.example"}]},
            headers=admin(sandbox),
        )
        assert resp.status_code == 400
        assert resp.json() == {
            "code": "EnvVarNameForbidden",
            "message": f'Environment variable with name "{name}" is built-in and cannot be overridden',
        }
    check = await call(client, "/api/query", "debug:checkEnv", {}, admin(sandbox))
    assert check["value"]["checked"]["CONVEX_SITE_URL"] is True  # type: ignore[index]
    listed = await client.get("/api/list_environment_variables", headers=admin(sandbox))
    assert "CONVEX_SITE_URL" not in listed.json()["environmentVariables"]
