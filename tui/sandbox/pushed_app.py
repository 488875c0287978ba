"""Pushed functions as registry entries: each handler runs the export in a Node host and
answers its syscalls from the caller's transaction (queries: the reader snapshot; mutations:
the writer transaction, so a throw rolls every write back; actions: nested calls)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tui.convex import values
from tui.convex.ids import InvalidId, decode_id
from tui.convex.validators import ArgValidationError, V, from_json
from tui.sandbox import query_eval, scheduler
from tui.sandbox.context import (
    ActionCtx,
    Console,
    ConvexError,
    HttpRequest,
    HttpResult,
    LogLine,
    MutationCtx,
    QueryCtx,
    SystemError_,
    UserError,
)
from tui.sandbox.db import UNSET, Writer
from tui.sandbox.node_host import HostError, HostFailure, HostPool, SyscallFailed
from tui.sandbox.outcome import NONE, NestedFailure
from tui.sandbox.push import Analysis
from tui.sandbox.registry import FunctionDef, Kind, parse_udf_path

if TYPE_CHECKING:
    from tui.sandbox.engine import Deployment

ENV_TABLE = "_environment_variables"
QUERY_TIMEOUT = 60.0
ACTION_TIMEOUT = 600.0
EnvSource = Callable[[], dict[str, str]]
Lookup = Callable[[str], FunctionDef | None]

UNSUPPORTED = {
    "1.0/storage": "File storage (ctx.storage)",
    "storage": "File storage (ctx.storage)",
    "1.0/actions/vectorSearch": "Vector search (ctx.vectorSearch)",
    "1.0/actions/storage": "File storage (ctx.storage)",
    "1.0/createServiceToken": "Service tokens",
    "1.0/signJwt": "ctx.auth.signJwt",
}


def unsupported(op: str) -> SyscallFailed | None:
    for prefix, feature in UNSUPPORTED.items():
        if op.startswith(prefix):
            return SyscallFailed(f"{feature} is not supported by the convex-tui sandbox yet ({op})")
    return None


def _log_to(console: Console) -> Callable[[str, list[str]], None]:
    def on_log(level: str, messages: list[str]) -> None:
        line = LogLine(level, tuple(messages), int(time.time() * 1000))
        console.lines.append(line)
        if console.on_line is not None:
            console.on_line(line)

    return on_log


def _raise_js(exc: HostFailure) -> None:
    error = exc.error
    if error.get("data") is not None:
        data = error["data"]
        raise ConvexError(values.decode(json.loads(data) if isinstance(data, str) else data))
    raise UserError(str(error.get("message", "")))


def _id_arg(raw: Any) -> str:
    if not isinstance(raw, str):
        raise SyscallFailed(f"Invalid id {raw!r}")
    return raw


class Calls:
    """Answers one execution's syscalls (reference §14.3)."""

    def __init__(self, identifier: str, user: dict[str, Any] | None, lookup: Lookup) -> None:
        self.identifier = identifier
        self.user = user
        self.lookup = lookup
        self.streams: dict[int, list[dict[str, Any]]] = {}
        self.indexes: dict[str, tuple[str, ...]] = {}

    def common(self, op: str, args: dict[str, Any]) -> Any:
        if op == "1.0/getUserIdentity":
            return self.user
        if op == "1.0/getFunctionMetadata":
            return {"name": self.identifier, "componentPath": None}
        if op == "1.0/getRequestMetadata":
            return {"requestId": "", "ip": None, "userAgent": None}
        failure = unsupported(op)
        raise failure or SyscallFailed(f"Unknown operation {op} (not supported by the sandbox)")

    def db(self, ctx: QueryCtx | MutationCtx, op: str, args: dict[str, Any]) -> Any:  # noqa: C901
        reader = ctx.db
        if op == "1.0/get":
            doc_id = _id_arg(args.get("id"))
            table = reader.table_of(doc_id)
            if table is None or table.startswith("_") != bool(args.get("isSystem")):
                return None
            if args.get("table") and args["table"] != table:
                return None
            doc = reader.get(doc_id)
            return None if doc is None else values.encode(doc)
        if op == "1.0/queryStream":
            stream_id = len(self.streams) + 1
            plan = query_eval.Plan(args["query"], self.indexes)
            self.streams[stream_id] = [values.encode(d) for d in plan.run(reader)]
            return {"queryId": stream_id}
        if op == "sandbox/queryStreamBatch":  # the host's batched queryStreamNext
            rows = self.streams.get(int(args["queryId"]), [])
            count = max(1, int(args.get("count", 1)))
            batch, rows[:] = rows[:count], rows[count:]
            return {"values": batch, "done": not rows}
        if op == "1.0/queryStreamNext":
            rows = self.streams.get(int(args["queryId"]), [])
            return {"value": rows.pop(0), "done": False} if rows else {"value": None, "done": True}
        if op == "1.0/queryCleanup":
            return self.streams.pop(int(args["queryId"]), None) is not None
        if op == "1.0/queryPage":
            plan = query_eval.Plan(args["query"], self.indexes)
            return query_eval.page(
                plan, reader, args.get("cursor"), args.get("endCursor"), int(args["pageSize"])
            )
        if op == "1.0/count":
            return reader.count(str(args["table"]))
        if op == "1.0/db/normalizeId":
            text, table = str(args.get("idString")), str(args.get("table"))
            try:
                decode_id(text)
            except InvalidId:
                return {"id": None}
            return {"id": text if reader.table_of(text) == table else None}
        if op == "1.0/runUdf":
            return self.nested(ctx, args)
        if isinstance(reader, Writer) and isinstance(ctx, MutationCtx):
            return self.write(ctx, reader, op, args)
        if op in ("1.0/insert", "1.0/shallowMerge", "1.0/replace", "1.0/remove", "1.0/schedule"):
            raise SyscallFailed(f"{op.split('/')[-1]} is not allowed in a query")
        return self.common(op, args)

    def write(self, ctx: MutationCtx, w: Writer, op: str, args: dict[str, Any]) -> Any:
        if op == "1.0/insert":
            return {"_id": w.insert(str(args["table"]), values.decode(args["value"]))}
        if op in ("1.0/shallowMerge", "1.0/replace", "1.0/remove"):
            doc_id = _id_arg(args.get("id"))
            if args.get("table") and w.table_of(doc_id) != args["table"]:
                raise SyscallFailed(f"Document with id '{doc_id}' is not in table {args['table']}")
            if op == "1.0/remove":
                w.delete(doc_id)
            elif op == "1.0/replace":
                w.replace(doc_id, values.decode(args["value"]))
            else:
                raw = args.get("value") or {}
                fields = {
                    k: UNSET if v == {"$undefined": None} else values.decode(v)
                    for k, v in raw.items()
                }
                w.patch(doc_id, fields)
            return None
        if op == "1.0/schedule":
            path = _address(args)
            delay = float(args["ts"]) * 1000 - time.time() * 1000
            return ctx.schedule(max(0.0, delay), path, values.decode(args.get("args") or {}))
        if op == "1.0/cancel_job":
            scheduler.transition(w, _id_arg(args.get("id")), scheduler.ACTIVE, {"kind": "canceled"})
            return None
        return self.common(op, args)

    def nested(self, ctx: QueryCtx | MutationCtx, args: dict[str, Any]) -> Any:
        """``ctx.runQuery``/``ctx.runMutation`` inside a query or mutation: same transaction."""
        target = self.lookup(_address(args))
        kind = "query" if args.get("udfType") in ("query", "snapshotQuery") else "mutation"
        if target is None or target.kind != kind:
            raise SyscallFailed(f"Could not find {kind} {_address(args)}")
        if kind == "mutation" and not isinstance(ctx, MutationCtx):
            raise SyscallFailed("ctx.runMutation is not allowed in a query")
        call_args = values.decode(args.get("args") or {})
        try:
            return values.encode(target.handler(ctx, call_args))
        except (UserError, SystemError_) as exc:
            raise SyscallFailed(str(exc)) from exc
        except ConvexError as exc:
            raise SyscallFailed(exc.message, values.encode(exc.data)) from exc


def _address(args: dict[str, Any]) -> str:
    name = args.get("name") or args.get("reference")
    if not isinstance(name, str):
        raise SyscallFailed("Function handles are not supported by the convex-tui sandbox yet")
    return name


class PushedFunctions:
    """Builds the pushed app's FunctionDefs over one host pool."""

    def __init__(self, analysis: Analysis, pool: HostPool, env: EnvSource, lookup: Lookup) -> None:
        self.analysis = analysis
        self.pool = pool
        self.env = env
        self.lookup = lookup
        self.indexes = {
            f"{t.name}.{name}": fields
            for t in analysis.tables.values()
            for name, fields in t.indexes
        }
        self.loop: asyncio.AbstractEventLoop | None = None

    def definitions(self) -> list[FunctionDef]:
        out: list[FunctionDef] = []
        for path, mod in self.analysis.modules.items():
            module = path[:-3]
            for f in mod["functions"]:
                kind: Kind = f["udfType"].lower()
                parse_udf_path(f"{module}:{f['name']}")  # the same path rules as the backend
                args = from_json(json.loads(f["args"])) if f.get("args") else None
                returns_raw = json.loads(f["returns"]) if f.get("returns") else None
                returns = from_json(returns_raw) if returns_raw else None
                internal = (f.get("visibility") or {}).get("kind") != "public"
                # The handler closes over its own definition, so bind it in a second step.
                fn = FunctionDef(module, f["name"], kind, _unbound, args, returns, internal, 1)
                handler = self._action(fn) if kind == "action" else self._udf(fn)
                out.append(dataclasses.replace(fn, handler=handler))
        return out

    def _request(
        self, fn: FunctionDef, args: dict[str, Any], extra: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "t": "invoke",
            "module": f"{fn.module}.js",
            "name": fn.name,
            "kind": fn.kind,
            "args": json.dumps([values.encode(args)]),
            "env": self.env(),
            "seed": secrets.randbits(32),
            "now": int(time.time() * 1000),
            **extra,
        }

    def _finish(self, fn: FunctionDef, raw: Any) -> Any:
        value = values.decode(json.loads(raw)) if isinstance(raw, str) else None
        _check_returns(fn.returns, value)
        return value

    def _udf(self, fn: FunctionDef) -> Callable[..., Any]:
        def handler(ctx: QueryCtx, args: dict[str, Any]) -> Any:
            ctx.db.tracker.read_tables.add(ENV_TABLE)  # process.env is part of what it read
            calls = Calls(fn.identifier, ctx.auth, self.lookup)
            calls.indexes = self.indexes
            try:
                with self.pool.host() as host:
                    raw = host.call(
                        self._request(fn, args, {}),
                        lambda op, a: json.dumps(calls.db(ctx, op, json.loads(a))),
                        on_log=_log_to(ctx.console),
                        timeout=QUERY_TIMEOUT,
                    )
            except HostFailure as exc:
                _raise_js(exc)
            except HostError as exc:
                raise SystemError_(str(exc)) from exc
            return self._finish(fn, raw)

        return handler

    def _action(self, fn: FunctionDef) -> Callable[..., Any]:
        async def handler(ctx: ActionCtx, args: dict[str, Any]) -> Any:
            loop = asyncio.get_running_loop()
            on_syscall = _action_syscalls(loop, Calls(fn.identifier, ctx.auth, self.lookup), ctx)
            request = self._request(fn, args, {"requestId": secrets.token_hex(8)})
            raw = await self._in_host(loop, request, on_syscall, ctx.console)
            return self._finish(fn, raw)

        return handler

    async def _in_host(
        self,
        loop: asyncio.AbstractEventLoop,
        request: dict[str, Any],
        on_syscall: Callable[[str, str], str],
        console: Console,
    ) -> Any:
        """An action-like call on an executor thread (its syscalls come back to the loop)."""

        def run() -> Any:
            with self.pool.host() as host:
                return host.call(
                    request, on_syscall, on_log=_log_to(console), timeout=ACTION_TIMEOUT
                )

        try:
            return await loop.run_in_executor(self.pool.executor, run)
        except HostFailure as exc:
            _raise_js(exc)
        except HostError as exc:
            raise SystemError_(str(exc)) from exc

    def http_handler(self, dep: Deployment) -> Callable[..., Awaitable[HttpResult]]:
        """The pushed router's endpoints (``convex/http.ts``), run like actions."""

        async def handler(console: Console, request: HttpRequest, _dep: Any) -> HttpResult:
            loop = asyncio.get_running_loop()
            ctx = ActionCtx(
                None,
                console,
                lambda name: self.env().get(name),
                _runner(dep, "query"),
                _runner(dep, "mutation"),
                _runner(dep, "action"),
                dep.scheduler.schedule_now,
            )
            on_syscall = _action_syscalls(loop, Calls("http", None, self.lookup), ctx)
            query = f"?{urlencode(request.query)}" if request.query else ""
            message = {
                "t": "http",
                "method": request.method,
                "path": request.path,
                "url": f"{dep.site_url or 'http://127.0.0.1'}{request.path}{query}",
                "headers": {
                    k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS
                },
                "body": base64.b64encode(request.body).decode(),
                "env": self.env(),
            }
            out = await self._in_host(loop, message, on_syscall, console)
            headers: dict[str, str] = {}
            for name, value in out["headers"]:
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            return HttpResult(int(out["status"]), headers, base64.b64decode(out["body"]))

        return handler


HOP_HEADERS = {"host", "connection", "content-length", "transfer-encoding", "keep-alive"}


def _runner(dep: Deployment, kind: Kind) -> Callable[[str, dict[str, Any]], Awaitable[Any]]:
    """ctx.runQuery/runMutation/runAction from an HTTP action: server code, so internal
    functions are allowed; no user identity (the sandbox has no auth providers)."""

    async def run(path: str, args: dict[str, Any]) -> Any:
        out = await dep.run_function(
            path, args, identity=NONE, kind=kind, caller="HttpAction", trusted=True
        )
        if not out.success:
            if out.has_error_data:
                raise ConvexError(out.error_data)
            raise NestedFailure(out)
        return out.value

    return run


def _action_syscalls(
    loop: asyncio.AbstractEventLoop, calls: Calls, ctx: ActionCtx
) -> Callable[[str, str], str]:
    """An action's syscalls, answered from its executor thread by the deployment's loop."""

    def on_syscall(op: str, raw: str) -> str:
        a = json.loads(raw)
        runner = {
            "1.0/actions/query": ctx.run_query,
            "1.0/actions/mutation": ctx.run_mutation,
            "1.0/actions/action": ctx.run_action,
        }.get(op)
        if runner is not None:
            coro = runner(_address(a), values.decode(a.get("args") or {}))
        elif op == "1.0/actions/schedule" and ctx.schedule is not None:
            delay = max(0.0, float(a["ts"]) * 1000 - time.time() * 1000)
            coro = ctx.schedule(delay, _address(a), values.decode(a.get("args") or {}))
        else:
            return json.dumps(calls.common(op, a))

        async def wait() -> Any:
            return await coro

        try:
            result: Any = asyncio.run_coroutine_threadsafe(wait(), loop).result()
        except ConvexError as exc:
            raise SyscallFailed(exc.message, values.encode(exc.data)) from exc
        except Exception as exc:
            raise SyscallFailed(str(exc)) from exc
        return json.dumps(values.encode(result))

    return on_syscall


def _check_returns(validator: V | None, value: Any) -> None:
    if validator is None:
        return
    try:
        validator.check(value)
    except ArgValidationError as exc:
        raise SystemError_(f"ReturnsValidationError: {exc}") from exc


def _unbound(*_a: Any) -> Any:
    raise SystemError_("a pushed function was called before its handler was bound")
