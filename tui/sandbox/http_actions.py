"""HTTP actions (`convex/http.ts`): served under `/http/...` and on the site port."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import TYPE_CHECKING

from tui.sandbox.context import Console, HttpRequest, HttpResult
from tui.sandbox.logs import completion_fields
from tui.sandbox.outcome import NONE, error_body

if TYPE_CHECKING:
    from tui.sandbox.engine import Deployment

NO_ROUTE = b"No matching routes found"


async def run_http_action(dep: Deployment, request: HttpRequest) -> HttpResult:
    """Route a request to the demo app's HTTP actions and log it like the backend does."""
    for route in dep.registry.http_routes:
        if route.method == request.method and route.path == request.path:
            break
    else:
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
