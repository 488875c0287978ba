"""``/api/get_config_hashes`` and ``/api/deploy2/*``: what ``npx convex deploy``/``dev`` call."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import brotli
from aiohttp import web

from tui.sandbox.deploy import Pushes
from tui.sandbox.engine import DEPLOYMENT_KEY, VERSION
from tui.sandbox.http_auth import HttpFailure, json_response, parse_identity, require_admin
from tui.sandbox.node_host import HostError
from tui.sandbox.push import PushError

PUSHES_KEY: web.AppKey[Pushes] = web.AppKey("pushes", Pushes)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if request.headers.get("Content-Encoding", "").lower() == "br":
        try:
            raw = brotli.decompress(raw)
        except brotli.error:
            pass  # aiohttp already decoded it
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise HttpFailure(400, "BadJsonBody", f"Failed to parse the JSON body: {exc}") from exc
    if not isinstance(data, dict):
        raise HttpFailure(400, "BadJsonBody", "Expected a JSON object")
    return data


def _admin(request: web.Request) -> Pushes:
    require_admin(parse_identity(request.app[DEPLOYMENT_KEY], request))
    return request.app[PUSHES_KEY]


def _refusing(fn: Callable[[web.Request], Awaitable[Any]]) -> Handler:
    """Push errors become the backend's 400 ``{code, message}`` the CLI prints."""

    async def handler(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            return json_response(await fn(request))
        except (PushError, HostError) as exc:
            raise HttpFailure(400, "InvalidModules", str(exc)) from exc
        finally:  # the server's share of a push (bench/sandbox_deploy.py)
            request.app[PUSHES_KEY].server_seconds += time.perf_counter() - started

    return handler


async def get_config_hashes(request: web.Request) -> Any:
    pushes = _admin(request)
    await _body(request)
    return {
        "config": {"functions": "convex/", "authInfo": []},
        "moduleHashes": pushes.module_hashes(),
        "nodeDependencies": [],
        "udfServerVersion": VERSION,
    }


async def start_push(request: web.Request) -> Any:
    pushes = _admin(request)
    return await pushes.start(await _body(request))


async def evaluate_push(request: web.Request) -> Any:
    pushes = _admin(request)
    body = await _body(request)
    response = await pushes.start({**body, "dryRun": True})
    return {"schemaChange": response["schemaChange"]}


async def wait_for_schema(request: web.Request) -> Any:
    pushes = _admin(request)
    body = await _body(request)
    return pushes.schema_status(body.get("schemaChange") or {})


async def finish_push(request: web.Request) -> Any:
    pushes = _admin(request)
    return await pushes.finish(await _body(request))


async def report_push_completed(request: web.Request) -> Any:
    _admin(request)
    await _body(request)
    return None


def add_deploy_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/get_config_hashes", _refusing(get_config_hashes))
    r.add_post("/api/deploy2/start_push", _refusing(start_push))
    r.add_post("/api/deploy2/evaluate_push", _refusing(evaluate_push))
    r.add_post("/api/deploy2/wait_for_schema", _refusing(wait_for_schema))
    r.add_post("/api/deploy2/finish_push", _refusing(finish_push))
    r.add_post("/api/deploy2/report_push_completed", _refusing(report_push_completed))
