"""The Convex HTTP protocol without a transport: what both clients send and how they read it.

The console's async ``ConvexClient`` (httpx, tui/convex/http.py) and the twins' blocking
``ConvexHttpClient`` (http.client, tui/convex/http_client.py) share every byte of it: request
bodies and headers, the ``{code, message}`` error mapping, function results and URL checks, so
an answer reads the same whichever client got it. Standard library only.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import tui
from tui.convex import values
from tui.convex.errors import (
    BadAdminKey,
    BadRequest,
    BadUrl,
    ConvexTransportError,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    ServerError,
    Timeout,
    TlsError,
    Unreachable,
    function_error,
)
from tui.convex.results import FunctionResult, parse_log_lines

FORMAT = "convex_encoded_json"
Scrub = Callable[[str], str]


def client_header(name: str = "convex-tui") -> str:
    # Not "python-<ver>": that would hit the Python client's thresholds and legacy format (§1.5).
    return f"{name}-{tui.__version__}"


def new_request_id() -> str:
    return os.urandom(8).hex()


def acting_as_header(key: str, identity: Mapping[str, Any] | None) -> str:
    """``Convex <key>[:<base64 JSON identity>]``, as ``ConvexHttpClient.setAdminAuth`` builds it."""
    if not identity:
        return f"Convex {key}"
    encoded = base64.b64encode(json.dumps(dict(identity)).encode("utf-8")).decode("ascii")
    return f"Convex {key}:{encoded}"


def normalize_url(url: str) -> str:
    """Strip whitespace and a trailing slash; reject what cannot be a deployment URL."""
    url = url.strip().rstrip("/")
    try:
        if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
            raise ValueError("whitespace or a control character")
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number in range
    except (ValueError, TypeError) as exc:
        raise BadUrl(f"{url!r} is not a valid URL ({exc}).") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadUrl(f"{url!r} is not a deployment URL; expected http(s)://host[:port].")
    return url


def udf_body(
    path: str, args: Mapping[str, Any] | None, *, wrap_args: bool = True
) -> dict[str, Any]:
    """A function call's JSON body (``/api/function`` takes the args bare, the others in a list)."""
    encoded = values.encode(dict(args or {}))
    return {"path": path, "args": [encoded] if wrap_args else encoded, "format": FORMAT}


def json_bytes(body: Any) -> bytes:
    return json.dumps(body).encode("utf-8")


def parse_json(body: bytes, path: str, scrub: Scrub) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        text = body[:80].decode("utf-8", "replace")
        raise MalformedResponse(
            f"{path} answered with something that is not JSON: {scrub(text)!r}"
        ) from None


def status_error(
    status: int,
    body: bytes,
    where: str,
    url: str,
    *,
    has_key: bool,
    scrub: Scrub,
) -> ConvexTransportError:
    """The error for a 4xx/5xx answer: the backend's ``{code, message}`` when it sent one.

    ``where`` is ``"<METHOD> <path>"``."""
    code: str | None = None
    text = ""
    try:
        data = json.loads(body)
        if isinstance(data, dict):
            code = data.get("code") if isinstance(data.get("code"), str) else None
            text = str(data.get("message") or "")
    except (ValueError, RecursionError):
        text = body.decode("utf-8", "replace")[:300]
    text = scrub(text.strip())
    if status == 401:
        return BadAdminKey(
            text or "The admin key is not valid for this deployment.", status=status, code=code
        )
    if status == 403:
        if code == "BadDeployKey" or not text:
            msg = "This needs an admin key for this deployment" + (
                "." if has_key else " (none is configured)."
            )
        else:
            msg = text
        return PermissionDenied(msg, status=status, code=code)
    if status == 404:
        return NotFound(
            text or f"{where} does not exist here. Is {url} a Convex deployment?",
            status=status,
            code=code,
        )
    if status == 400 or 402 <= status < 500 and status != 429:
        return BadRequest(text or f"{where} was rejected ({status}).", status=status, code=code)
    return ServerError(
        f"{where} failed with HTTP {status}" + (f": {text}" if text else "."),
        status=status,
        code=code,
    )


Failure = Literal[
    "bad_url", "connect_timeout", "timeout", "deadline", "tls", "connect", "dropped", "decoding",
    "other",
]  # fmt: skip


def transport_error(kind: Failure, where: str, detail: str, limit: float) -> ConvexTransportError:
    """One wording for a failed exchange, whichever library failed: each client sorts its own
    exceptions into a ``kind``; ``detail`` is the exception's text, already scrubbed."""
    if kind == "bad_url":
        return BadUrl(f"{where} is not a usable URL ({detail}). Use http://host:port.")
    if kind == "connect_timeout":
        return Unreachable(f"Could not connect to {where} within {limit:g} s.")
    if kind == "timeout":
        return Timeout(f"{where} did not answer within {limit:g} s.")
    if kind == "deadline":
        return Timeout(f"No complete answer from {where} within {limit:g} s.")
    if kind == "tls":
        return TlsError(
            f"TLS handshake with {where} failed ({detail}). "
            "Check http:// vs https:// and the certificate."
        )
    if kind == "connect":
        return Unreachable(f"Cannot reach {where} ({detail}). Is the backend running?")
    if kind == "dropped":
        return Unreachable(f"Connection to {where} dropped ({detail}).")
    if kind == "decoding":
        return MalformedResponse(f"{where} sent an undecodable body ({detail}).")
    return Unreachable(f"Request to {where} failed ({detail}).")


def udf_result(
    data: Any, path: str, duration_ms: float, request_id: str | None, scrub: Scrub
) -> FunctionResult:
    """A ``UdfResponse`` as a result, or the FunctionError it reports."""
    if not isinstance(data, dict) or data.get("status") not in ("success", "error"):
        raise MalformedResponse(f"Unexpected reply to {path}: not a function result.")
    log_lines = parse_log_lines(data.get("logLines"))
    if data["status"] == "success" and "value" not in data:  # issue 9, defect 12
        raise MalformedResponse(f"Unexpected reply to {path}: success without a value.")
    try:
        if data["status"] == "success":
            return FunctionResult(
                value=values.decode(data.get("value")),
                log_lines=log_lines,
                duration_ms=duration_ms,
                request_id=request_id,
            )
        has_data = "errorData" in data
        err_data = values.decode(data["errorData"]) if has_data else None
    except values.ValueError_ as exc:
        raise MalformedResponse(f"{path} returned an invalid Convex value: {exc}") from None
    raise function_error(
        scrub(str(data.get("errorMessage") or "Server Error")),
        data=err_data,
        has_data=has_data,
        request_id=request_id,
        log_lines=log_lines,
        path=path,
    )


def is_tls(exc: BaseException) -> bool:
    """Whether an error (or one it was raised from) is a TLS failure."""
    import ssl

    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLError):
            return True
        cur = cur.__cause__ or cur.__context__
    text = str(exc)
    return "SSL" in text or "CERTIFICATE" in text.upper() and "VERIFY" in text.upper()
