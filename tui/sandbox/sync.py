"""The WebSocket sync protocol server (reference §10), one :class:`SyncSession` per socket.

Mirrors ``crates/local_backend/src/subs/mod.rs`` (socket plumbing, heartbeats) and
``crates/sync/src/{worker,state}.rs`` (versions, query set, mutations one at a time,
transitions to the latest timestamp with only changed results). Reactivity comes from the
deployment's commit listener: a commit marks the subscribed queries whose last run read a
written table (at an older snapshot) as invalid, and the update task re-runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from tui.convex import values
from tui.sandbox import sync_protocol as proto
from tui.sandbox.engine import DEPLOYMENT_KEY, NONE, Deployment, Identity, Outcome, server_error
from tui.sandbox.http_auth import HttpFailure, identity_for_key
from tui.sandbox.registry import Kind

log = logging.getLogger(__name__)

# Timings of the real backend; module attributes so tests can shorten them.
PING_INTERVAL = 15.0  # sync-level Ping after this long without output (worker.rs)
WS_PING_INTERVAL = 5.0  # WebSocket Ping frames (subs/mod.rs HEARTBEAT_INTERVAL)
CLIENT_TIMEOUT = 120.0  # drop a client that sent nothing, not even a Pong, for this long
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Stop computing transitions while this many wait to be sent, so a slow client gets fewer,
# coalesced ones (knobs.rs SYNC_MAX_SEND_TRANSITION_COUNT).
MAX_QUEUED_TRANSITIONS = 2
_REQUEST_ID_RE = re.compile(r"^\[Request ID: [^\]]*\] ")


@dataclass
class _Query:
    query_id: int
    udf_path: str
    args: Any
    component_path: str | None
    result_hash: str | None = None
    read_tables: frozenset[str] = frozenset()
    snapshot_ts: int = -1  # ts the last run read at; -1 before the first run
    journal: str | None = None  # what the last run left for the next (a page's end cursor)


class _End(Exception):
    """Ends the session: an optional final message, then a close frame."""

    def __init__(self, final: dict[str, Any] | None, code: int = 1000, reason: str = "") -> None:
        super().__init__(reason or (final or {}).get("error", ""))
        self.final = final
        self.code = code
        self.reason = reason


def _fatal(message: str) -> _End:
    return _End(proto.fatal_error(message))


def _internal(message: str) -> _End:
    # The backend closes with 1011 "InternalServerError" and no message for its own errors.
    log.warning("sync session failed: %s", message)
    return _End(None, 1011, "InternalServerError")


def _result_hash(outcome: Outcome) -> str:
    if outcome.success:
        body: Any = [True, values.encode(outcome.value), outcome.log_lines]
    else:
        # Request ids differ on every run; the same failure must not count as a change.
        message = _REQUEST_ID_RE.sub("", outcome.error_message or "")
        data = values.encode(outcome.error_data) if outcome.has_error_data else None
        body = [False, message, data, outcome.has_error_data, outcome.log_lines]
    return hashlib.sha256(proto.dumps({"r": body}).encode()).hexdigest()


class SyncSession:
    """The protocol state of one socket. Versions start from zero on every new socket."""

    def __init__(self, deployment: Deployment, ws: web.WebSocketResponse, chunks: bool) -> None:
        self.dep = deployment
        self.ws = ws
        self.chunks = chunks
        self.session_id: str | None = None
        self.connection_count = 0
        self._loop = asyncio.get_running_loop()
        self._last_received = self._loop.time()
        self._clock_skew: int | None = None
        # What the client has asked for (received) versus what we have sent (current).
        self._received_query_set = 0
        self._received_identity = 0
        self._current = proto.StateVersion(0, 0, 0)
        self._identity: Identity = NONE
        self._identity_changed = False
        self._pending: list[proto.AddQuery | proto.RemoveQuery] = []
        self._queries: dict[int, _Query] = {}
        self._invalid: set[int] = set()
        self._fetching: set[int] = set()
        self._commits_during_fetch: list[tuple[int, frozenset[str]]] = []
        self._catch_up_ts: int | None = None  # a re-run read past the ts we could announce
        self._update = asyncio.Event()
        self._out: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._queued_transitions = 0
        self._send_room = asyncio.Event()
        self._send_room.set()
        self._mutations: asyncio.Queue[tuple[proto.Request, Identity]] = asyncio.Queue()
        self._actions: set[asyncio.Task[None]] = set()
        self._end: _End | None = None
        self._ended = asyncio.Event()

    # --- lifecycle ---------------------------------------------------------------------

    async def run(self) -> None:
        unsubscribe = self.dep.add_commit_listener(self._on_commit)
        workers = [
            asyncio.create_task(self._guard(coro))
            for coro in (
                self._receive_loop(),
                self._send_loop(),
                self._update_loop(),
                self._mutation_loop(),
                self._heartbeat_loop(),
            )
        ]
        try:
            await self._ended.wait()
        finally:
            unsubscribe()
            tasks = [*workers, *self._actions]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        end = self._end
        if end is not None and not self.ws.closed:
            with contextlib.suppress(Exception):
                if end.final is not None:
                    await self.ws.send_str(proto.dumps(end.final))
                await self.ws.close(code=end.code, message=end.reason.encode()[:123])

    async def _guard(self, coro: Any) -> None:
        """Run one worker; whatever ends it ends the session."""
        try:
            await coro
            self._finish(_End(None))
        except _End as end:
            self._finish(end)
        except asyncio.CancelledError:
            raise
        except ConnectionError as exc:
            # The peer went away mid-send (aiohttp raises ClientConnectionResetError).
            log.debug("sync socket closed: %s", exc)
            self._finish(_End(None))
        except Exception as exc:
            log.exception("sync session crashed")
            self._finish(_internal(f"{type(exc).__name__}: {exc}"))

    def _finish(self, end: _End) -> None:
        if self._end is None:
            self._end = end
        self._ended.set()

    def _emit(self, message: dict[str, Any]) -> None:
        if message["type"] == "Transition":
            self._queued_transitions += 1
            if self._queued_transitions >= MAX_QUEUED_TRANSITIONS:
                self._send_room.clear()
        self._out.put_nowait(message)

    def _schedule_update(self) -> None:
        self._update.set()

    # --- receiving -------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while True:
            msg = await self.ws.receive()
            self._last_received = self._loop.time()
            if msg.type == WSMsgType.TEXT:
                await self._handle(msg.data)
            elif msg.type == WSMsgType.PING:
                await self.ws.pong(msg.data)
            elif msg.type == WSMsgType.PONG:
                continue
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return
            elif msg.type == WSMsgType.ERROR:
                log.debug("sync socket error: %s", self.ws.exception())
                return
            else:
                raise _internal(f"Unexpected message type: {msg.type!r}")

    async def _handle(self, text: str) -> None:  # noqa: C901 - one branch per message type
        try:
            message = proto.parse_client_message(text)
        # Malformed input is the client's error (a FatalError message), never our 1011.
        except (proto.ProtocolError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise _fatal(f"Received Invalid JSON on websocket: {exc}") from exc
        if isinstance(message, proto.Connect):
            self._on_connect(message)
        elif isinstance(message, proto.ModifyQuerySet):
            current = self._received_query_set
            if message.base_version != current:
                raise _fatal(
                    f"Base version {message.base_version} passed up doesn't match the "
                    f"current version {current}"
                )
            if message.new_version <= message.base_version:
                raise _fatal(
                    f"New version {message.new_version} must be greater than base "
                    f"version {message.base_version}"
                )
            self._pending.extend(message.modifications)
            self._received_query_set = message.new_version
            self._schedule_update()
        elif isinstance(message, proto.Authenticate):
            identity = self._authenticate(message)
            if message.base_version != self._received_identity:
                raise _fatal(
                    f"Identity base version {message.base_version} doesn't match the "
                    f"current version {self._received_identity}"
                )
            self._identity = identity
            self._identity_changed = True
            self._received_identity += 1
            self._schedule_update()
        elif isinstance(message, proto.Request):
            if message.kind == "mutation":
                self._mutations.put_nowait((message, self._identity))
            else:
                task = asyncio.create_task(self._guard_action(message, self._identity))
                self._actions.add(task)
                task.add_done_callback(self._actions.discard)
        # Event: telemetry only; the backend logs it and moves on.

    def _on_connect(self, message: proto.Connect) -> None:
        self.session_id = message.session_id
        self.connection_count = message.connection_count
        if message.client_ts is not None:
            self._clock_skew = message.client_ts - time.time_ns() // 1_000_000
        latest = self.dep.current_ts
        observed = message.max_observed_timestamp
        if observed is not None and observed > latest:
            raise _fatal(
                f"Client has observed a timestamp {observed} ahead of the backend "
                f"latest known timestamp {latest}"
            )

    def _authenticate(self, message: proto.Authenticate) -> Identity:
        if message.token_type == "None":
            return NONE
        error: str
        if message.token_type == "Admin":
            assert message.value is not None
            try:
                identity = identity_for_key(self.dep, message.value)
            except HttpFailure as exc:
                error = exc.message
            else:
                user = message.acting_as if message.acting_as is not None else identity.user
                return Identity("admin", user)
        else:
            error = proto.jwt_error(message.value or "")
        raise _End(proto.auth_error(error, self._current.identity, True))

    # --- sending ---------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while True:
            try:  # asyncio.timeout: cancellation-safe on 3.11, unlike wait_for
                async with asyncio.timeout(PING_INTERVAL):
                    message = await self._out.get()
            except TimeoutError:
                message = proto.PING
            if message["type"] == "Transition":
                self._queued_transitions -= 1
                if self._queued_transitions < MAX_QUEUED_TRANSITIONS:
                    self._send_room.set()
                message["serverTs"] = time.time_ns()
            text = proto.dumps(message)
            if (
                self.chunks
                and message["type"] == "Transition"
                and len(text) > proto.MAX_MESSAGE_SIZE // 4
                and len(text.encode()) > proto.MAX_MESSAGE_SIZE
            ):
                for chunk in proto.split_transition(text):
                    await self.ws.send_str(proto.dumps(chunk))
            else:
                await self.ws.send_str(text)

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(WS_PING_INTERVAL)
            if self._loop.time() - self._last_received > CLIENT_TIMEOUT:
                raise _End(None, 1000, "ClientDisconnected")
            await self.ws.ping()

    # --- mutations and actions ---------------------------------------------------------------

    async def _mutation_loop(self) -> None:
        # One at a time, in arrival order (worker.rs `buffered(1)`).
        while True:
            request, identity = await self._mutations.get()
            await self._run_request(request, identity)

    async def _guard_action(self, request: proto.Request, identity: Identity) -> None:
        try:
            await self._run_request(request, identity)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("sync action crashed")
            self._finish(_internal(f"{type(exc).__name__}: {exc}"))

    async def _run_request(self, request: proto.Request, identity: Identity) -> None:
        outcome = await self._execute(
            request.udf_path, request.args, request.component_path, identity, request.kind
        )
        if outcome.success:
            result: Any = values.encode(outcome.value)
        else:
            result = outcome.error_message or ""
        error_data = values.encode(outcome.error_data) if outcome.has_error_data else None
        self._emit(
            proto.request_response(
                request.kind,
                request.request_id,
                outcome.success,
                result,
                outcome.commit_ts,
                outcome.log_lines,
                error_data,
                outcome.has_error_data,
            )
        )
        # The next Transition reaches the mutation's ts; JS clients resolve on it.
        self._schedule_update()

    async def _execute(
        self,
        path: str,
        raw_args: Any,
        component_path: str | None,
        identity: Identity,
        kind: Kind,
        journal: str | None = None,
    ) -> Outcome:
        args = proto.decode_args(raw_args)
        if component_path and identity.kind not in ("admin", "system"):
            args = "Only admin or system users can call functions on non-root components directly"
        elif component_path:
            args = f"Component {component_path!r} not found"
        if isinstance(args, str):
            rid = secrets.token_hex(8)
            return Outcome(
                False, None, server_error(rid, args + "\n"), None, False, [], frozenset(), None, rid
            )
        return await self.dep.run_function(
            path, args, identity=identity, kind=kind, caller="SyncWorker", journal=journal
        )

    # --- reactivity ----------------------------------------------------------------------------

    def _on_commit(self, ts: int, tables: frozenset[str]) -> None:
        if self._fetching:
            self._commits_during_fetch.append((ts, tables))
        stale = self._catch_up_ts is not None and ts >= self._catch_up_ts
        if stale:
            self._catch_up_ts = None
        for query in self._queries.values():
            if query.query_id in self._fetching or query.query_id in self._invalid:
                continue
            if ts > query.snapshot_ts and tables & query.read_tables:
                self._invalid.add(query.query_id)
                stale = True
        if stale:
            self._schedule_update()

    async def _update_loop(self) -> None:
        while True:
            await self._update.wait()
            await self._send_room.wait()
            self._update.clear()
            await self._transition()

    async def _transition(self) -> None:
        start = self._current
        # Always transition to the latest timestamp (worker.rs): every commit up to it has
        # already run the commit listener, so every query it made stale is re-run below.
        target_ts = max(self.dep.current_ts, start.ts)
        end = proto.StateVersion(self._received_query_set, self._received_identity, target_ts)
        pending, self._pending = self._pending, []
        identity = self._identity
        if self._identity_changed:
            self._identity_changed = False
            self._invalid.update(self._queries)
        modifications: dict[int, dict[str, Any]] = {}
        for change in pending:
            if isinstance(change, proto.AddQuery):
                if change.query_id in self._queries:
                    raise _internal(f"Duplicate query ID: {change.query_id}")
                self._queries[change.query_id] = _Query(
                    change.query_id,
                    change.udf_path,
                    change.args,
                    change.component_path,
                    journal=change.journal,
                )
                self._invalid.add(change.query_id)
            else:
                if self._queries.pop(change.query_id, None) is None:
                    raise _internal(f"Nonexistent query id: {change.query_id}")
                self._invalid.discard(change.query_id)
                modifications[change.query_id] = proto.query_removed(change.query_id)
        need = [self._queries[qid] for qid in sorted(self._invalid)]
        self._invalid.clear()
        self._fetching = {q.query_id for q in need}
        self._commits_during_fetch = []
        try:
            outcomes = await asyncio.gather(
                *(
                    self._execute(
                        q.udf_path, q.args, q.component_path, identity, "query", q.journal
                    )
                    for q in need
                )
            )
        finally:
            self._fetching = set()
        for query, outcome in zip(need, outcomes, strict=True):
            query.read_tables = outcome.read_tables
            if outcome.success and outcome.journal is not None:
                query.journal = outcome.journal
            query.snapshot_ts = (
                outcome.snapshot_ts if outcome.snapshot_ts is not None else target_ts
            )
            # A commit that landed after this run's snapshot and touched what it read.
            if any(
                ts > query.snapshot_ts and tables & query.read_tables
                for ts, tables in self._commits_during_fetch
            ):
                self._invalid.add(query.query_id)
                self._schedule_update()
            digest = _result_hash(outcome)
            if digest == query.result_hash:
                continue
            query.result_hash = digest
            modifications[query.query_id] = self._modification(query.query_id, outcome)
        self._commits_during_fetch = []
        # A snapshot can include commits whose listeners have not run yet, so the results may
        # be newer than `end.ts` (never older). Follow up with a transition that catches the
        # announced ts up once those commits are announced.
        newest = max((q.snapshot_ts for q in need), default=-1)
        if newest > end.ts:
            if self.dep.current_ts >= newest:
                self._schedule_update()
            else:
                self._catch_up_ts = newest
        self._current = end
        self._emit(
            proto.transition(
                start, end, [modifications[k] for k in sorted(modifications)], self._clock_skew
            )
        )

    @staticmethod
    def _modification(query_id: int, outcome: Outcome) -> dict[str, Any]:
        if outcome.success:
            return proto.query_updated(
                query_id, values.encode(outcome.value), outcome.log_lines, outcome.journal
            )
        data = values.encode(outcome.error_data) if outcome.has_error_data else None
        return proto.query_failed(
            query_id, outcome.error_message or "", outcome.log_lines, data, outcome.has_error_data
        )


async def handle_sync(request: web.Request) -> web.StreamResponse:
    """GET ``/api/sync`` and ``/api/{client_version}/sync``: upgrade and serve one session."""
    deployment = request.app[DEPLOYMENT_KEY]
    chunks = proto.supports_chunks(request)
    ws = web.WebSocketResponse(autoping=False, max_msg_size=MAX_MESSAGE_BYTES)
    await ws.prepare(request)
    await SyncSession(deployment, ws, chunks).run()
    if not ws.closed:
        await ws.close()
    return ws
