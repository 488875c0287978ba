"""The API port's HTTP routes (reference §0–§8)."""

from __future__ import annotations

import base64
import json
import logging
import math
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tui.convex import values
from tui.convex.ids import InvalidId, decode_id
from tui.sandbox import env as env_store
from tui.sandbox import scheduler
from tui.sandbox.audit import audit_env_changes
from tui.sandbox.context import HttpRequest
from tui.sandbox.engine import DEPLOYMENT_KEY, VERSION, Deployment, Identity, Outcome
from tui.sandbox.http_actions import NO_ROUTE, run_http_action
from tui.sandbox.http_auth import (
    HttpFailure,
    client_version,
    json_response,
    parse_identity,
    require_admin,
)
from tui.sandbox.registry import BadPath, Kind, bad_path_message, parse_udf_path
from tui.sandbox.search import search_fields
from tui.sandbox.shapes import table_shapes

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOG_POLL_KEY = web.AppKey("log_poll_seconds", float)
RUNNING = "This Convex deployment is running. See https://docs.convex.dev/."


def _dep(request: web.Request) -> Deployment:
    return request.app[DEPLOYMENT_KEY]


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """HttpFailure → ``{code, message}``; unknown routes → empty 404 like axum."""
    try:
        return await handler(request)
    except HttpFailure as exc:
        return exc.response()
    except web.HTTPNotFound:
        return web.Response(status=404)
    except web.HTTPMethodNotAllowed:
        return web.Response(status=405)
    except web.HTTPRequestEntityTooLarge as exc:
        return HttpFailure(413, "PayloadTooLarge", exc.text or "Request body too large").response()
    except (values.ValueError_, RecursionError) as exc:  # malformed input found deep inside
        return HttpFailure(400, "BadJsonBody", f"Invalid value: {exc}").response()
    except Exception:  # noqa: BLE001 - the backend's shape, never aiohttp's text 500
        log.exception("sandbox: unhandled error on %s", request.path)
        return HttpFailure(
            500, "InternalServerError", "Your request couldn't be completed. Try again later."
        ).response()


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read() or b"null", parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:
        raise HttpFailure(400, "BadJsonBody", f"Failed to parse the JSON body: {exc}") from exc


def _not_json(name: str) -> Any:
    # Python's json takes NaN/Infinity; serde_json (the backend) does not.
    raise ValueError(f"{name} is not valid JSON")


def _u64(ts: int) -> str:
    return base64.b64encode(struct.pack("<Q", ts)).decode()


# --- meta --------------------------------------------------------------------------------


async def root(request: web.Request) -> web.Response:
    return web.Response(text=RUNNING)


async def version(request: web.Request) -> web.Response:
    return web.Response(text=VERSION)


async def instance_name(request: web.Request) -> web.Response:
    return web.Response(text=_dep(request).instance_name)


async def echo(request: web.Request) -> web.Response:
    return web.Response(
        body=await request.read(), content_type=request.content_type or "application/octet-stream"
    )


async def metrics(request: web.Request) -> web.Response:
    raise HttpFailure(404, "MetricsDisabled", "/metrics endpoint disabled")


async def check_admin_key(request: web.Request) -> web.Response:
    require_admin(parse_identity(_dep(request), request))
    return json_response({"success": True, "allowedOps": [], "isReadOnly": False})


async def deployment_info(request: web.Request) -> web.Response:
    require_admin(parse_identity(_dep(request), request))
    return json_response({"kind": "selfHosted"})


async def canonical_urls(request: web.Request) -> web.Response:
    dep = _dep(request)
    require_admin(parse_identity(dep, request))
    return json_response({"convexCloudUrl": dep.cloud_url, "convexSiteUrl": dep.site_url})


# --- functions -----------------------------------------------------------------------------


def udf_response(outcome: Outcome, fmt: str) -> dict[str, Any]:
    if outcome.success:
        body: dict[str, Any] = {"status": "success", "value": values.export(outcome.value, fmt)}
    else:
        body = {"status": "error", "errorMessage": outcome.error_message}
        if outcome.has_error_data:
            body["errorData"] = values.export(outcome.error_data, fmt)
    if outcome.log_lines:
        body["logLines"] = outcome.log_lines
    return body


def _parse_call(body: Any, default_format: str) -> tuple[Any, dict[str, Any], str]:
    if not isinstance(body, dict):
        raise HttpFailure(400, "BadJsonBody", "Expected a JSON object body")
    fmt = body.get("format") or default_format
    if fmt not in values.OUTPUT_FORMATS:
        raise HttpFailure(400, "BadFormat", f"Invalid format: {fmt}")
    raw = body.get("args", {})
    if isinstance(raw, list):
        if len(raw) != 1:
            raise HttpFailure(400, "InvalidArgs", "Expected exactly one argument object")
        raw = raw[0]
    try:
        args = values.decode(raw if raw is not None else {})
    except values.ValueError_ as exc:
        raise HttpFailure(400, "InvalidArgs", f"Invalid args: {exc}") from exc
    if not isinstance(args, dict):
        raise HttpFailure(400, "InvalidArgs", "Function arguments must be an object")
    return body.get("path"), args, fmt


async def _run(
    request: web.Request,
    path: Any,
    args: dict[str, Any],
    fmt: str,
    kind: Kind | None,
    identity: Identity,
) -> dict[str, Any]:
    if not isinstance(path, str):
        raise HttpFailure(400, "BadJsonBody", "Missing field `path`")
    try:
        parse_udf_path(path)
    except BadPath as exc:
        raise HttpFailure(400, "BadConvexFunctionIdentifier", bad_path_message(path)) from exc
    outcome = await _dep(request).run_function(
        path,
        args,
        identity=identity,
        kind=kind,
        caller="HttpApi",
        request_id=request.headers.get("Convex-Request-Id"),
    )
    return udf_response(outcome, fmt)


def function_handler(kind: Kind | None, admin_only: bool = False) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        dep = _dep(request)
        identity = parse_identity(dep, request)
        if admin_only:
            require_admin(identity)
        client = client_version(request)
        if request.method == "GET":
            try:
                raw_args = json.loads(request.query.get("args", "{}"))
            except (ValueError, RecursionError) as exc:
                raise HttpFailure(400, "InvalidArgs", "args must be JSON") from exc
            body: Any = {
                "path": request.query.get("path"),
                "args": raw_args,
                "format": request.query.get("format"),
            }
        else:
            body = await _json_body(request)
        path, args, fmt = _parse_call(body, client.default_format())
        return json_response(await _run(request, path, args, fmt, kind, identity))

    return handle


async def run_by_url(request: web.Request) -> web.Response:
    dep = _dep(request)
    identity = parse_identity(dep, request)
    client_version(request)
    segments = [s for s in request.match_info["path"].split("/") if s]
    if len(segments) < 2:
        raise HttpFailure(400, "MissingIdentifier", "Expected a path like /api/run/module/function")
    path = "/".join(segments[:-1]) + ":" + segments[-1]
    body = await _json_body(request)
    _p, args, fmt = _parse_call(body or {}, "json")
    return json_response(await _run(request, path, args, fmt, None, identity))


async def query_batch(request: web.Request) -> web.Response:
    dep = _dep(request)
    identity = parse_identity(dep, request)
    client = client_version(request)
    body = await _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("queries"), list):
        raise HttpFailure(400, "BadJsonBody", "Missing field `queries`")
    results = []
    for item in body["queries"]:
        path, args, fmt = _parse_call(item, client.default_format())
        results.append(await _run(request, path, args, fmt, "query", identity))
    return json_response({"results": results})


async def query_ts(request: web.Request) -> web.Response:
    parse_identity(_dep(request), request)
    return json_response({"ts": _u64(_dep(request).current_ts)})


# --- dashboard ------------------------------------------------------------------------------


async def shapes2(request: web.Request) -> web.Response:
    dep = _dep(request)
    require_admin(parse_identity(dep, request))
    return json_response(await dep.read(lambda conn: table_shapes(dep.storage, conn)))


async def get_indexes(request: web.Request) -> web.Response:
    dep = _dep(request)
    require_admin(parse_identity(dep, request))
    indexes = [
        {
            "table": table,
            "name": name,
            "fields": list(fields),
            "backfill": {"state": "done"},
            "staged": False,
        }
        for table, tdef in dep.registry.tables.items()
        for name, fields in tdef.indexes
    ]
    indexes += [  # search indexes: `fields` is {searchField, filterFields} (schema.rs)
        {"table": s.table, "name": s.name, "fields": search_fields(s), "backfill": {"state": "done"},
         "staged": False}
        for searches in dep.storage.catalog.searches.values()
        for s in searches
    ]  # fmt: skip
    return json_response({"indexes": indexes})


# --- env vars -------------------------------------------------------------------------------


async def list_env(request: web.Request) -> web.Response:
    dep = _dep(request)
    require_admin(parse_identity(dep, request))
    return json_response({"environmentVariables": dict(sorted(dep.env.items()))})


async def update_env(request: web.Request) -> web.Response:
    dep = _dep(request)
    require_admin(parse_identity(dep, request))
    body = await _json_body(request)
    try:
        changes = env_store.validate_changes(body)
        before = dict(dep.env)
        await dep.update_env(changes)
        audit_env_changes(dep, before, changes)
    except env_store.EnvError as exc:
        raise HttpFailure(400, exc.code, exc.message) from exc
    return web.Response(status=200)


# --- scheduled functions (§12.1, `scheduling.rs`; both need WriteData) -------------------------


async def cancel_job(request: web.Request) -> web.Response:
    dep = _dep(request)
    require_admin(parse_identity(dep, request))
    body = await _json_body(request)
    job = body.get("id") if isinstance(body, dict) else None
    if not isinstance(job, str):
        raise HttpFailure(400, "BadJsonBody", "Missing field `id`")
    invalid = HttpFailure(400, "InvalidId", f"Invalid ID for table {scheduler.JOBS_TABLE}")
    try:
        number = decode_id(job).table_number
    except InvalidId as exc:
        raise invalid from exc
    if number != scheduler.JOBS_TABLE_NUMBER:
        raise invalid
    await dep.scheduler.cancel(scheduler.job_id_for(job))
    return web.Response(status=200)


async def cancel_all_jobs(request: web.Request) -> web.Response:
    dep = _dep(request)
    require_admin(parse_identity(dep, request))
    body = await _json_body(request)
    # serde's CancelAllJobsRequest: an object whose optional udfPath is a string.
    if not isinstance(body, dict):
        raise HttpFailure(400, "BadJsonBody", "Expected a JSON object body")
    path = body.get("udfPath")
    if path is not None and not isinstance(path, str):
        raise HttpFailure(400, "BadJsonBody", "udfPath: expected a string")
    try:
        udf_path = None if path is None else scheduler.canonical(str(path))
    except BadPath as exc:
        raise HttpFailure(
            400, "InvaildUdfPath", "CancelAllJobs requires an optional canonicalized UdfPath"
        ) from exc
    await dep.scheduler.cancel_all(udf_path)
    return web.Response(status=200)


# --- logs -------------------------------------------------------------------------------------


async def stream_logs(request: web.Request) -> web.Response:
    dep = _dep(request)
    require_admin(parse_identity(dep, request))
    client = client_version(request)
    try:
        cursor = float(request.query.get("cursor", "0"))
        if not math.isfinite(cursor):
            raise ValueError("not finite")
    except ValueError as exc:
        raise HttpFailure(400, "InvalidCursor", "cursor must be a number") from exc
    timeout = request.app.get(LOG_POLL_KEY, 60.0)
    entries = await dep.logs.wait_after(cursor, timeout)
    rendered = [e.render(client.structured_logs) for e in entries]
    new_cursor = entries[-1].timestamp * 1000 if entries else cursor
    return json_response({"entries": rendered, "newCursor": new_cursor})


# --- HTTP actions and sync ------------------------------------------------------------------------


async def http_action(request: web.Request, path: str) -> web.Response:
    dep = _dep(request)
    result = await run_http_action(
        dep,
        HttpRequest(
            request.method,
            path,
            dict(request.query),
            dict(request.headers),
            await request.read(),
        ),
    )
    return web.Response(status=result.status, headers=result.headers, body=result.body)


async def http_prefixed(request: web.Request) -> web.Response:
    response = await http_action(request, "/" + request.match_info["tail"])
    if response.status == 404 and response.body == NO_ROUTE:
        # On the API port the backend answers in its error shape.
        raise HttpFailure(404, "NoMatchingRoute", NO_ROUTE.decode())
    return response


async def sync(request: web.Request) -> web.StreamResponse:
    try:
        from tui.sandbox.sync import handle_sync
    except ImportError:
        return web.Response(status=501, text="sync is not available")
    return await handle_sync(request)


def add_api_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", root)
    r.add_get("/version", version)
    r.add_get("/instance_version", version)
    r.add_get("/instance_name", instance_name)
    r.add_post("/echo", echo)
    r.add_get("/metrics", metrics)
    r.add_get("/api/check_admin_key", check_admin_key)
    r.add_get("/api/v1/deployment_info", deployment_info)
    r.add_get("/api/v1/get_canonical_urls", canonical_urls)
    r.add_post("/api/query", function_handler("query"))
    r.add_get("/api/query", function_handler("query"))
    r.add_post("/api/query_at_ts", function_handler("query"))
    r.add_post("/api/query_ts", query_ts)
    r.add_post("/api/mutation", function_handler("mutation"))
    r.add_post("/api/action", function_handler("action"))
    r.add_post("/api/function", function_handler(None, admin_only=True))
    r.add_post("/api/run/{path:.+}", run_by_url)
    r.add_post("/api/query_batch", query_batch)
    r.add_get("/api/shapes2", shapes2)
    r.add_get("/api/get_indexes", get_indexes)
    for prefix in ("/api", "/api/v1"):
        r.add_get(f"{prefix}/list_environment_variables", list_env)
        r.add_post(f"{prefix}/update_environment_variables", update_env)
    r.add_post("/api/cancel_job", cancel_job)
    r.add_post("/api/cancel_all_jobs", cancel_all_jobs)
    r.add_get("/api/stream_function_logs", stream_logs)
    r.add_get("/api/app_metrics/stream_function_logs", stream_logs)
    r.add_get("/api/sync", sync)
    r.add_get("/api/{client_version}/sync", sync)
    r.add_route("*", "/http/{tail:.*}", http_prefixed)


def add_site_routes(app: web.Application) -> None:
    async def site(request: web.Request) -> web.Response:
        return await http_action(request, "/" + request.match_info["tail"])

    app.router.add_route("*", "/{tail:.*}", site)
