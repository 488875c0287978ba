"""`convex-tui run` / `logs` twins: parsing, output streams, exit codes."""

from __future__ import annotations

import asyncio
import io
import json
from types import SimpleNamespace

import pytest

from tests.client.scripted import Scripted
from tui.config.secret import Secret
from tui.convex.commands import parse_args_json, parse_function_name, run_main
from tui.convex.values import Int64

KEY = Secret("convex-self-hosted|01" + "34" * 40)


def target(url: str | None, admin_key: Secret | None, **kw: object) -> SimpleNamespace:
    """Resolved settings as `run` reads them: an unprotected, writable profile by default."""
    base: dict[str, object] = {"profile": "local", "read_only": False, "protected": False}
    return SimpleNamespace(url=url, admin_key=admin_key, **{**base, **kw})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("messages:list", "messages:list"),
        ("api.messages.list", "messages:list"),
        ("internal.dir.file.fn", "dir/file:fn"),
        ("dir/file", "dir/file:default"),
        ("convex/dir/file.ts:fn", "dir/file:fn"),
        ("messages.js:list", "messages:list"),
    ],
)
def test_function_names(name: str, expected: str) -> None:
    assert parse_function_name(name) == expected


def test_args_are_json5_then_convex() -> None:
    assert parse_args_json("{a: 1, 'b': [true,], n: {$integer: 'AQAAAAAAAAA='}}") == {
        "a": 1.0,
        "b": [True],
        "n": Int64(1),
    }
    assert parse_args_json(None) == {}


async def run(scripted: Scripted, **kw: object) -> tuple[int, str, str]:
    args = SimpleNamespace(**{"args_json": None, "identity": None, "json": False, **kw})
    out, err = io.StringIO(), io.StringIO()
    settings = target(url=scripted.url, admin_key=KEY)
    code = await asyncio.to_thread(run_main, args, settings, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def test_run_success_and_error(scripted: Scripted) -> None:
    scripted.udf("m:ok", {"n": {"$integer": "AQAAAAAAAAA="}}, endpoint="/api/function")
    code, out, err = await run(scripted, function="m:ok", args_json="{x: 1}")
    assert code == 0 and err == ""
    assert json.loads(out) == {"n": {"$integer": "AQAAAAAAAAA="}}
    assert scripted.seen[-1].body == {
        "path": "m:ok",
        "args": {"x": 1},
        "format": "convex_encoded_json",
    }
    code, out, err = await run(scripted, function="m:missing", json=True)
    assert code == 1 and "Could not find public function" in err
    assert json.loads(out)["status"] == "error"
    code, out, err = await run(scripted, function="m:ok", args_json="[1]")
    assert code == 2 and "must be an object" in err


async def test_run_without_url_or_server() -> None:
    out, err = io.StringIO(), io.StringIO()
    args = SimpleNamespace(function="a:b", args_json=None, identity=None, json=False)
    code = await asyncio.to_thread(
        run_main, args, target(url=None, admin_key=None), out=out, err=err
    )
    assert code == 2 and "No deployment URL" in err.getvalue()
    code = await asyncio.to_thread(
        run_main, args, target(url="http://127.0.0.1:9", admin_key=KEY), out=out, err=err
    )
    assert code == 2 and "Cannot reach" in err.getvalue()
    assert KEY.reveal() not in err.getvalue()


async def test_run_unknown_function_lists_what_there_is(sandbox: object) -> None:
    """Like `npx convex run`: the error, then the deployment's functions from apiSpec."""
    args = SimpleNamespace(function="tasks:nope", args_json=None, identity=None, json=False)
    out, err = io.StringIO(), io.StringIO()
    settings = target(url=sandbox.url, admin_key=Secret(sandbox.admin_key))  # type: ignore[attr-defined]
    code = await asyncio.to_thread(run_main, args, settings, out=out, err=err)
    text = err.getvalue()
    assert code == 1 and out.getvalue() == ""
    assert "Could not find function for 'tasks:nope'" in text
    listed = text.split("Available functions:\n", 1)[1].split()
    assert "tasks:create" in listed and "rag:generateQueryEmbedding" in listed
    assert "(mutation)" in listed and "(action)" in listed


def test_run_with_a_malformed_url_is_a_clear_usage_error() -> None:
    args = SimpleNamespace(function="tasks:list", args_json=None, identity=None, json=False)
    out, err = io.StringIO(), io.StringIO()
    code = run_main(args, target(url="notaurl", admin_key=KEY), out=out, err=err)
    assert code == 2 and out.getvalue() == ""
    assert err.getvalue().startswith("error: 'notaurl' is not a deployment URL")
    assert "Traceback" not in err.getvalue()
