"""The twins' blocking ``ConvexHttpClient`` (http.client) against scripted loopback servers:
the same requests as the console's async ``ConvexClient`` (httpx), and every answer — values,
function errors, the ``{code, message}`` mapping, timeouts, dropped connections, TLS, bad
URLs — read into the same error class with the same message (both clients use
tui/convex/protocol.py). The scripted server runs on this test's loop, so the blocking client
runs in a thread."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import socket
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from tests.client.scripted import Scripted
from tui.config.secret import Secret
from tui.convex import errors
from tui.convex.client import ConvexClient
from tui.convex.http_client import ConvexHttpClient
from tui.convex.values import Int64
from tui.safety.guard import WriteGuard, WriteRefused

KEY = Secret("convex-self-hosted|01" + "ab" * 40)


async def both(
    url: str,
    call_async: Callable[[ConvexClient], Any],
    call_sync: Callable[[ConvexHttpClient], Any],
    **kw: Any,
) -> tuple[Any, Any]:
    """The outcome (value, or the error raised) of one operation through each client."""

    async def run_async() -> Any:
        try:
            async with ConvexClient(url, KEY, **kw) as client:
                return await call_async(client)
        except errors.ConvexClientError as exc:
            return exc

    def run_sync() -> Any:
        try:
            with ConvexHttpClient(url, KEY, **kw) as client:
                return call_sync(client)
        except errors.ConvexClientError as exc:
            return exc

    return await run_async(), await asyncio.to_thread(run_sync)


def same_error(
    a: Any, b: Any, kind: type[errors.ConvexClientError], *, library_detail: bool = False
) -> None:
    """Same class, status, code and message (``library_detail``: but for the parenthesised
    text that each HTTP library words its own way, e.g. httpx's "All connection attempts
    failed" for the socket's "[Errno 111] Connection refused")."""
    assert isinstance(a, kind) and type(a) is type(b), (a, b)
    if library_detail:
        assert re.sub(r"\(.*\)", "(…)", a.message) == re.sub(r"\(.*\)", "(…)", b.message)
    else:
        assert a.message == b.message
    assert getattr(a, "status", None) == getattr(b, "status", None)
    assert getattr(a, "code", None) == getattr(b, "code", None)


async def test_query_sends_the_same_request_and_decodes(scripted: Scripted) -> None:
    async def handler(req: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"status": "success", "value": {"n": {"$integer": "AQAAAAAAAAA="}},
             "logLines": ["[LOG] 'hi'"]}
        )  # fmt: skip

    scripted.on("POST", "/api/query", handler)
    args = {"limit": Int64(3), "x": 1.5}
    a, b = await both(scripted.url, lambda c: c.query("m:list", args),
                      lambda c: c.query("m:list", args))  # fmt: skip
    assert a.value == b.value == {"n": Int64(1)}
    assert [str(x) for x in b.log_lines] == ["[LOG] 'hi'"]
    first, second = scripted.seen[-2], scripted.seen[-1]
    assert first.body == second.body
    for name in ("Convex-Client", "Authorization"):
        assert first.headers[name] == second.headers[name]
    assert b.request_id == second.headers["Convex-Request-Id"]
    assert second.headers["Content-Type"] == "application/json"


async def test_run_function_bare_args_identity_and_function_errors(scripted: Scripted) -> None:
    scripted.udf("internal:secret", 42, endpoint="/api/function")
    with ConvexHttpClient(scripted.url, KEY) as client:
        result = await asyncio.to_thread(
            client.run_function, "internal:secret", {"a": "b"}, identity={"subject": "u1"}
        )
        assert result.value == 42.0
        seen = scripted.seen[-1]
        assert seen.body["args"] == {"a": "b"}
        ident = seen.headers["Authorization"].rpartition(":")[2]
        assert json.loads(base64.b64decode(ident)) == {"subject": "u1"}
        missing = await asyncio.to_thread(_raised, client.run_function, "nope:fn")
    assert isinstance(missing, errors.FunctionNotFound)
    scripted.json("POST", "/api/query", {
        "status": "error", "errorMessage": f"[Request ID: ab12] Server Error\nboom {KEY.reveal()}",
        "errorData": {"code": {"$integer": "BwAAAAAAAAA="}}, "logLines": ["[ERROR] bad"],
    })  # fmt: skip
    a, b = await both(scripted.url, lambda c: c.query("m:f"), lambda c: c.query("m:f"))
    assert isinstance(a, errors.FunctionError) and type(a) is type(b)
    assert a.message == b.message and KEY.reveal() not in b.message
    assert b.request_id == "ab12" and b.data == {"code": Int64(7)}
    assert b.log_lines[0].level == "ERROR"


def _raised(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except errors.ConvexClientError as exc:
        return exc


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, {"code": "BadAdminKey", "message": "The provided admin key was invalid"},
         errors.BadAdminKey),
        (403, {"code": "BadDeployKey", "message": "bad deploy key"}, errors.PermissionDenied),
        (403, {"code": "OperationNotPermitted", "message": "no"}, errors.PermissionDenied),
        (400, {"code": "BadConvexFunctionIdentifier", "message": "x is bad"}, errors.BadRequest),
        (500, {"code": "InternalServerError", "message": "oops"}, errors.ServerError),
        (503, {}, errors.ServerError),
        (404, {}, errors.NotFound),
    ],
)  # fmt: skip
async def test_status_mapping_is_the_same(
    scripted: Scripted, status: int, body: dict[str, str], kind: type[errors.ConvexClientError]
) -> None:
    scripted.json("GET", "/api/list_environment_variables", body, status=status)
    a, b = await both(scripted.url, lambda c: c.list_env(), lambda c: c.list_env())
    same_error(a, b, kind)


async def test_malformed_answers_are_the_same(scripted: Scripted) -> None:
    async def html(_: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>proxy error</html>", content_type="text/html")

    scripted.on("POST", "/api/query", html)
    a, b = await both(scripted.url, lambda c: c.query("a:b"), lambda c: c.query("a:b"))
    same_error(a, b, errors.MalformedResponse)
    assert "not JSON" in b.message
    scripted.json("POST", "/api/query", {"status": "success"})
    a, b = await both(scripted.url, lambda c: c.query("a:b"), lambda c: c.query("a:b"))
    same_error(a, b, errors.MalformedResponse)
    scripted.json("GET", "/api/check_admin_key", {})
    a, b = await both(scripted.url, lambda c: c.check_admin_key(), lambda c: c.check_admin_key())
    same_error(a, b, errors.MalformedResponse)


async def test_a_stalled_body_and_a_trickle_time_out(scripted: Scripted) -> None:
    release = asyncio.Event()

    async def stalled(req: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(req)
        await resp.write(b'{"status": "succ')
        await release.wait()
        return resp

    async def trickle(req: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(req)
        for _ in range(40):  # each byte well within a read timeout; the whole is not
            await resp.write(b" ")
            await asyncio.sleep(0.05)
        return resp

    scripted.on("POST", "/api/query", stalled)
    scripted.on("POST", "/api/mutation", trickle)
    try:
        with ConvexHttpClient(scripted.url, KEY, timeout=0.5) as client:
            for call in (lambda: client.query("a:b"), lambda: client.call_udf("/api/mutation", "a:b", {})):  # fmt: skip
                err = await asyncio.to_thread(_raised, call)
                assert isinstance(err, errors.Timeout)
                assert err.message == f"No complete answer from {scripted.url} within 0.5 s."
    finally:
        release.set()


async def test_dropped_unreachable_and_tls_are_the_same(scripted: Scripted) -> None:
    async def drop(req: web.Request) -> web.StreamResponse:
        assert req.transport is not None
        req.transport.abort()
        return web.Response()

    scripted.on("POST", "/api/query", drop)
    a, b = await both(scripted.url, lambda c: c.query("a:b"), lambda c: c.query("a:b"))
    assert isinstance(a, errors.Unreachable) and isinstance(b, errors.Unreachable)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    a, b = await both(dead, lambda c: c.version(), lambda c: c.version())
    same_error(a, b, errors.Unreachable, library_detail=True)
    assert (
        b.message
        == f"Cannot reach {dead} ([Errno 111] Connection refused). Is the backend running?"
    )
    tls = f"https://127.0.0.1:{scripted.port}"
    a, b = await both(tls, lambda c: c.version(), lambda c: c.version())
    assert isinstance(a, errors.TlsError) and isinstance(b, errors.TlsError), (a, b)
    assert b.message.startswith(f"TLS handshake with {tls} failed (")


@pytest.mark.parametrize("url", ["localhost:3210", "ftp://x", "http://", "not a url",
                                 "http://[x]", "http://h:99999", "http://a b"])  # fmt: skip
def test_bad_urls_are_refused_before_any_request(url: str) -> None:
    with pytest.raises(errors.BadUrl):
        ConvexHttpClient(url, KEY)


async def test_keep_alive_and_a_connection_the_server_closed(scripted: Scripted) -> None:
    peers: list[object] = []

    async def handler(req: web.Request) -> web.StreamResponse:
        assert req.transport is not None
        peers.append(req.transport.get_extra_info("peername"))
        return web.Response(text="1.2.3")

    scripted.on("GET", "/version", handler)
    with ConvexHttpClient(scripted.url, KEY) as client:
        for _ in range(5):
            assert await asyncio.to_thread(client.version) == "1.2.3"
        assert len(set(peers)) == 1
        await scripted.stop()  # closes the idle keep-alive connection
        await scripted.start(port=scripted.port)
        assert await asyncio.to_thread(client.version) == "1.2.3"  # a new connection
    assert len(set(peers)) == 2


async def test_read_only_sends_only_queries_and_says_why(scripted: Scripted) -> None:
    scripted.json("POST", "/api/query", {
        "status": "error",
        "errorMessage": "Trying to execute tasks:create as Query, but it is defined as Mutation.",
    })  # fmt: skip
    guard = WriteGuard(read_only=True)
    with ConvexHttpClient(scripted.url, KEY, guard=guard) as client:
        err = await asyncio.to_thread(_raised_any, client.run_function, "tasks:create")
        refused = await asyncio.to_thread(_raised_any, client.set_env, {"A": "1"})
    assert isinstance(err, WriteRefused) and isinstance(refused, WriteRefused)
    assert [s.path for s in scripted.seen] == ["/api/query"]


def _raised_any(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - the test looks at what it was
        return exc


async def test_env_and_tables(scripted: Scripted) -> None:
    scripted.json("GET", "/api/list_environment_variables",
                  {"environmentVariables": {"B": "2", "A": "1"}})  # fmt: skip

    async def update(_: web.Request) -> web.StreamResponse:
        return web.Response(status=200)

    scripted.on("POST", "/api/update_environment_variables", update)
    scripted.udf("_system/frontend/getTableMapping", {"10001": "tasks", "10002": "_storage"})
    scripted.udf("_system/frontend/tableSize", lambda body: 7)
    with ConvexHttpClient(scripted.url, KEY) as client:
        assert list((await asyncio.to_thread(client.list_env)).items()) == [("A", "1"), ("B", "2")]
        await asyncio.to_thread(client.set_env, {"A": "x", "B": None})
        assert scripted.seen[-1].body == {
            "changes": [{"name": "A", "value": "x"}, {"name": "B", "value": None}]
        }
        tables = await asyncio.to_thread(client.list_tables)
    assert [(t.name, t.count, t.table_number) for t in tables] == [("tasks", 7, 10001)]


async def test_a_url_with_a_path_prefix(scripted: Scripted) -> None:
    async def handler(_: web.Request) -> web.StreamResponse:
        return web.Response(text="9.9.9")

    scripted.on("GET", "/prefix/version", handler)
    with ConvexHttpClient(f"{scripted.url}/prefix/", KEY) as client:
        assert await asyncio.to_thread(client.version) == "9.9.9"


async def test_log_tail_snapshot_and_history(scripted: Scripted) -> None:
    def entry(ts: float) -> dict[str, Any]:
        return {"kind": "Completion", "identifier": "m:f", "udfType": "Query", "timestamp": ts,
                "logLines": [f"[LOG] 'at {ts}'"], "requestId": f"r{ts}", "executionId": f"e{ts}",
                "executionTime": 0.002, "success": None, "error": None}  # fmt: skip

    scripted.json("GET", "/api/stream_function_logs",
                  {"entries": [entry(1.0), entry(2.0), entry(3.0)], "newCursor": 3000})  # fmt: skip
    with ConvexHttpClient(scripted.url, KEY) as client:
        tail = client.stream_logs(history=2)
        entries = await asyncio.to_thread(tail.snapshot)
    assert [e.timestamp for e in entries] == [2.0, 3.0] and tail.cursor == 3000.0
    assert scripted.seen[-1].headers["Convex-Client"] == "dashboard-0.0.0"
    assert scripted.seen[-1].query == {"cursor": "0.0"}


async def test_a_get_begun_now_is_read_later_cut_short_or_mapped(scripted: Scripted) -> None:
    """``begin_get_json`` (the Logs pane's next poll, sent before it hands the last answer
    over): the request is at the server before its answer is read; ``abort`` from another
    thread wakes a reader the server keeps waiting; errors are mapped as ``get_json`` maps
    them."""
    release = asyncio.Event()

    async def held(_: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.json_response({"entries": [], "newCursor": 7})

    path = "/api/stream_function_logs"
    scripted.on("GET", path, held)
    with ConvexHttpClient(scripted.url, KEY) as client:
        pending = await asyncio.to_thread(client.begin_get_json, path, {"cursor": "1.0"})
        for _ in range(200):  # the server reads it while nobody waits for the answer
            if any(s.path == path for s in scripted.seen):
                break
            await asyncio.sleep(0.01)
        assert [s.query for s in scripted.seen if s.path == path] == [{"cursor": "1.0"}]
        release.set()
        assert await asyncio.to_thread(pending.json) == {"entries": [], "newCursor": 7}

        release.clear()
        pending = await asyncio.to_thread(client.begin_get_json, path)
        reader = asyncio.ensure_future(asyncio.to_thread(pending.json))
        for _ in range(200):
            if len([s for s in scripted.seen if s.path == path]) == 2:
                break
            await asyncio.sleep(0.01)
        assert not reader.done()  # held by the server
        pending.abort()
        with pytest.raises(errors.ConvexTransportError):
            await asyncio.wait_for(reader, 2.0)
        release.set()

    body = {"code": "BadAdminKey", "message": "The provided admin key was invalid"}
    scripted.json("GET", "/api/list_environment_variables", body, status=401)
    env = "/api/list_environment_variables"
    a, b = await both(scripted.url, lambda c: c.list_env(),
                      lambda c: c.begin_get_json(env).json())  # fmt: skip
    same_error(a, b, errors.BadAdminKey)
