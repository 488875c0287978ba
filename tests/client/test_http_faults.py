"""HTTP operations and every error mapping, against scripted loopback servers."""

from __future__ import annotations

import asyncio
import base64
import json
import socket

import pytest
from aiohttp import web

from tests.client.scripted import Scripted
from tui.config.secret import Secret
from tui.convex import errors
from tui.convex.client import ConvexClient
from tui.convex.models import ConnectionState
from tui.convex.values import Int64

KEY = Secret("convex-self-hosted|01" + "ab" * 40)


def client_for(server: Scripted, **kw: object) -> ConvexClient:
    return ConvexClient(server.url, KEY, **kw)  # type: ignore[arg-type]


async def test_query_sends_protocol_headers_and_decodes(scripted: Scripted) -> None:
    async def handler(req: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "status": "success",
                "value": {"n": {"$integer": "AQAAAAAAAAA="}, "b": {"$bytes": "AP8="}},
                "logLines": ["[LOG] 'hi'", "[WARN] careful (truncated due to length)"],
            }
        )

    scripted.on("POST", "/api/query", handler)
    async with client_for(scripted) as client:
        result = await client.query("messages:list", {"limit": Int64(3), "x": 1.5})
    assert result.value == {"n": Int64(1), "b": b"\x00\xff"}
    assert isinstance(result.value["n"], Int64)
    assert [str(x) for x in result.log_lines] == [
        "[LOG] 'hi'",
        "[WARN] careful (truncated due to length)",
    ]
    assert result.log_lines[1].truncated and result.log_lines[1].level == "WARN"
    seen = scripted.seen[-1]
    assert seen.body == {
        "path": "messages:list",
        "format": "convex_encoded_json",
        "args": [{"limit": {"$integer": "AwAAAAAAAAA="}, "x": 1.5}],
    }
    assert seen.headers["Convex-Client"] == "convex-tui-0.1.0"
    assert seen.headers["Authorization"] == f"Convex {KEY.reveal()}"
    assert result.request_id == seen.headers["Convex-Request-Id"]
    assert result.duration_ms > 0


async def test_run_function_sends_bare_args_and_identity(scripted: Scripted) -> None:
    scripted.udf("internal:secret", 42, endpoint="/api/function")
    async with client_for(scripted) as client:
        result = await client.run_function(
            "internal:secret", {"a": "b"}, identity={"subject": "u1"}
        )
    assert result.value == 42.0
    seen = scripted.seen[-1]
    assert seen.body["args"] == {"a": "b"}
    scheme, _, rest = seen.headers["Authorization"].partition(" ")
    key, _, ident = rest.rpartition(":")
    assert scheme == "Convex" and key == KEY.reveal()
    assert json.loads(base64.b64decode(ident)) == {"subject": "u1"}


async def test_function_error_with_data_and_request_id(scripted: Scripted) -> None:
    scripted.json(
        "POST",
        "/api/mutation",
        {
            "status": "error",
            "errorMessage": "[Request ID: 0123456789abcdef] Server Error\nUncaught ConvexError: nope\n    at handler (x.js:1:1)\n",
            "errorData": {"code": {"$integer": "BwAAAAAAAAA="}},
            "logLines": ["[ERROR] bad"],
        },
    )
    async with client_for(scripted) as client:
        with pytest.raises(errors.FunctionError) as info:
            await client.mutation("m:f", {})
    err = info.value
    assert not isinstance(err, errors.ConvexTransportError)
    assert err.request_id == "0123456789abcdef"
    assert err.has_data and err.data == {"code": Int64(7)}
    assert err.summary == "Uncaught ConvexError: nope"
    assert err.log_lines[0].level == "ERROR"


async def test_error_without_data_and_specific_kinds(scripted: Scripted) -> None:
    scripted.udf("known:fn", 1)
    async with client_for(scripted) as client:
        with pytest.raises(errors.FunctionNotFound) as info:
            await client.query("unknown:fn")
    assert not info.value.has_data and info.value.data is None
    scripted.json(
        "POST",
        "/api/action",
        {
            "status": "error",
            "errorMessage": "[Request ID: 1] Server Error\nArgumentValidationError: Value does not match validator.",
        },
    )
    async with client_for(scripted) as client:
        with pytest.raises(errors.InvalidArguments):
            await client.action("a:b", {"x": 1})


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            401,
            {
                "code": "BadAdminKey",
                "message": "The provided admin key was invalid for this instance",
            },
            errors.BadAdminKey,
        ),
        (
            403,
            {"code": "BadDeployKey", "message": "The provided deploy key was invalid"},
            errors.PermissionDenied,
        ),
        (
            403,
            {"code": "OperationNotPermitted", "message": "You do not have permission"},
            errors.PermissionDenied,
        ),
        (
            400,
            {"code": "BadConvexFunctionIdentifier", "message": "x is not a valid path"},
            errors.BadRequest,
        ),
        (
            500,
            {"code": "InternalServerError", "message": "Your request couldn't be completed."},
            errors.ServerError,
        ),
        (503, {"code": "Overloaded", "message": "busy"}, errors.ServerError),
    ],
)
async def test_status_mapping(
    scripted: Scripted,
    status: int,
    body: dict[str, str],
    expected: type[errors.ConvexTransportError],
) -> None:
    scripted.json("POST", "/api/query", body, status=status)
    async with client_for(scripted) as client:
        with pytest.raises(expected) as info:
            await client.query("a:b")
    assert info.value.status == status and info.value.message
    assert info.value.code == body["code"]


async def test_unknown_route_is_not_found(scripted: Scripted) -> None:
    async with client_for(scripted) as client:
        with pytest.raises(errors.NotFound, match="Convex deployment"):
            await client.list_env()


async def test_invalid_json_is_malformed(scripted: Scripted) -> None:
    async def handler(_: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>proxy error</html>", content_type="text/html")

    scripted.on("POST", "/api/query", handler)
    scripted.json("POST", "/api/mutation", {"hello": "world"})
    async with client_for(scripted) as client:
        with pytest.raises(errors.MalformedResponse, match="not JSON"):
            await client.query("a:b")
        with pytest.raises(errors.MalformedResponse):
            await client.mutation("a:b")


async def test_stalled_body_times_out(scripted: Scripted) -> None:
    release = asyncio.Event()

    async def handler(req: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(req)
        await resp.write(b'{"status": "succ')
        await release.wait()  # never finishes the body
        return resp

    scripted.on("POST", "/api/query", handler)
    try:
        async with client_for(scripted, timeout=0.3) as client:
            with pytest.raises(errors.Timeout):
                await client.query("a:b")
            assert client.state.http_ok is False
    finally:
        release.set()


async def test_trickling_body_hits_overall_deadline(scripted: Scripted) -> None:
    async def handler(req: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(req)
        for _ in range(40):  # each byte arrives well within the read timeout
            await resp.write(b" ")
            await asyncio.sleep(0.05)
        return resp

    scripted.on("POST", "/api/query", handler)
    async with client_for(scripted, timeout=0.5) as client:
        with pytest.raises(errors.Timeout):
            await client.query("a:b")


async def test_dropped_connection_is_unreachable(scripted: Scripted) -> None:
    async def handler(req: web.Request) -> web.StreamResponse:
        assert req.transport is not None
        req.transport.abort()
        return web.Response()

    scripted.on("POST", "/api/query", handler)
    async with client_for(scripted) as client:
        with pytest.raises(errors.Unreachable):
            await client.query("a:b")


async def test_unreachable_port() -> None:
    with socket.socket() as s:  # a port that was free a moment ago, with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    states: list[ConnectionState] = []
    async with ConvexClient(f"http://127.0.0.1:{port}", KEY) as client:
        client.on_state(states.append)
        with pytest.raises(errors.Unreachable, match="Is the backend running"):
            await client.version()
    assert states[-1].http_ok is False


async def test_tls_to_plain_http_server(scripted: Scripted) -> None:
    async with ConvexClient(f"https://127.0.0.1:{scripted.port}", KEY) as client:
        with pytest.raises(errors.TlsError):
            await client.version()


@pytest.mark.parametrize("url", ["localhost:3210", "ftp://x", "http://", "not a url"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(errors.BadUrl):
        ConvexClient(url, KEY)


async def test_admin_key_never_leaks(scripted: Scripted) -> None:
    echo = f"bad key {KEY.reveal()} and hex {KEY.reveal().split('|')[1]}"
    scripted.json(
        "GET", "/api/list_environment_variables", {"code": "X", "message": echo}, status=403
    )
    scripted.json("POST", "/api/query", {"status": "error", "errorMessage": echo})
    async with client_for(scripted) as client:
        for call in (client.list_env(), client.query("a:b")):
            with pytest.raises(errors.ConvexClientError) as info:
                await call
            text = f"{info.value} {info.value!r} {info.value.message}"
            assert KEY.reveal() not in text and KEY.reveal().split("|")[1] not in text


async def test_meta_and_admin_key(scripted: Scripted) -> None:
    async def text(body: str) -> web.StreamResponse:
        return web.Response(text=body)

    scripted.on("GET", "/version", lambda _: text("1.2.3\n"))
    scripted.on("GET", "/instance_name", lambda _: text("convex-self-hosted"))
    scripted.json(
        "GET",
        "/api/check_admin_key",
        {"success": True, "allowedOps": ["ViewData"], "isReadOnly": True},
    )
    async with client_for(scripted) as client:
        assert await client.version() == "1.2.3"
        assert await client.instance_name() == "convex-self-hosted"
        probe = await client.ping()
        assert probe.version == "1.2.3" and probe.latency_ms > 0
        status = await client.check_admin_key()
        assert status.valid and status.is_read_only and status.allows("ViewData")
        assert not status.allows("WriteData")
        scripted.json("GET", "/api/check_admin_key", {"code": "BadAdminKey", "message": "no"}, 401)
        assert not (await client.check_admin_key()).valid
    async with ConvexClient(scripted.url, None) as anon:
        assert not (await anon.check_admin_key()).valid


async def test_env_list_and_batch_set(scripted: Scripted) -> None:
    scripted.json(
        "GET", "/api/list_environment_variables", {"environmentVariables": {"B": "2", "A": "1"}}
    )

    async def update(_: web.Request) -> web.StreamResponse:
        return web.Response(status=200)  # empty body, as the backend does

    scripted.on("POST", "/api/update_environment_variables", update)
    async with client_for(scripted) as client:
        assert list((await client.list_env()).items()) == [("A", "1"), ("B", "2")]
        await client.set_env({"A": "x", "B": None})
    assert scripted.seen[-1].body == {
        "changes": [{"name": "A", "value": "x"}, {"name": "B", "value": None}]
    }


async def test_one_keep_alive_connection(scripted: Scripted) -> None:
    peers: list[object] = []

    async def handler(req: web.Request) -> web.StreamResponse:
        assert req.transport is not None
        peers.append(req.transport.get_extra_info("peername"))
        return web.json_response({"status": "success", "value": None})

    scripted.on("POST", "/api/query", handler)
    async with client_for(scripted) as client:
        for _ in range(5):
            await client.query("a:b")
    assert len(set(peers)) == 1 and len(peers) == 5
