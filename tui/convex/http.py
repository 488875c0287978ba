"""The HTTP half of the client: one ``httpx.AsyncClient``, error mapping, UDF calls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from tui.config.secret import Secret
from tui.convex import protocol
from tui.convex.errors import ConvexTransportError, scrub
from tui.convex.models import FunctionResult
from tui.convex.protocol import (
    FORMAT,
    acting_as_header,
    client_header,
    is_tls,
    new_request_id,
    normalize_url,
)

__all__ = [
    "FORMAT",
    "HttpTransport",
    "acting_as_header",
    "client_header",
    "new_request_id",
    "normalize_url",
]


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
    ) -> httpx.Response:
        """Send one request; return the 2xx response or raise a mapped transport error."""
        limit = self.timeout if timeout is None else timeout
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
                )
        except TimeoutError:
            err = protocol.transport_error("deadline", self.url, "", limit)
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
        detail = self._scrub(str(exc) or type(exc).__name__)
        return protocol.transport_error(_failure(exc), self.url, detail, limit)

    def _map_status(self, resp: httpx.Response) -> ConvexTransportError:
        return protocol.status_error(
            resp.status_code,
            resp.content,
            f"{resp.request.method} {resp.request.url.path}",
            self.url,
            has_key=self.admin_key is not None,
            scrub=self._scrub,
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
        return protocol.parse_json(resp.content, resp.request.url.path, self._scrub)

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
        body = protocol.udf_body(path, args, wrap_args=wrap_args)
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
        return protocol.udf_result(data, path, duration_ms, request_id, self._scrub)


def _failure(exc: httpx.HTTPError) -> protocol.Failure:
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "bad_url"
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect_timeout"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if is_tls(exc):
        return "tls"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "dropped"
    if isinstance(exc, httpx.DecodingError):
        return "decoding"
    return "other"
