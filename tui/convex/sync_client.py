"""Subscriptions and mutations over the WebSocket sync protocol (reference §10).

One socket per client, opened on first use. Every live query is re-added after a reconnect,
transitions are chained exactly (a wrong ``startVersion`` forces a reconnect, as the JS client's
"Invalid start version" does), and a mutation resolves only once a Transition has reached its
commit timestamp (``request_manager.ts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from tui.config.secret import Secret
from tui.convex import values
from tui.convex.backoff import Backoff
from tui.convex.errors import (
    BadAdminKey,
    ConnectionLost,
    ConvexClientError,
    FunctionError,
    PermissionDenied,
    Timeout,
    function_error,
    scrub,
)
from tui.convex.models import FunctionResult, LogLine, WsState, parse_log_lines
from tui.convex.sync_types import (
    QueryRecord,
    Reconnect,
    RequestRecord,
    StateVersion,
    Subscription,
    canonical_udf_path,
    ts_to_int,
)

INACTIVITY_S = 60.0  # the JS client reconnects after this long without any message
MUTATION_WAIT_S = 60.0  # a WebSocket mutation's answer (with reconnects in between)


class SyncClient:
    def __init__(
        self,
        url: str,
        admin_key: Secret | None,
        client_header: str,
        *,
        backoff: Backoff | None = None,
        on_state: Callable[[WsState, str | None], None] | None = None,
        open_timeout: float = 10.0,
        inactivity: float = INACTIVITY_S,
    ) -> None:
        base = url.rstrip("/")
        scheme, rest = base.split("://", 1)
        self.ws_url = ("wss" if scheme == "https" else "ws") + "://" + rest + "/api/sync"
        self._key = admin_key
        self._header = client_header
        self._backoff = backoff or Backoff()
        self._on_state = on_state
        self._open_timeout = open_timeout
        self._inactivity = inactivity
        self.session_id = str(uuid.uuid4())
        self.connection_count = 0
        self._close_reason = "InitialConnect"
        self._queries: dict[int, QueryRecord] = {}
        self._by_token: dict[str, QueryRecord] = {}
        self._next_query_id = 0
        self._query_set_version = 0
        self._remote = StateVersion()
        self._requests: dict[int, RequestRecord] = {}
        self._next_request_id = 0
        self._lock = asyncio.Lock()
        self._ws: ClientConnection | None = None
        self._ready = False
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.fatal_error: ConvexClientError | None = None
        self.last_error: str | None = None  # why the socket last failed (for timeout messages)
        self.transitions = 0  # counters for tests and the status bar
        self.reconnects = 0

    # ------------------------------------------------------------ public API

    def subscribe(self, path: str, args: Mapping[str, Any] | None = None) -> Subscription:
        """A subscription handle; the query is added when it is first iterated or entered."""
        self._check_open()
        return Subscription(self, path, args)

    @property
    def subscribed(self) -> list[str]:
        """The paths of the queries the socket holds now: what the server re-runs for us."""
        return sorted(q.path for q in self._queries.values())

    async def _register(self, sub: Subscription) -> QueryRecord:
        self._check_open()
        encoded = values.encode(sub.args)
        token = json.dumps([sub.path, encoded], sort_keys=True)
        async with self._lock:
            query = self._by_token.get(token)
            if query is None:
                query = QueryRecord(self._next_query_id, sub.path, encoded, token)
                self._next_query_id += 1
                self._queries[query.query_id] = query
                self._by_token[token] = query
                if self._ready:
                    add = {
                        "type": "Add",
                        "queryId": query.query_id,
                        "udfPath": sub.path,
                        "args": [encoded],
                    }
                    await self._send_modify([add])
            query.subs.add(sub)
        # A handle dropped without aclose() (e.g. a cancelled worker) still frees its query.
        weakref.finalize(sub, self._collected, asyncio.get_running_loop(), query)
        self._ensure_running()
        return query

    def _collected(self, loop: asyncio.AbstractEventLoop, query: QueryRecord) -> None:
        if self._closed or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(lambda: loop.create_task(self._release(query, None)))

    async def mutation(self, path: str, args: Mapping[str, Any] | None = None) -> FunctionResult:
        self._check_open()
        loop = asyncio.get_running_loop()
        async with self._lock:
            request_id = self._next_request_id
            self._next_request_id += 1
            message = {
                "type": "Mutation",
                "requestId": request_id,
                "udfPath": canonical_udf_path(path),
                "args": [values.encode(dict(args or {}))],
            }
            req = RequestRecord(request_id, message, loop.create_future(), time.perf_counter())
            self._requests[request_id] = req
            if self._ready:
                await self._send(message)
                req.sent = True
        self._ensure_running()
        try:
            async with asyncio.timeout(MUTATION_WAIT_S):
                return await req.future
        except TimeoutError:
            # Bounded (issue 9, defect 8): stop re-sending it and say what is known.
            self._requests.pop(request_id, None)
            sent = "was sent but not confirmed" if req.sent else "was never sent"
            raise Timeout(
                f"Mutation {path} {sent} within {MUTATION_WAIT_S:.0f} s "
                f"({self.last_error or 'no answer'}); it may or may not have run."
            ) from None

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._fail_all(ConnectionLost("The client was closed."))
        for query in list(self._queries.values()):
            for sub in list(query.subs):
                sub.closed = True
                sub._notify()
        self._state("closed", None)

    # ------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionLost("The client is closed.")
        if self.fatal_error is not None:
            raise self.fatal_error

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="convex-sync")

    def _state(self, state: WsState, error: str | None) -> None:
        if self._on_state is not None:
            self._on_state(state, error)

    async def _release(self, query: QueryRecord, sub: Subscription | None) -> None:
        if sub is not None:
            query.subs.discard(sub)
        if query.subs or self._closed:
            return
        async with self._lock:
            if query.subs or self._queries.get(query.query_id) is not query:
                return
            del self._queries[query.query_id]
            del self._by_token[query.token]
            if self._ready:
                await self._send_modify([{"type": "Remove", "queryId": query.query_id}])

    async def _send(self, message: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None:
            return
        try:
            await ws.send(json.dumps(message))
        except websockets.ConnectionClosed:
            pass  # the receive loop notices and reconnects

    async def _send_modify(self, modifications: list[dict[str, Any]]) -> None:
        base = self._query_set_version
        self._query_set_version += 1
        await self._send(
            {
                "type": "ModifyQuerySet",
                "baseVersion": base,
                "newVersion": base + 1,
                "modifications": modifications,
            }
        )

    async def _run(self) -> None:
        first = True
        while not self._closed:
            self._state("connecting" if first else "reconnecting", None)
            error: str | None = None
            try:
                await self._connect_once()
            except asyncio.CancelledError:
                raise
            except Reconnect as exc:
                error = str(exc)
            except websockets.InvalidStatus as exc:
                status = exc.response.status_code
                if status in (401, 403):
                    cls = BadAdminKey if status == 401 else PermissionDenied
                    self._fatal(
                        cls(f"The WebSocket was refused with HTTP {status}.", status=status)
                    )
                    return
                error = f"WebSocket handshake failed with HTTP {status}"
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                error = scrub(
                    str(exc) or type(exc).__name__, self._key.reveal() if self._key else None
                )
            except Exception as exc:  # noqa: BLE001 - a bug must not leave "connected" behind
                # The session cannot go on: say so in the state, and every waiter gets the error.
                self._on_disconnect()
                text = scrub(
                    f"{type(exc).__name__}: {exc}", self._key.reveal() if self._key else None
                )
                self._fatal(ConnectionLost(f"The sync session failed: {text}"))
                return
            finally:
                self._on_disconnect()
            if self.fatal_error is not None or self._closed:
                return
            first = False
            self.reconnects += 1
            self._close_reason = error or "closed"
            self.last_error = error
            delay = self._backoff.next_delay()
            self._state("reconnecting", error)
            await asyncio.sleep(delay)

    async def _connect_once(self) -> None:
        async with connect(
            self.ws_url,
            additional_headers={"Convex-Client": self._header},
            open_timeout=self._open_timeout,
            max_size=None,
            user_agent_header=None,
        ) as ws:
            self._ws = ws
            await self._on_open()
            self._state("connected", None)
            got_message = False
            while True:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the task's own
                # cancellation when recv() completes at the same moment, hanging close().
                try:
                    async with asyncio.timeout(self._inactivity):
                        raw = await ws.recv()
                except TimeoutError:
                    raise Reconnect("no message from the server for too long") from None
                if not got_message:
                    got_message = True
                    self._backoff.reset()
                await self._handle(raw)
                if self.fatal_error is not None:
                    return

    async def _on_open(self) -> None:
        async with self._lock:
            self._remote = StateVersion()
            self._query_set_version = 0
            await self._send(
                {
                    "type": "Connect",
                    "sessionId": self.session_id,
                    "connectionCount": self.connection_count,
                    "lastCloseReason": self._close_reason,
                    "clientTs": int(time.time() * 1000),
                }
            )
            self.connection_count += 1
            if self._key is not None:
                await self._send(
                    {
                        "type": "Authenticate",
                        "tokenType": "Admin",
                        "value": self._key.reveal(),
                        "baseVersion": 0,
                    }
                )
            # Always 0 → 1 listing every live query, even none (reference §10.5).
            adds = [
                {"type": "Add", "queryId": q.query_id, "udfPath": q.path, "args": [q.args]}
                for q in self._queries.values()
            ]
            await self._send_modify(adds)
            for req in sorted(self._requests.values(), key=lambda r: r.request_id):
                if req.ts is None:
                    await self._send(req.message)
                    req.sent = True
            self._ready = True

    def _on_disconnect(self) -> None:
        self._ready = False
        self._ws = None
        # Mutations whose response arrived already took effect: resolve them now (JS restart()).
        for req in list(self._requests.values()):
            if req.ts is not None and req.result is not None:
                self._finish(req)

    async def _handle(self, raw: str | bytes) -> None:
        try:
            msg = json.loads(raw)
        except (ValueError, RecursionError):
            raise Reconnect("the server sent invalid JSON") from None
        if not isinstance(msg, dict):
            raise Reconnect("the server sent a non-object message")
        kind = msg.get("type")
        try:
            if kind == "Transition":
                self._transition(msg)
            elif kind == "MutationResponse":
                self._mutation_response(msg)
            elif kind == "AuthError":
                self._fatal(
                    BadAdminKey(f"The deployment rejected the admin key: {msg.get('error')}")
                )
            elif kind == "FatalError":
                raise Reconnect(f"server error: {msg.get('error')}")
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise Reconnect(f"malformed {str(kind)[:40]} message: {exc}") from None

    def _transition(self, msg: dict[str, Any]) -> None:
        start = StateVersion.parse(msg["startVersion"])
        end = StateVersion.parse(msg["endVersion"])
        if start != self._remote:
            raise Reconnect(f"Invalid start version: {start.ts}:{start.query_set}")
        for mod in msg.get("modifications") or []:
            query = self._queries.get(int(mod["queryId"]))
            mtype = mod.get("type")
            if query is None or mtype == "QueryRemoved":
                continue
            logs = parse_log_lines(mod.get("logLines"))
            if mtype == "QueryUpdated":
                self._update(query, mod.get("value"), None)
            elif mtype == "QueryFailed":
                has = "errorData" in mod
                err = function_error(
                    str(mod.get("errorMessage") or "Server Error"),
                    data=values.decode(mod["errorData"]) if has else None,
                    has_data=has,
                    log_lines=logs,
                    path=query.path,
                )
                self._update(query, None, err)
        self._remote = end
        self.transitions += 1
        for req in list(self._requests.values()):
            if req.ts is not None and req.ts <= end.ts and req.result is not None:
                self._finish(req)

    def _update(self, query: QueryRecord, raw: Any, error: FunctionError | None) -> None:
        if error is None:
            text = json.dumps(raw, sort_keys=True)
            if text == query.value_json and query.error is None and query.generation:
                return  # same value again (e.g. after a reconnect): not news
            query.value = values.decode(raw)
            query.value_json = text
        query.error = error
        query.generation += 1
        for sub in list(query.subs):
            sub._notify()

    def _mutation_response(self, msg: dict[str, Any]) -> None:
        req = self._requests.get(int(msg["requestId"]))
        if req is None:
            return
        duration = (time.perf_counter() - req.started) * 1000.0
        logs: tuple[LogLine, ...] = parse_log_lines(msg.get("logLines"))
        if not msg.get("success"):
            has = "errorData" in msg
            err = function_error(
                str(msg.get("result") or "Server Error"),
                data=values.decode(msg["errorData"]) if has else None,
                has_data=has,
                log_lines=logs,
                path=req.message["udfPath"],
            )
            del self._requests[req.request_id]
            if not req.future.done():
                req.future.set_exception(err)
            return
        req.result = FunctionResult(values.decode(msg.get("result")), logs, duration, None)
        req.ts = ts_to_int(msg["ts"])
        if self._remote.ts >= req.ts:
            self._finish(req)

    def _finish(self, req: RequestRecord) -> None:
        self._requests.pop(req.request_id, None)
        if not req.future.done() and req.result is not None:
            duration = (time.perf_counter() - req.started) * 1000.0
            r = req.result
            req.future.set_result(FunctionResult(r.value, r.log_lines, duration, r.request_id))

    def _fatal(self, error: ConvexClientError) -> None:
        self.fatal_error = error
        self._fail_all(error)
        for query in self._queries.values():
            for sub in list(query.subs):
                sub._notify()
        self._state("closed", error.message)

    def _fail_all(self, error: ConvexClientError) -> None:
        for req in list(self._requests.values()):
            if not req.future.done():
                req.future.set_exception(error)
        self._requests.clear()


__all__ = ["Subscription", "SyncClient", "canonical_udf_path"]
