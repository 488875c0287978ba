"""`convex-tui run` honours the one write guard, end to end through the real CLI.

The sandbox records every request it receives; a refused call must send nothing that writes
(no /api/mutation, /api/action or /api/function; the read-only call goes to /api/query and the
backend itself turns the mutation down), and the table must not change.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tui.cli import main
from tui.safety.guard import EXIT_REFUSED
from tui.sandbox.server import SandboxServer

WRITE_ROUTES = ("/api/mutation", "/api/action", "/api/function")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RecordedSandbox(SandboxServer):
    """The demo sandbox plus a log of (method, path, body) of every API request."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.requests: list[tuple[str, str, Any]] = []

    async def _serve(self, app: web.Application, port: int) -> int:
        @web.middleware
        async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
            body: Any = None
            if request.can_read_body:
                with contextlib.suppress(ValueError):
                    body = json.loads(await request.read())
            self.requests.append((request.method, request.path, body))
            return await handler(request)

        app.middlewares.insert(0, record)
        return await super()._serve(app, port)

    def writes(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[1] in WRITE_ROUTES]


@pytest.fixture
async def recorded() -> AsyncIterator[RecordedSandbox]:
    s = RecordedSandbox(memory=True, seed="demo")
    async with s:
        yield s


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("[profiles.prod]\nprotected = true\n\n[profiles.dev]\n")
    return path


async def cli(sandbox: SandboxServer, config: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    full = [
        "run",
        *argv,
        "--url",
        sandbox.url,
        "--admin-key",
        sandbox.admin_key,
        "--config",
        str(config),
        "--project-dir",
        str(config.parent),
    ]

    def call() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return main(full)

    code = await asyncio.to_thread(call)
    return code, out.getvalue(), err.getvalue()


async def task_count(sandbox: SandboxServer, config: Path) -> int:
    code, out, _ = await cli(sandbox, config, "tasks:list", "--profile", "dev", "--json")
    assert code == 0
    return len(json.loads(out)["value"])


CREATE = ("tasks:create", '{title: "written?"}')


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        (("--profile", "dev", "--read-only"), "read-only mode"),
        (("--profile", "prod"), "profile 'prod' is protected"),
        (("--profile", "prod", "--unlock", "dev"), "add --unlock prod"),
        (("--profile", "prod", "--unlock", "prod", "--read-only"), "is protected"),
    ],
)
async def test_refused_mutation_sends_nothing_that_writes(
    recorded: RecordedSandbox, config: Path, flags: tuple[str, ...], reason: str
) -> None:
    before = await task_count(recorded, config)
    recorded.requests.clear()
    code, out, err = await cli(recorded, config, *CREATE, *flags)
    assert code == EXIT_REFUSED, err
    assert out == ""
    assert "refused" in err and reason in err and "run mutation tasks:create" in err
    assert "Traceback" not in err and recorded.admin_key not in err
    assert recorded.writes() == []
    assert [r[1] for r in recorded.requests] == ["/api/query"]
    assert await task_count(recorded, config) == before


async def test_refused_action_and_json_body(recorded: RecordedSandbox, config: Path) -> None:
    recorded.requests.clear()
    code, out, err = await cli(
        recorded,
        config,
        "rag:generateQueryEmbedding",
        "{query: 'x'}",
        "--profile",
        "prod",
        "--json",
    )
    assert code == EXIT_REFUSED
    body = json.loads(out)
    assert (
        body["status"] == "refused"
        and "run action rag:generateQueryEmbedding" in body["errorMessage"]
    )
    assert recorded.writes() == []


async def test_queries_still_work_read_only_and_unlock_allows_writes(
    recorded: RecordedSandbox, config: Path
) -> None:
    recorded.requests.clear()
    code, out, _ = await cli(recorded, config, "tasks:list", "--profile", "prod", "--json")
    assert code == 0 and json.loads(out)["status"] == "success"
    code, _, err = await cli(recorded, config, "tasks:nope", "--read-only")
    assert code == 1 and "Could not find" in err  # a missing function is not a refusal
    assert recorded.writes() == []
    before = await task_count(recorded, config)
    recorded.requests.clear()
    code, _, err = await cli(recorded, config, *CREATE, "--profile", "prod", "--unlock", "prod")
    assert code == 0, err
    assert [(r[1], r[2]["path"]) for r in recorded.requests] == [("/api/function", "tasks:create")]
    assert await task_count(recorded, config) == before + 1


async def test_json_prints_log_lines_once(recorded: RecordedSandbox, config: Path) -> None:
    """`run --json` puts log lines in the body only, not on stderr as well."""
    code, out, err = await cli(recorded, config, "debug:checkEnv", "--json")
    body = json.loads(out)
    assert code == 0 and body["logLines"], body
    assert all(line not in err for line in body["logLines"])
