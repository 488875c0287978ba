"""One regression test per defect of issue 9 that the other files do not cover (5–8, 10–13)."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import websockets
from aiohttp import web

from tests.client.scripted import Scripted
from tui.config import CliOverrides, load_settings
from tui.config.secret import Secret
from tui.convex import commands, values
from tui.convex.client import ConvexClient
from tui.convex.errors import MalformedResponse
from tui.sandbox import server as sandbox_server
from tui.sandbox.server import SandboxServer
from tui.status.probes import Sessions, check_key

# ---------------------------------------------------------------- 5: malformed values


def deep(n: int) -> Any:
    value: Any = 1
    for _ in range(n):
        value = [value]
    return value


@pytest.mark.parametrize(
    "data",
    [{"$integer": 5}, {"$bytes": [1]}, {"$float": None}, {"$integer": "!!"}, deep(1000), 10**400],
    ids=["int-number", "bytes-list", "float-null", "int-bad-b64", "nest-1000", "huge-int"],
)
def test_decoder_rejects_malformed_values_clearly(data: Any) -> None:
    with pytest.raises(values.ValueError_):
        values.decode(data)


async def test_run_prints_a_clean_error_for_a_malformed_value(scripted: Scripted) -> None:
    for endpoint in ("/api/query", "/api/function", "/api/mutation", "/api/action"):
        scripted.json("POST", endpoint, {"status": "success", "value": {"$integer": 5}})
    settings = SimpleNamespace(
        url=scripted.url, admin_key=None, profile="local", read_only=False, protected=False
    )
    out, err = io.StringIO(), io.StringIO()
    args = SimpleNamespace(function="m:f", args_json=None, identity=None, json=False)
    code = await asyncio.to_thread(commands.run_main, args, settings, out=out, err=err)
    assert code == commands.EXIT_USAGE
    assert "Traceback" not in err.getvalue() and "$integer" in err.getvalue()


async def _post(url: str, path: str, body: bytes) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url + path, content=body)


async def test_sandbox_answers_malformed_input_in_the_backend_shape(sandbox: Any) -> None:
    auth = {"Authorization": f"Convex {sandbox.admin_key}"}
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10, headers=auth) as c:
        cases = [
            ("POST", "/api/query", json.dumps({"path": "debug:echo", "args": {"$integer": 5}})),
            ("POST", "/api/query", "[" * 5000 + "]" * 5000),
            ("POST", "/api/query", json.dumps({"path": "debug:echo", "args": deep(500)})),
            ("POST", "/api/cancel_all_jobs", ""),
            ("POST", "/api/cancel_all_jobs", "NaN"),
            ("POST", "/api/cancel_all_jobs", '"str"'),
            ("POST", "/api/cancel_all_jobs", "[1,2,3]"),
            ("POST", "/api/cancel_all_jobs", "true"),
            ("POST", "/api/cancel_all_jobs", '{"udfPath": 5}'),
        ]
        for method, path, body in cases:
            r = await c.request(method, path, content=body)
            assert r.status_code == 400, (path, body[:40], r.status_code, r.text[:100])
            assert set(r.json()) == {"code", "message"}
        big = await c.post("/api/query", content=b" " * (2 * 1024 * 1024))
        assert big.status_code == 413 and big.json()["code"] == "PayloadTooLarge"
        nope = await c.get("/http/no-such-route")
        assert nope.status_code == 404 and set(nope.json()) == {"code", "message"}
        for cursor in ("nan", "inf", "-inf"):
            r = await c.get("/api/stream_function_logs", params={"cursor": cursor})
            assert r.status_code == 400 and r.json()["code"] == "InvalidCursor"


async def test_sandbox_socket_answers_malformed_json_with_a_fatal_error(sandbox: Any) -> None:
    ws_url = sandbox.url.replace("http", "ws") + "/api/sync"
    async with websockets.connect(ws_url) as ws:
        await ws.send("[" * 5000)
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply["type"] == "FatalError"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is None or closed.value.rcvd.code != 1011


# ---------------------------------------------------------------- 6: odd URLs in env files


def test_odd_env_file_urls_do_not_crash_settings_or_doctor(tmp_path: Path) -> None:
    from tui.doctor.report import main as doctor_main
    from tui.status.status_view import service_rows

    env = tmp_path / ".env.convex.local"
    env.write_text(
        "CONVEX_SELF_HOSTED_URL=http://[x]\n"
        'CONVEX_DASHBOARD_URL="http://a\x1b[2Jb:6791"\n'
        "CONVEX_CLOUD_ORIGIN=http://[y]:3210\n"
    )
    env.chmod(0o600)
    settings = load_settings(CliOverrides(project_dir=tmp_path))
    out = io.StringIO()
    code = doctor_main(settings, as_json=False, docker_lister=lambda s: ("ok", "n/a", []), out=out)
    assert code == 1 and "\x1b" not in out.getvalue()
    assert all("\x1b" not in (r.external_url or "") for r in service_rows(settings, None))


# ---------------------------------------------------------------- 7: logs --follow, empty log


async def test_follow_from_an_empty_log_keeps_the_first_entries(tmp_path: Path) -> None:
    got: list[str] = []
    async with (
        SandboxServer(memory=True, seed="empty", log_poll_seconds=5) as sb,
        ConvexClient(sb.url, Secret(sb.admin_key)) as client,
    ):

        async def follow() -> None:
            async for entry in client.stream_logs(history=False):
                got.extend(line.message for line in entry.log_lines)

        task = asyncio.create_task(follow())
        async with asyncio.timeout(10):  # the first poll is held: the server's log is empty
            while not sb.deployment.logs.waiting:  # noqa: ASYNC110 - no event to await
                await asyncio.sleep(0.01)
        # Held longer than the client's "two round trips" bound: what it answers is new.
        await asyncio.sleep(0.3)
        for i in range(3):
            await client.run_function("debug:echo", {"value": f"e{i}"})
        async with asyncio.timeout(10):
            while len(got) < 3:  # noqa: ASYNC110 - the stream has no event to await
                await asyncio.sleep(0.05)
        task.cancel()
    assert [g.split()[-1].strip("'") for g in got[:3]] == ["e0", "e1", "e2"]


# ---------------------------------------------------------------- 8: bounded waits


@pytest.fixture
def stalled() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    t.join(2)
    for c in held:
        c.close()
    sock.close()


def test_logs_against_a_stalled_backend_says_so_and_fails(
    stalled: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands, "REACH_WAIT_S", 1.0)
    err = io.StringIO()
    settings = SimpleNamespace(url=stalled, admin_key=None)
    args = SimpleNamespace(history=None, jsonl=False, follow=False)
    assert commands.logs_main(args, settings, out=io.StringIO(), err=err) == commands.EXIT_USAGE
    assert "did not answer" in err.getvalue()


def test_logs_follow_against_a_down_backend_reports_and_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commands, "FOLLOW_GIVE_UP_S", 1.0)
    err = io.StringIO()
    settings = SimpleNamespace(url="http://127.0.0.1:9", admin_key=None)
    args = SimpleNamespace(history=None, jsonl=False, follow=True)
    assert commands.logs_main(args, settings, out=io.StringIO(), err=err) == commands.EXIT_USAGE
    text = err.getvalue()
    assert "retrying" in text and "gave up" in text


# ---------------------------------------------------------------- 11, 13: sandbox data dir


async def test_seeding_is_atomic_across_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sandbox_server.seed_demo  # type: ignore[attr-defined]

    def crash(w: Any) -> None:
        real(w)
        raise RuntimeError("kill -9 here")

    monkeypatch.setattr(sandbox_server, "seed_demo", crash)
    with pytest.raises(RuntimeError):
        async with SandboxServer(data_dir=tmp_path / "d"):
            pass
    monkeypatch.setattr(sandbox_server, "seed_demo", real)
    async with (
        SandboxServer(data_dir=tmp_path / "d") as sb,
        ConvexClient(sb.url, Secret(sb.admin_key)) as client,
    ):
        tables = await client.list_tables()
    assert tables and any(t.count for t in tables)


async def test_database_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with SandboxServer(data_dir=data) as sb:
        await asyncio.to_thread(lambda: None)
        assert sb.data_dir == data
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for f in data.iterdir():
        if f.name.startswith(sandbox_server.DB_FILE):
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


# ---------------------------------------------------------------- 12: malformed key verdicts


async def test_malformed_check_admin_key_and_results_are_errors(scripted: Scripted) -> None:
    bodies: list[Any] = [{}, {"allowedOps": []}, [], "ok"]
    for body in bodies:
        scripted.json("GET", "/api/check_admin_key", body)
        async with ConvexClient(scripted.url, Secret("k|" + "a" * 20)) as client:
            with pytest.raises(MalformedResponse):
                await client.check_admin_key()
        sessions = Sessions(timeout=5)  # blocking: off this loop, where the server runs
        state, _ = await asyncio.to_thread(
            check_key, sessions, scripted.url, Secret("k|" + "a" * 20)
        )
        sessions.close()
        assert state == "unknown"
    scripted.json("POST", "/api/query", {"status": "success"})
    async with ConvexClient(scripted.url, None) as client:
        with pytest.raises(MalformedResponse):
            await client.query("m:f")


_ = web  # aiohttp is the scripted server's


# ---------------------------------------------------------------- 5, 8: sync session bounds


async def test_subscription_and_ws_mutation_against_a_failing_server_are_bounded(
    scripted: Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.convex import sync_client, sync_types
    from tui.convex.backoff import Backoff
    from tui.convex.errors import Timeout

    async def fail(_: web.Request) -> web.StreamResponse:
        return web.Response(status=500, text="boom")

    scripted.on("GET", "/api/sync", fail)
    monkeypatch.setattr(sync_types, "FIRST_VALUE_S", 0.5)
    monkeypatch.setattr(sync_client, "MUTATION_WAIT_S", 0.5)
    fast = lambda: Backoff(initial=0.01, maximum=0.05)  # noqa: E731
    async with ConvexClient(scripted.url, None, backoff=fast) as client:
        sub = client.subscribe("m:get")
        with pytest.raises(Timeout, match="HTTP 500"):
            await anext(sub)
        with pytest.raises(Timeout, match="never sent"):
            await client.mutation_ws("m:set")
        await sub.aclose()


async def test_a_sync_session_that_dies_says_so_to_its_subscribers(
    scripted: Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.client.fake_sync import FakeSync
    from tui.convex.errors import ConnectionLost
    from tui.convex.sync_client import SyncClient

    FakeSync(scripted, values={"a:get": 1}).install()
    states: list[str] = []

    def bug(self: SyncClient, msg: Any) -> None:
        raise RuntimeError("a bug in the client")

    monkeypatch.setattr(SyncClient, "_transition", bug)
    async with ConvexClient(scripted.url, None) as client:
        client.sync._on_state = lambda state, error: states.append(state)
        sub = client.subscribe("a:get")
        with pytest.raises(ConnectionLost, match="a bug in the client"):
            async with asyncio.timeout(10):
                await anext(sub)
    assert "closed" in states and states[-1] == "closed"


# ---------------------------------------------------------------- found by the property suite


def test_args_that_decode_to_a_non_object_are_a_usage_error() -> None:
    """hypothesis: `'{"$bytes":""}'` decoded to bytes and tripped an assert (a traceback)."""
    with pytest.raises(commands.UsageError, match="must be an object"):
        commands.parse_args_json('{"$bytes":""}')


@pytest.mark.parametrize("ts", [6.77680361916768e16, float("nan"), float("inf"), 10**400, True])
def test_log_entries_with_absurd_times_still_format(ts: Any) -> None:
    """hypothesis: a timestamp of 6.8e16 s made `logs` die in time.localtime (OverflowError)."""
    from tui.convex.models import LogEntry

    raw = {"timestamp": ts, "executionTime": ts, "identifier": "m:f", "logLines": ["hello"]}
    lines = commands.format_entry(LogEntry.from_json(raw))
    assert len(lines) == 1 and lines[0].endswith("hello")


def test_lone_surrogate_arguments_are_a_usage_error() -> None:
    """Injection corpus: `run m:f '{"value":"\\ud800"}'` crashed in httpx's encoder."""
    with pytest.raises(commands.UsageError, match="valid Unicode"):
        commands.parse_args_json('{"value": "half\\ud800pair"}')
    with pytest.raises(values.ValueError_):
        values.encode({"k": "\udfff"})


def test_kill_9_during_the_first_start_never_leaves_the_directory_unseeded(
    tmp_path: Path,
) -> None:
    """Defect 11 with real kills: `convex-tui sandbox --data DIR` killed -9 at several moments of
    its first start; the next start always finds (or makes) the demo data."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.serve_proc import free_port

    data = tmp_path / "data"
    for delay in (0.15, 0.3, 0.45, 0.6, 0.8, 1.0):
        argv = [sys.executable, "-m", "screens.main", "sandbox", "--data", str(data),
                "--port", str(free_port()), "--site-port", str(free_port())]  # fmt: skip
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    async def count() -> int:
        async with (
            SandboxServer(data_dir=data) as sb,
            ConvexClient(sb.url, Secret(sb.admin_key)) as client,
        ):
            return sum(t.count or 0 for t in await client.list_tables())

    assert asyncio.run(count()) > 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_scrub_secret_removes_the_key_its_hex_and_each_half() -> None:
    from tui.safety.text import scrub_secret

    key = "convex-self-hosted|" + "0123456789abcdef" * 4
    half = len(key) // 2
    for text in (key, key.split("|")[1], key[:half] + "…", "…" + key[half:]):
        shown = scrub_secret(f"x {text} y", key)
        assert key[:half] not in shown and key[half:] not in shown, shown
