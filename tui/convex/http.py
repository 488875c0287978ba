"""The HTTP half of the client: one ``httpx.AsyncClient``, error mapping, UDF calls."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

import tui
from tui.config.secret import Secret
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
    scrub,
)
from tui.convex.models import FunctionResult, parse_log_lines

FORMAT = "convex_encoded_json"


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


class HttpTransport:
    """Requests with Convex error mapping. Reports success/failure to ``on_http``."""

    def __init__(
        self,
        url: str,
        admin_key: Secret | None,
        *,
        timeout: float,
        client_name: str,
        on_http: Callable[[bool, str | None], None] | None = None,
    ) -> None:
        self.url = normalize_url(url)
        self.admin_key = admin_key
        self.timeout = timeout
        self._on_http = on_http
        headers = {"Convex-Client": client_header(client_name)}
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=8, keepalive_expiry=30.0),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------ low level

    def _auth(self, identity: Mapping[str, Any] | None = None) -> dict[str, str]:
        if self.admin_key is None:
            return {}
        return {"Authorization": acting_as_header(self.admin_key.reveal(), identity)}

    def _scrub(self, text: str) -> str:
        return scrub(text, self.admin_key.reveal() if self.admin_key else None)

    def _report(self, ok: bool, error: str | None = None) -> None:
        if self._on_http is not None:
            self._on_http(ok, error)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        identity: Mapping[str, Any] | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> httpx.Response:
        """Send one request; return the 2xx response or raise a mapped transport error.
        ``on_sent`` is called once the request is on the wire (before its answer)."""
        limit = self.timeout if timeout is None else timeout
        extensions: dict[str, Any] = {}
        if on_sent is not None:

            async def trace(event: str, info: Any) -> None:  # httpcore's trace extension
                if event.endswith("send_request_body.complete"):
                    on_sent()

            extensions["trace"] = trace
        all_headers = self._auth(identity)
        if headers:
            all_headers.update(headers)
        try:
            # The outer deadline also catches a body that trickles in forever.
            async with asyncio.timeout(limit):
                resp = await self._http.request(
                    method,
                    path,
                    json=json_body,
                    params=params,
                    headers=all_headers,
                    timeout=httpx.Timeout(limit),
                    extensions=extensions or None,
                )
        except TimeoutError:
            err: ConvexTransportError = Timeout(
                f"No complete answer from {self.url} within {limit:g} s."
            )
            self._report(False, err.message)
            raise err from None
        except httpx.HTTPError as exc:
            err = self._map_exception(exc, limit)
            self._report(False, err.message)
            raise err from None
        self._report(True)
        if resp.status_code >= 400:
            raise self._map_status(resp)
        return resp

    def _map_exception(self, exc: httpx.HTTPError, limit: float) -> ConvexTransportError:
        where = self.url
        detail = self._scrub(str(exc) or type(exc).__name__)
        if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
            return BadUrl(f"{where} is not a usable URL ({detail}). Use http://host:port.")
        if isinstance(exc, httpx.ConnectTimeout):
            return Unreachable(f"Could not connect to {where} within {limit:g} s.")
        if isinstance(exc, httpx.TimeoutException):
            return Timeout(f"{where} did not answer within {limit:g} s.")
        if _is_tls(exc):
            return TlsError(
                f"TLS handshake with {where} failed ({detail}). "
                "Check http:// vs https:// and the certificate."
            )
        if isinstance(exc, httpx.ConnectError):
            return Unreachable(f"Cannot reach {where} ({detail}). Is the backend running?")
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            return Unreachable(f"Connection to {where} dropped ({detail}).")
        if isinstance(exc, httpx.DecodingError):
            return MalformedResponse(f"{where} sent an undecodable body ({detail}).")
        return Unreachable(f"Request to {where} failed ({detail}).")

    def _map_status(self, resp: httpx.Response) -> ConvexTransportError:
        status = resp.status_code
        code: str | None = None
        text = ""
        try:
            body = resp.json()
            if isinstance(body, dict):
                code = body.get("code") if isinstance(body.get("code"), str) else None
                text = str(body.get("message") or "")
        except ValueError:
            text = resp.text[:300]
        text = self._scrub(text.strip())
        where = f"{resp.request.method} {resp.request.url.path}"
        if status == 401:
            return BadAdminKey(
                text or "The admin key is not valid for this deployment.", status=status, code=code
            )
        if status == 403:
            if code == "BadDeployKey" or not text:
                msg = "This needs an admin key for this deployment" + (
                    " (none is configured)." if self.admin_key is None else "."
                )
            else:
                msg = text
            return PermissionDenied(msg, status=status, code=code)
        if status == 404:
            return NotFound(
                text or f"{where} does not exist here. Is {self.url} a Convex deployment?",
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

    async def get_text(self, path: str) -> str:
        resp = await self.request("GET", path)
        return resp.text.strip()

    async def get_json(
        self, path: str, params: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> Any:
        resp = await self.request("GET", path, params=params, timeout=timeout)
        return self.parse_json(resp)

    async def post_json(self, path: str, body: Any) -> Any:
        """POST; an empty 200 body is returned as None (several admin endpoints do that)."""
        resp = await self.request("POST", path, json_body=body)
        if not resp.content.strip():
            return None
        return self.parse_json(resp)

    def parse_json(self, resp: httpx.Response) -> Any:
        try:
            return json.loads(resp.content)
        except (ValueError, RecursionError):
            raise MalformedResponse(
                f"{resp.request.url.path} answered with something that is not JSON: "
                f"{self._scrub(resp.text[:80])!r}"
            ) from None

    # ------------------------------------------------------------ functions

    async def call_udf(
        self,
        endpoint: str,
        path: str,
        args: Mapping[str, Any] | None,
        *,
        identity: Mapping[str, Any] | None = None,
        wrap_args: bool = True,
    ) -> FunctionResult:
        """POST a function call and turn the ``UdfResponse`` into a result or FunctionError."""
        encoded_args = values.encode(dict(args or {}))
        body = {
            "path": path,
            "args": [encoded_args] if wrap_args else encoded_args,
            "format": FORMAT,
        }
        request_id = new_request_id()
        started = time.perf_counter()
        resp = await self.request(
            "POST",
            endpoint,
            json_body=body,
            headers={"Convex-Request-Id": request_id},
            identity=identity,
        )
        duration_ms = (time.perf_counter() - started) * 1000.0
        data = self.parse_json(resp)
        return self.udf_result(data, path, duration_ms, request_id)

    def udf_result(
        self, data: Any, path: str, duration_ms: float, request_id: str | None
    ) -> FunctionResult:
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
            self._scrub(str(data.get("errorMessage") or "Server Error")),
            data=err_data,
            has_data=has_data,
            request_id=request_id,
            log_lines=log_lines,
            path=path,
        )


def _is_tls(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLError):
            return True
        cur = cur.__cause__ or cur.__context__
    text = str(exc)
    return "SSL" in text or "CERTIFICATE" in text.upper() and "VERIFY" in text.upper()


def normalize_url(url: str) -> str:
    """Strip whitespace and a trailing slash; reject what cannot be a deployment URL."""
    url = url.strip().rstrip("/")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise BadUrl(f"{url!r} is not a valid URL ({exc}).") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise BadUrl(f"{url!r} is not a deployment URL; expected http(s)://host[:port].")
    return url
