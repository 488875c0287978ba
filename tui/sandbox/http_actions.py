"""HTTP actions (`convex/http.ts`): served under `/http/...` and on the site port."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import TYPE_CHECKING

from tui.sandbox.context import Console, HttpRequest, HttpResult
from tui.sandbox.logs import completion_fields
from tui.sandbox.outcome import NONE, error_body
from tui.sandbox.registry import HttpRoute

if TYPE_CHECKING:
    from tui.sandbox.engine import Deployment

NO_ROUTE = b"No matching routes found"


def find_route(routes: list[HttpRoute], method: str, path: str) -> HttpRoute | None:
    """An exact route first, else the longest ``prefix*`` route (``router.ts`` ``lookup``)."""
    for route in routes:
        if route.method == method and route.path == path:
            return route
    prefixes = [r for r in routes if r.method == method and r.path.endswith("*")]
    for route in sorted(prefixes, key=lambda r: len(r.path), reverse=True):
        if path.startswith(route.path[:-1]):
            return route
    return None


async def run_http_action(dep: Deployment, request: HttpRequest) -> HttpResult:
    """Route a request to the demo app's HTTP actions and log it like the backend does."""
    route = find_route(dep.registry.http_routes, request.method, request.path)
    if route is None:
        return HttpResult(404, {"content-type": "text/plain"}, NO_ROUTE)
    started = time.time()
    rid, execution_id = secrets.token_hex(8), str(uuid.uuid4())
    identifier = f"{route.method} {route.path}"
    console = Console()
    console.on_line = lambda line: dep.logs.push(
        time.time(),
        {
            "kind": "Progress",
            "udfType": "HttpAction",
            "componentPath": None,
            "identifier": identifier,
            "requestId": rid,
            "executionId": execution_id,
        },
        (line,),
    )
    error: str | None = None
    try:
        res: HttpResult = await route.handler(console, request, dep)
    except Exception as exc:
        error = error_body(None, exc)
        res = HttpResult(500, {"content-type": "text/plain"}, error.encode())
    dep.logs.push(
        time.time(),
        completion_fields(
            "HttpAction",
            identifier,
            "HttpEndpoint",
            started,
            rid,
            execution_id,
            None,
            NONE,
            error,
            {"status": str(res.status)},
            float(len(res.body)),
        ),
        (),
    )
    return res
