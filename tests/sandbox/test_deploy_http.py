"""The deploy endpoints' contract without the CLI: auth, brotli bodies, refusals, dry runs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import brotli
import httpx
import pytest

from tui.sandbox.server import SandboxServer

MODULE = (
    "export const hello = { isQuery: true, isPublic: true, "
    "exportArgs: () => JSON.stringify({type: 'object', value: {}}), exportReturns: () => 'null', "
    "invokeQuery: async () => JSON.stringify('hi') };\n"
)


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=60) as c:
        yield c


def push_body(key: str, dry: bool, **extra: Any) -> dict[str, Any]:
    return {
        "adminKey": key,
        "dryRun": dry,
        "functions": "convex/",
        "appDefinition": {
            "definition": None,
            "dependencies": [],
            "schema": None,
            "changedModules": [{"path": "hello.js", "source": MODULE, "environment": "isolate"}],
            "unchangedModuleHashes": [],
            "udfServerVersion": "1.48.0",
        },
        "componentDefinitions": [],
        "nodeDependencies": [],
        **extra,
    }


async def post_br(
    client: httpx.AsyncClient, path: str, body: Any, key: str | None
) -> httpx.Response:
    headers = {"Content-Encoding": "br", "Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Convex {key}"
    return await client.post(
        path, content=brotli.compress(json.dumps(body).encode()), headers=headers
    )


async def test_deploy_needs_the_admin_key(client: httpx.AsyncClient) -> None:
    res = await client.post("/api/get_config_hashes", json={"version": "1.48.0"})
    assert res.status_code == 403 and res.json()["code"] == "BadDeployKey"


async def test_components_are_refused_by_name(
    sandbox: SandboxServer, client: httpx.AsyncClient
) -> None:
    key = sandbox.admin_key
    body = push_body(key, False, componentDefinitions=[{"definitionPath": "x"}])
    res = await post_br(client, "/api/deploy2/start_push", body, key)
    assert res.status_code == 400
    assert (
        "Components (app.use(...) in convex/convex.config.ts) are not supported"
        in res.json()["message"]
    )


@pytest.mark.peers
async def test_dry_run_then_real_push_over_brotli(
    sandbox: SandboxServer, client: httpx.AsyncClient
) -> None:
    from tests.sandbox.deploy_fixtures import require_node

    require_node()
    key = sandbox.admin_key
    dry = await post_br(client, "/api/deploy2/start_push", push_body(key, True), key)
    assert dry.status_code == 200, dry.text
    analysis = dry.json()["analysis"][""]["functions"]["hello.js"]["functions"]
    assert analysis == [
        {
            "name": "hello",
            "pos": None,
            "udfType": "Query",
            "visibility": {"kind": "public"},
            "args": '{"type":"object","value":{}}',
            "returns": "null",
        }
    ]
    finish = {"adminKey": key, "startPush": dry.json(), "dryRun": True, "message": None}
    assert (await post_br(client, "/api/deploy2/finish_push", finish, key)).status_code == 200
    # Nothing changed: the demo app still answers, hello does not exist.
    hashes = (await client.post("/api/get_config_hashes", json={}, headers=_h(key))).json()
    assert hashes["moduleHashes"] == []
    missing = await client.post("/api/query", json={"path": "hello:hello", "args": {}})
    assert missing.json()["status"] == "error"

    real = await post_br(client, "/api/deploy2/start_push", push_body(key, False), key)
    change = real.json()["schemaChange"]
    wait = {"adminKey": key, "schemaChange": change, "timeoutMs": 1000, "dryRun": False}
    status = await client.post("/api/deploy2/wait_for_schema", json=wait, headers=_h(key))
    assert status.json() == {"type": "complete"}
    finish = {"adminKey": key, "startPush": real.json(), "dryRun": False, "message": None}
    done = await post_br(client, "/api/deploy2/finish_push", finish, key)
    assert done.json()["componentDiffs"][""]["moduleDiff"]["added"] == ["hello.js"]
    hello = await client.post("/api/query", json={"path": "hello:hello", "args": {}})
    assert hello.json()["value"] == "hi"
    # The same push id cannot finish twice.
    again = await post_br(client, "/api/deploy2/finish_push", finish, key)
    assert again.status_code == 400
    report = {"adminKey": key, "spans": []}
    assert (await post_br(client, "/api/deploy2/report_push_completed", report, key)).json() is None


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Convex {key}"}
