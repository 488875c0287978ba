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
from tui.convex.validators import ArgValidationError, V, from_json
from tui.sandbox.context import (
    ActionCtx,
    Console,
    ConvexError,
    HttpRequest,
    HttpResult,
    LogLine,
    QueryCtx,
    SystemError_,
    UserError,
)
from tui.sandbox.files_routes import action_storage
from tui.sandbox.node_host import HostError, HostFailure, HostPool, SyscallFailed
from tui.sandbox.outcome import NONE, NestedFailure
from tui.sandbox.push import Analysis
from tui.sandbox.registry import FunctionDef, Kind, parse_udf_path
from tui.sandbox.syscalls import Calls, address

if TYPE_CHECKING:
    from tui.sandbox.engine import Deployment

ENV_TABLE = "_environment_variables"
QUERY_TIMEOUT = 60.0
ACTION_TIMEOUT = 600.0
EnvSource = Callable[[], dict[str, str]]
Lookup = Callable[[str], FunctionDef | None]


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


class PushedFunctions:
    """Builds the pushed app's FunctionDefs over one host pool."""

    def __init__(self, analysis: Analysis, pool: HostPool, env: EnvSource, dep: Deployment) -> None:
        self.analysis = analysis
        self.pool = pool
        self.env = env
        self.dep = dep
        self.lookup: Lookup = dep.resolve

    def calls(self, fn: FunctionDef | str, user: dict[str, Any] | None) -> Calls:
        name = fn if isinstance(fn, str) else fn.identifier
        return Calls(name, user, self.lookup, self.dep.files, lambda: self.dep.cloud_url)

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
            calls = self.calls(fn, ctx.auth)
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
            on_syscall = _action_syscalls(loop, self.calls(fn, ctx.auth), ctx, self.dep)
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
            on_syscall = _action_syscalls(loop, self.calls("http", None), ctx, dep)
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
    loop: asyncio.AbstractEventLoop, calls: Calls, ctx: ActionCtx, dep: Deployment
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
            coro = runner(address(a), values.decode(a.get("args") or {}))
        elif op == "1.0/actions/schedule" and ctx.schedule is not None:
            delay = max(0.0, float(a["ts"]) * 1000 - time.time() * 1000)
            coro = ctx.schedule(delay, address(a), values.decode(a.get("args") or {}))
        elif op.startswith("1.0/storage"):
            coro = action_storage(dep, op, a)
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
