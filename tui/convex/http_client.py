"""``ConvexHttpClient``: the blocking HTTP client of the headless twins (like npm's
``ConvexHttpClient``), on the standard library.

The same protocol as the console's async ``ConvexClient`` (tui/convex/protocol.py, wire.py):
the same bodies, headers, errors and messages, and the same write guard. It exists because a
twin sends a request or two, and importing httpx and asyncio cost more than that (issue 19)::

    with ConvexHttpClient(url, Secret(key)) as client:
        print(client.query("messages:list").value)
"""

from __future__ import annotations

import contextlib
import http.client
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tui.config.secret import Secret
from tui.convex import protocol, wire
from tui.convex.errors import (
    BadAdminKey,
    ConvexTransportError,
    FunctionError,
    FunctionNotFound,
    PermissionDenied,
    scrub,
)
from tui.convex.protocol import acting_as_header, client_header, new_request_id, normalize_url
from tui.convex.results import FunctionResult
from tui.net.http import AnswerTimeout, ConnectTimeout, HttpSession, Pending, Reply
from tui.safety.guard import WriteGuard, WriteKind, WriteRequest

if TYPE_CHECKING:
    from tui.convex.logcursor import ErrorListener
    from tui.convex.logtail import LogTail
    from tui.convex.models import AdminKeyStatus, FunctionSpec, IndexInfo, TableInfo


class ConvexHttpClient:
    def __init__(
        self,
        url: str,
        admin_key: Secret | None,
        *,
        timeout: float = 30.0,
        client_name: str = "convex-tui",
        guard: WriteGuard | None = None,
    ) -> None:
        self.url = normalize_url(url)
        self.admin_key = admin_key
        self.timeout = timeout
        # Every write below asks the one guard first (tui.safety.guard); the default allows all.
        self.guard = guard or WriteGuard()
        parts = urlsplit(self.url)
        self._prefix = parts.path
        self._session = HttpSession(
            f"{parts.scheme}://{parts.netloc}",
            headers={"Convex-Client": client_header(client_name)},
            timeout=timeout,
        )

    def __enter__(self) -> ConvexHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    # ------------------------------------------------------------ low level

    def _scrub(self, text: str) -> str:
        return scrub(text, self.admin_key.reveal() if self.admin_key else None)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        identity: Mapping[str, Any] | None = None,
    ) -> Reply:
        """Send one request; return the 2xx answer or raise a mapped transport error."""
        limit = self.timeout if timeout is None else timeout
        all_headers = self._headers(identity, headers)
        body = None
        if json_body is not None:
            body = protocol.json_bytes(json_body)
            all_headers["Content-Type"] = "application/json"
        with self._mapped(limit):
            reply = self._session.request(
                method, self._prefix + path, body=body, params=params, headers=all_headers,
                timeout=limit,
            )  # fmt: skip
        return self._checked(reply)

    def begin_get_json(
        self, path: str, params: Mapping[str, str] | None = None, *,
        headers: Mapping[str, str] | None = None, timeout: float | None = None,
    ) -> PendingJson:  # fmt: skip
        """Send a GET now; read its JSON answer later (a long poll answered while the caller
        hands over the last one). Errors are mapped as ``request`` maps them."""
        limit = self.timeout if timeout is None else timeout
        with self._mapped(limit):
            pending = self._session.begin(
                "GET", self._prefix + path, params=params,
                headers=self._headers(None, headers), timeout=limit,
            )  # fmt: skip
        return PendingJson(self, pending, limit)

    def _headers(
        self, identity: Mapping[str, Any] | None, extra: Mapping[str, str] | None
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.admin_key is not None:
            out["Authorization"] = acting_as_header(self.admin_key.reveal(), identity)
        out.update(extra or {})
        return out

    @contextlib.contextmanager
    def _mapped(self, limit: float) -> Iterator[None]:
        """The standard library's failures as the protocol's transport errors (scrubbed)."""
        try:
            yield
        except (OSError, http.client.HTTPException) as exc:
            detail = self._scrub(str(exc) or type(exc).__name__)
            raise protocol.transport_error(_failure(exc), self.url, detail, limit) from None

    def _checked(self, reply: Reply) -> Reply:
        if reply.status >= 400:
            raise protocol.status_error(
                reply.status, reply.body, f"{reply.method} {reply.path}", self.url,
                has_key=self.admin_key is not None, scrub=self._scrub,
            )  # fmt: skip
        return reply

    def parse_json(self, reply: Reply) -> Any:
        return protocol.parse_json(reply.body, reply.path, self._scrub)

    def get_text(self, path: str, *, timeout: float | None = None) -> str:
        return self.request("GET", path, timeout=timeout).text.strip()

    def get_json(
        self, path: str, params: Mapping[str, str] | None = None, *,
        headers: Mapping[str, str] | None = None, timeout: float | None = None,
    ) -> Any:  # fmt: skip
        reply = self.request("GET", path, params=params, headers=headers, timeout=timeout)
        return self.parse_json(reply)

    def post_json(self, path: str, body: Any) -> Any:
        """POST; an empty 200 body is returned as None (several admin endpoints do that)."""
        reply = self.request("POST", path, json_body=body)
        return self.parse_json(reply) if reply.body.strip() else None

    # ------------------------------------------------------------ meta

    def version(self, *, timeout: float | None = None) -> str:
        return self.get_text("/version", timeout=timeout)

    def check_admin_key(self) -> AdminKeyStatus:
        """Never raises for a bad key: 401/403 come back as ``valid=False``."""
        from tui.convex.models import AdminKeyStatus  # the models load on first use

        if self.admin_key is None:
            return AdminKeyStatus(False, (), True)
        try:
            return wire.key_status(self.get_json(wire.CHECK_ADMIN_KEY))
        except (BadAdminKey, PermissionDenied):
            return AdminKeyStatus(False, (), True)

    # ------------------------------------------------------------ functions

    def call_udf(
        self,
        endpoint: str,
        path: str,
        args: Mapping[str, Any] | None,
        *,
        identity: Mapping[str, Any] | None = None,
        wrap_args: bool = True,
    ) -> FunctionResult:
        body = protocol.udf_body(path, args, wrap_args=wrap_args)
        request_id = new_request_id()
        started = time.perf_counter()
        reply = self.request("POST", endpoint, json_body=body, identity=identity,
                             headers={"Convex-Request-Id": request_id})  # fmt: skip
        duration_ms = (time.perf_counter() - started) * 1000.0
        data = self.parse_json(reply)
        return protocol.udf_result(data, path, duration_ms, request_id, self._scrub)

    def query(
        self, path: str, args: Mapping[str, Any] | None = None, *,
        identity: Mapping[str, Any] | None = None,
    ) -> FunctionResult:  # fmt: skip
        return self.call_udf("/api/query", path, args, identity=identity)

    def run_function(
        self, path: str, args: Mapping[str, Any] | None = None, *,
        identity: Mapping[str, Any] | None = None,
    ) -> FunctionResult:  # fmt: skip
        """Any function type, internal ones included (``/api/function``, like ``npx convex run``).

        Read-only: sent to ``/api/query`` instead, so the backend itself refuses a mutation or an
        action (nothing is written) while queries still work (as ``ConvexClient.run_function``)."""
        if not self.guard.functions_as_query:
            return self.call_udf("/api/function", path, args, identity=identity, wrap_args=False)
        try:
            return self.call_udf("/api/query", path, args, identity=identity)
        except FunctionNotFound as exc:
            raise self.guard.refusal_for(path, exc.message) or exc from None

    def _value(self, path: str, args: Mapping[str, Any] | None = None) -> Any:
        try:
            return self.query(path, args).value
        except FunctionError as exc:
            raise wire.missing_key(self.admin_key, path) or exc from None

    def list_functions(self) -> list[FunctionSpec]:
        return wire.function_specs(self._value(wire.API_SPEC, {}))

    # ------------------------------------------------------------ data (read only)

    def table_names(self) -> dict[str, int | None]:
        """User table name → table number (None from older backends), without counts."""
        try:
            return wire.user_tables(wire.table_numbers(self._value(wire.TABLE_MAPPING, {})))
        except FunctionNotFound:
            page = self._value(wire.CLI_TABLES, {"paginationOpts": wire.page_opts(1000, None)})
            return wire.cli_tables(page)

    def list_tables(self) -> list[TableInfo]:
        """User tables with their document counts (one request each, on one connection)."""
        from tui.convex.models import TableInfo

        names = self.table_names()
        out = []
        for name in sorted(names):
            try:
                count = wire.table_count(self._value(wire.TABLE_SIZE, {"tableName": name}))
            except FunctionError:
                count = None
            out.append(TableInfo(name, count, names[name]))
        return out

    def shapes(self) -> dict[str, Any]:
        return wire.user_shapes(self.get_json(wire.SHAPES))

    def indexes(self, table: str) -> list[IndexInfo]:
        try:
            raw = self._value(wire.INDEXES, {"tableName": table, "tableNamespace": None})
        except FunctionNotFound:
            return wire.table_indexes(self.get_json(wire.GET_INDEXES), table, legacy=True)
        return wire.table_indexes(raw, table)

    def schema(self) -> dict[str, Any] | None:
        return wire.active_schema(self._value(wire.SCHEMAS, {}))

    # ------------------------------------------------------------ environment variables

    def list_env(self) -> dict[str, str]:
        return wire.env_vars(self.get_json(wire.LIST_ENV))

    def stream_logs(
        self, cursor: float = 0.0, *, history: bool | int = False,
        on_error: ErrorListener | None = None,
    ) -> LogTail:  # fmt: skip
        """Iterate :class:`LogEntry` forever (blocking); ``history`` yields the backlog too
        (True: all of it, N: the last N). Transport failures are retried with backoff and
        reported to ``on_error`` (None once it works again); it may raise to give up."""
        from tui.convex.logtail import LogTail

        return LogTail(self, cursor, history=history, on_error=on_error)

    def set_env(self, changes: Mapping[str, str | None]) -> None:
        """Set and unset (value None) several variables in one request."""
        names = ", ".join(changes)
        self.guard.check(WriteRequest(WriteKind.ENV_CHANGE, f"change env {names}"))
        self.post_json(wire.UPDATE_ENV, wire.env_changes(changes))


class PendingJson:
    """A GET on the wire (``ConvexHttpClient.begin_get_json``)."""

    def __init__(self, client: ConvexHttpClient, pending: Pending, limit: float) -> None:
        self._client, self._pending, self._limit = client, pending, limit

    def json(self) -> Any:
        """Block for the answer; the 2xx body parsed, or a mapped error raised."""
        with self._client._mapped(self._limit):
            reply = self._pending.answer()
        return self._client.parse_json(self._client._checked(reply))

    def abort(self) -> None:
        """Thread-safe: wakes a reader blocked in :meth:`json` (it raises)."""
        self._pending.abort()


def _failure(exc: BaseException) -> protocol.Failure:
    """The standard library's exceptions, sorted as protocol.transport_error words them."""
    if isinstance(exc, ConnectTimeout):
        return "connect_timeout"
    if isinstance(exc, AnswerTimeout):
        return "deadline"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if protocol.is_tls(exc):
        return "tls"
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connect"  # refused, unreachable, no such host
    return "dropped"  # reset, or the answer broke off (http.client.HTTPException)


__all__ = ["ConvexHttpClient", "ConvexTransportError"]
