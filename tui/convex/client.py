"""``ConvexClient``: every backend operation the console needs, typed and resilient.

One client per deployment: one ``httpx.AsyncClient`` for HTTP and one WebSocket, opened on
first use, shared by all subscriptions. Usable from a plain ``asyncio.run`` script::

    async with ConvexClient(url, Secret(key)) as client:
        print(await client.query("messages:list", {}))
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from tui.config.secret import Secret
from tui.convex import wire
from tui.convex.backoff import Backoff
from tui.convex.errors import (
    BadAdminKey,
    ConvexTransportError,
    FunctionError,
    FunctionNotFound,
    MalformedResponse,
    NotFound,
    PermissionDenied,
)
from tui.convex.http import FORMAT, HttpTransport, client_header
from tui.convex.ids import InvalidId, decode_id
from tui.convex.logstream import LogStream
from tui.convex.models import (
    AdminKeyStatus,
    ClearProgress,
    ConnectionState,
    DocumentPage,
    Filter,
    FunctionResult,
    FunctionSpec,
    IndexInfo,
    Probe,
    TableInfo,
    WsState,
)
from tui.convex.sync_client import SyncClient
from tui.convex.sync_types import Subscription
from tui.convex.wire import (
    UNDEFINED_PLACEHOLDER,
    UNSET,
    check_success,
    encode_filters,
    page_opts,
)
from tui.safety.guard import WriteGuard, WriteKind, WriteRequest

StateListener = Callable[[ConnectionState], None]


class ConvexClient:
    def __init__(
        self,
        url: str,
        admin_key: Secret | None,
        *,
        timeout: float = 30.0,
        client_name: str = "convex-tui",
        backoff: Callable[[], Backoff] = Backoff,
        ws_inactivity: float = 60.0,
        guard: WriteGuard | None = None,
    ) -> None:
        # Every write below asks the one guard first (tui.safety.guard); the default allows all.
        self.guard = guard or WriteGuard()
        self._http = HttpTransport(
            url, admin_key, timeout=timeout, client_name=client_name, on_http=self._on_http
        )
        self.url = self._http.url
        self.admin_key = admin_key
        self._backoff = backoff
        self._state = ConnectionState()
        self._listeners: list[StateListener] = []
        self._sync = SyncClient(
            self.url,
            admin_key,
            client_header(client_name),
            backoff=backoff(),
            on_state=self._on_ws,
            inactivity=ws_inactivity,
        )
        self._table_numbers: dict[int, str] = {}

    async def __aenter__(self) -> ConvexClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._sync.close()
        await self._http.aclose()

    # ------------------------------------------------------------ connection state

    @property
    def state(self) -> ConnectionState:
        return self._state

    def on_state(self, listener: StateListener) -> Callable[[], None]:
        """Call ``listener`` on every state change; returns a function that unregisters it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _set_state(self, state: ConnectionState) -> None:
        if state == self._state:
            return
        self._state = state
        for listener in list(self._listeners):
            listener(state)

    def _on_http(self, ok: bool, error: str | None) -> None:
        s = self._state
        self._set_state(
            ConnectionState(ok, s.ws_state, error if not ok else s.last_error, s.reconnects)
        )

    def _on_ws(self, ws_state: WsState, error: str | None) -> None:
        s = self._state
        reconnects = s.reconnects + (1 if ws_state == "reconnecting" and error else 0)
        self._set_state(ConnectionState(s.http_ok, ws_state, error or s.last_error, reconnects))

    # ------------------------------------------------------------ meta

    async def version(self) -> str:
        return await self._http.get_text("/version")

    async def instance_name(self) -> str:
        return await self._http.get_text("/instance_name")

    async def ping(self) -> Probe:
        started = time.perf_counter()
        version = await self.version()
        return Probe((time.perf_counter() - started) * 1000.0, version)

    async def check_admin_key(self) -> AdminKeyStatus:
        """Never raises for a bad key: 401/403 come back as ``valid=False``."""
        if self.admin_key is None:
            return AdminKeyStatus(False, (), True)
        try:
            return wire.key_status(await self._http.get_json(wire.CHECK_ADMIN_KEY))
        except (BadAdminKey, PermissionDenied):
            return AdminKeyStatus(False, (), True)

    # ------------------------------------------------------------ functions

    async def query(
        self,
        path: str,
        args: Mapping[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
    ) -> FunctionResult:
        return await self._http.call_udf("/api/query", path, args, identity=identity)

    async def mutation(
        self,
        path: str,
        args: Mapping[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
    ) -> FunctionResult:
        self.guard.check(WriteRequest(WriteKind.MUTATION, f"run mutation {path}"))
        return await self._http.call_udf("/api/mutation", path, args, identity=identity)

    async def action(
        self,
        path: str,
        args: Mapping[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
    ) -> FunctionResult:
        self.guard.check(WriteRequest(WriteKind.ACTION, f"run action {path}"))
        return await self._http.call_udf("/api/action", path, args, identity=identity)

    async def run_function(
        self,
        path: str,
        args: Mapping[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
    ) -> FunctionResult:
        """Any function type, internal ones included (``/api/function``, what ``npx convex run`` uses).

        Read-only: sent to ``/api/query`` instead, so the backend itself refuses a mutation or an
        action (nothing is written) while queries still work."""
        if self.guard.functions_as_query:
            try:
                return await self._http.call_udf("/api/query", path, args, identity=identity)
            except FunctionNotFound as exc:
                refusal = self.guard.refusal_for(path, exc.message)
                if refusal is not None:
                    raise refusal from None
                raise
        return await self._http.call_udf(
            "/api/function", path, args, identity=identity, wrap_args=False
        )

    async def _value(self, path: str, args: Mapping[str, Any] | None = None) -> Any:
        try:
            return (await self.query(path, args)).value
        except FunctionError as exc:
            raise wire.missing_key(self.admin_key, path) or exc from None

    async def _mutate(self, path: str, args: Mapping[str, Any]) -> Any:
        try:
            return (await self.mutation(path, args)).value
        except FunctionError as exc:
            raise wire.missing_key(self.admin_key, path) or exc from None

    async def list_functions(self) -> list[FunctionSpec]:
        return wire.function_specs(await self._value(wire.API_SPEC, {}))

    # ------------------------------------------------------------ data: reading

    async def table_mapping(self, *, refresh: bool = True) -> dict[int, str]:
        """Table number → name for user tables (plus ``_scheduled_jobs``/``_file_storage``)."""
        if refresh or not self._table_numbers:
            self._table_numbers = wire.table_numbers(await self._value(wire.TABLE_MAPPING, {}))
        return dict(self._table_numbers)

    async def list_tables(self) -> list[TableInfo]:
        try:
            names = wire.user_tables(await self.table_mapping())
        except FunctionNotFound:
            page = await self._value(wire.CLI_TABLES, {"paginationOpts": page_opts(1000, None)})
            names = wire.cli_tables(page)
        limit = asyncio.Semaphore(8)

        async def count(name: str) -> int | None:
            async with limit:
                try:
                    return wire.table_count(await self._value(wire.TABLE_SIZE, {"tableName": name}))
                except FunctionError:
                    return None

        counts = await asyncio.gather(*(count(n) for n in names))
        return [
            TableInfo(name, c, names[name]) for name, c in sorted(zip(names, counts, strict=True))
        ]

    async def page_documents(
        self,
        table: str,
        cursor: str | None = None,
        order: Literal["asc", "desc"] = "desc",
        filters: Sequence[Filter] | None = None,
        page_size: int = 25,
    ) -> DocumentPage:
        expr: str | None = None
        if filters or order != "desc":
            expr = encode_filters(filters or (), order)
        raw = await self._value(
            "_system/frontend/paginatedTableDocuments",
            {"paginationOpts": page_opts(page_size, cursor), "table": table, "filters": expr},
        )
        if not isinstance(raw, dict) or not isinstance(raw.get("page"), list):
            raise MalformedResponse("paginatedTableDocuments did not return a page.")
        docs = tuple(d for d in raw["page"] if isinstance(d, dict) and "_id" in d)
        errors = tuple(
            str(d.get("error")) for d in raw["page"] if isinstance(d, dict) and "_id" not in d
        )
        done = bool(raw.get("isDone"))
        next_cursor = raw.get("continueCursor")
        return DocumentPage(docs, None if done else str(next_cursor), done, errors)

    async def table_for_id(self, doc_id: str) -> str | None:
        """The table a document id belongs to, or None if no such table (raises InvalidId)."""
        number = decode_id(doc_id).table_number
        if number not in self._table_numbers:
            await self.table_mapping()
        return self._table_numbers.get(number)

    async def get_document(self, doc_id: str) -> dict[str, Any] | None:
        try:
            if await self.table_for_id(doc_id) is None:
                return None
        except InvalidId:
            return None
        doc = await self._value("_system/frontend/getById", {"id": doc_id})
        return doc if isinstance(doc, dict) else None

    async def shapes(self) -> dict[str, Any]:
        """Table name → inferred shape JSON (reference §5.2), user tables only."""
        return wire.user_shapes(await self._http.get_json(wire.SHAPES))

    async def indexes(self, table: str) -> list[IndexInfo]:
        try:
            raw = await self._value(wire.INDEXES, {"tableName": table, "tableNamespace": None})
        except FunctionNotFound:
            return wire.table_indexes(
                await self._http.get_json(wire.GET_INDEXES), table, legacy=True
            )
        return wire.table_indexes(raw, table)

    async def schema(self) -> dict[str, Any] | None:
        """The active schema JSON, or None when no schema is pushed."""
        return wire.active_schema(await self._value(wire.SCHEMAS, {}))

    # ------------------------------------------------------------ data: writing

    async def add_documents(self, table: str, documents: Sequence[Mapping[str, Any]]) -> None:
        self.guard.check(
            WriteRequest(WriteKind.DATA_EDIT, f"add {len(documents)} document(s) to {table}")
        )
        check_success(
            await self._mutate(
                "_system/frontend/addDocument", {"table": table, "documents": list(documents)}
            ),
            "addDocument",
        )

    async def patch_fields(self, table: str, ids: Sequence[str], fields: Mapping[str, Any]) -> None:
        """Set fields on documents; a value of :data:`UNSET` removes the field."""
        if not ids:
            return  # without ids the server patches the whole table: never do that by accident
        self.guard.check(
            WriteRequest(WriteKind.DATA_EDIT, f"patch {len(ids)} document(s) in {table}")
        )
        encoded = {k: (UNDEFINED_PLACEHOLDER if v is UNSET else v) for k, v in fields.items()}
        check_success(
            await self._mutate(
                "_system/frontend/patchDocumentsFields",
                {"table": table, "fields": encoded, "ids": list(ids)},
            ),
            "patchDocumentsFields",
        )

    async def replace_document(self, doc_id: str, document: Mapping[str, Any]) -> None:
        self.guard.check(WriteRequest(WriteKind.DATA_EDIT, f"replace document {doc_id}"))
        body = {k: v for k, v in document.items() if k not in ("_id", "_creationTime")}
        check_success(
            await self._mutate(
                "_system/frontend/replaceDocument", {"id": doc_id, "document": body}
            ),
            "replaceDocument",
        )

    async def delete_documents(self, ids: Sequence[str]) -> None:
        self.guard.check(WriteRequest(WriteKind.DATA_EDIT, f"delete {len(ids)} document(s)"))
        to_delete = []
        for doc_id in ids:
            table = await self.table_for_id(doc_id)
            if table is None:
                raise NotFound(f"No table holds document {doc_id}.")
            to_delete.append({"id": doc_id, "tableName": table})
        if to_delete:
            check_success(
                await self._mutate("_system/frontend/deleteDocuments", {"toDelete": to_delete}),
                "deleteDocuments",
            )

    async def clear_table(
        self, table: str, on_progress: Callable[[ClearProgress], None] | None = None
    ) -> int:
        """Delete every document, a page (≤4000) at a time; returns how many were deleted."""
        self.guard.check(WriteRequest(WriteKind.CLEAR_TABLE, f"clear table {table}"))
        cursor: str | None = None
        total = 0
        while True:
            raw = await self._mutate(
                "_system/frontend/clearTablePage", {"tableName": table, "cursor": cursor}
            )
            if not isinstance(raw, dict):
                raise MalformedResponse("clearTablePage did not return an object.")
            total += int(raw.get("deleted") or 0)
            has_more = bool(raw.get("hasMore"))
            if on_progress is not None:
                on_progress(ClearProgress(table, total, has_more))
            if not has_more:
                return total
            cursor = raw.get("continueCursor")

    # ------------------------------------------------------------ environment variables

    async def list_env(self) -> dict[str, str]:
        return wire.env_vars(await self._http.get_json(wire.LIST_ENV))

    async def set_env(self, changes: Mapping[str, str | None]) -> None:
        """Set and unset (value None) several variables in one request."""
        names = ", ".join(changes)
        self.guard.check(WriteRequest(WriteKind.ENV_CHANGE, f"change env {names}"))
        await self._http.post_json(wire.UPDATE_ENV, wire.env_changes(changes))

    # ------------------------------------------------------------ logs

    def stream_logs(
        self,
        cursor: float = 0.0,
        *,
        history: bool | int = False,
        on_error: Callable[[ConvexTransportError | None], None] | None = None,
    ) -> LogStream:
        """Async-iterate :class:`LogEntry` forever; ``history`` yields the backlog too
        (True: all of it, N: the last N). Transport failures are retried with backoff and
        reported to ``on_error`` (None once it works again); it may raise to give up."""
        return LogStream(
            self._http,
            cursor,
            history=history,
            backoff=self._backoff(),
            on_error=on_error or self._on_logs,
        )

    def _on_logs(self, error: Exception | None) -> None:
        pass  # HTTP state is already reported by the transport

    # ------------------------------------------------------------ subscriptions

    def subscribe(self, path: str, args: Mapping[str, Any] | None = None) -> Subscription:
        """A live query over the shared WebSocket: ``async for value in client.subscribe(...)``.

        Close it with ``aclose()`` or use it as ``async with client.subscribe(...) as sub``."""
        return self._sync.subscribe(path, args)

    async def mutation_ws(self, path: str, args: Mapping[str, Any] | None = None) -> FunctionResult:
        """A mutation over the WebSocket; returns once subscriptions reflect its writes."""
        self.guard.check(WriteRequest(WriteKind.MUTATION, f"run mutation {path}"))
        return await self._sync.mutation(path, args)

    @property
    def sync(self) -> SyncClient:
        return self._sync


__all__ = ["FORMAT", "UNSET", "ConvexClient", "Subscription", "encode_filters"]
