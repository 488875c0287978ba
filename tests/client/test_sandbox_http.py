"""Every HTTP operation and error mapping against the in-process sandbox deployment."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from tests.client.scripted import wait_for
from tui.config.secret import Secret
from tui.convex import errors
from tui.convex.backoff import Backoff
from tui.convex.client import UNSET, ConvexClient
from tui.convex.models import ClearProgress, Filter, LogEntry, group_by_module
from tui.convex.values import Int64

sandbox_server = pytest.importorskip("tui.sandbox.server")
SandboxServer = sandbox_server.SandboxServer


@pytest.fixture
async def sandbox() -> AsyncIterator[object]:
    async with SandboxServer(host="127.0.0.1", port=0, memory=True, seed="demo") as server:
        yield server


@pytest.fixture
async def client(sandbox: object) -> AsyncIterator[ConvexClient]:
    async with ConvexClient(sandbox.url, Secret(sandbox.admin_key)) as c:  # type: ignore[attr-defined]
        yield c


async def test_meta(client: ConvexClient) -> None:
    assert await client.version()
    assert await client.instance_name() == "convex-self-hosted"
    status = await client.check_admin_key()
    assert status.valid and status.all_ops and not status.is_read_only
    probe = await client.ping()
    assert probe.latency_ms > 0 and probe.version == await client.version()


async def test_functions_and_errors(client: ConvexClient) -> None:
    tasks = (await client.query("tasks:list", {})).value
    assert tasks and all("_id" in t for t in tasks)
    echo = await client.query("debug:echo", {"value": {"n": Int64(-5), "b": b"\x01", "f": 1.5}})
    assert echo.value == {"n": Int64(-5), "b": b"\x01", "f": 1.5}
    assert [ln.message for ln in echo.log_lines][0].startswith("'echo'")
    created = await client.mutation("tasks:create", {"title": "from test"})
    assert isinstance(created.value, str) and created.request_id
    with pytest.raises(errors.FunctionError) as info:
        await client.mutation("tasks:create", {"title": ""})
    assert info.value.has_data and info.value.data["code"] == "EMPTY_TITLE"
    with pytest.raises(errors.FunctionError) as info:
        await client.query("debug:fail")
    assert not info.value.has_data and info.value.request_id
    assert "throws on purpose" in info.value.summary
    assert info.value.log_lines[0].level == "ERROR"
    with pytest.raises(errors.FunctionNotFound):
        await client.query("nope:missing")
    with pytest.raises(errors.InvalidArguments):
        await client.mutation("tasks:create", {"bad": 1})
    # internal functions: through /api/function (like npx convex run)
    result = await client.run_function("tasks:processTask", {"taskId": created.value})
    assert result.value is None and result.log_lines[0].level == "INFO"
    # acting as a user
    assert (await client.query("tasks:getUserTasks", {})).value == []
    user_id = tasks[0]["userId"]
    mine = await client.query("tasks:getUserTasks", {}, identity={"subject": f"{user_id}|s1"})
    assert mine.value and all(t["userId"] == user_id for t in mine.value)


async def test_function_list(client: ConvexClient) -> None:
    specs = await client.list_functions()
    by_path = {s.path: s for s in specs}
    assert by_path["tasks:list"].function_type == "Query"
    assert by_path["tasks:processTask"].visibility == "internal"
    assert any(s.is_http for s in specs)
    groups = group_by_module(specs)
    assert "tasks" in groups and list(groups)[-1] == "http"


async def test_data_read_and_write(client: ConvexClient) -> None:
    tables = {t.name: t for t in await client.list_tables()}
    assert (tables["tasks"].count or 0) > 0
    first = await client.page_documents("tasks", page_size=3)
    assert len(first.docs) == 3 and not first.is_done and first.cursor
    second = await client.page_documents("tasks", first.cursor, page_size=3)
    assert not {d["_id"] for d in first.docs} & {d["_id"] for d in second.docs}
    times = [d["_creationTime"] for d in first.docs + second.docs]
    assert times == sorted(times, reverse=True)  # default order: newest first
    status = first.docs[0]["status"]
    filtered = await client.page_documents(
        "tasks", filters=[Filter("status", "eq", status)], page_size=100
    )
    assert filtered.docs and all(d["status"] == status for d in filtered.docs)
    doc = first.docs[0]
    assert await client.table_for_id(doc["_id"]) == "tasks"
    assert await client.get_document(doc["_id"]) == doc

    await client.add_documents("notes", [{"text": "a", "n": 1}, {"text": "b", "n": 2}])
    notes = (await client.page_documents("notes", page_size=10)).docs
    assert sorted(d["text"] for d in notes) == ["a", "b"]
    a = next(d for d in notes if d["text"] == "a")
    await client.patch_fields("notes", [a["_id"]], {"text": "A", "n": UNSET})
    patched = await client.get_document(a["_id"])
    assert patched is not None and patched["text"] == "A" and "n" not in patched
    await client.replace_document(a["_id"], {"text": "replaced"})
    replaced = await client.get_document(a["_id"])
    assert replaced is not None and replaced["text"] == "replaced" and replaced["_id"] == a["_id"]
    await client.delete_documents([a["_id"]])
    assert await client.get_document(a["_id"]) is None
    progress: list[ClearProgress] = []
    await client.add_documents("notes", [{"i": i} for i in range(5)])
    assert await client.clear_table("notes", progress.append) == 6
    assert progress[-1] == ClearProgress("notes", 6, False)
    assert (await client.page_documents("notes")).docs == ()


async def test_shapes_indexes_schema(client: ConvexClient) -> None:
    shapes = await client.shapes()
    assert shapes["tasks"]["type"] == "Object"
    assert {i.name for i in await client.indexes("tasks")} >= {"by_status"}
    schema = await client.schema()
    assert schema is not None and any(t["tableName"] == "tasks" for t in schema["tables"])


async def test_env_batch(client: ConvexClient) -> None:
    await client.set_env({"A_ONE": "1", "B_TWO": "2"})
    assert await client.list_env() == {"A_ONE": "1", "B_TWO": "2"}
    await client.set_env({"A_ONE": None, "B_TWO": "two"})
    assert await client.list_env() == {"B_TWO": "two"}
    with pytest.raises(errors.BadRequest) as info:
        await client.set_env({"1-bad name": "x"})
    assert info.value.code and info.value.message


async def test_error_mapping(sandbox: object) -> None:
    url = sandbox.url  # type: ignore[attr-defined]
    real = sandbox.admin_key  # type: ignore[attr-defined]
    wrong = Secret("convex-self-hosted|01" + "0" * 96)
    async with ConvexClient(url, wrong) as bad:
        with pytest.raises(errors.BadAdminKey) as info:
            await bad.list_env()
        assert wrong.reveal() not in str(info.value)
        assert not (await bad.check_admin_key()).valid
    async with ConvexClient(url, None) as anon:
        with pytest.raises(errors.PermissionDenied, match="none is configured"):
            await anon.list_env()
        with pytest.raises(errors.PermissionDenied):
            await anon.run_function("tasks:list", {})
        assert (await anon.query("tasks:list", {})).value  # public functions need no key
    async with ConvexClient(url, Secret(real)) as client:
        with pytest.raises(errors.NotFound):
            await client._http.get_json("/api/definitely_not_a_route")


async def test_unreachable_after_stop() -> None:
    server = SandboxServer(host="127.0.0.1", port=0, memory=True, seed="empty")
    await server.start()
    url, key = server.url, server.admin_key
    await server.stop()
    async with ConvexClient(url, Secret(key)) as client:
        with pytest.raises(errors.Unreachable):
            await client.version()
        assert client.state.http_ok is False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_logs_resume_across_restart_without_duplicates() -> None:
    port = free_port()
    first = SandboxServer(host="127.0.0.1", port=port, memory=True, seed="empty")
    await first.start()
    key = first.admin_key
    restarted = None
    try:
        async with ConvexClient(first.url, Secret(key), backoff=lambda: Backoff(0.02, 0.1)) as c:
            stream = c.stream_logs(history=True)
            it = aiter(stream)
            await c.query("debug:echo", {"value": "one"})
            got: list[LogEntry] = [await asyncio.wait_for(anext(it), 5)]
            await first.stop()
            pending = asyncio.ensure_future(anext(it))  # polls fail while the backend is down
            await wait_for(lambda: stream.reconnects >= 2)
            restarted = SandboxServer(
                host="127.0.0.1", port=port, memory=True, seed="empty", admin_key=key
            )
            await restarted.start()
            await c.query("debug:echo", {"value": "two"})
            got.append(await asyncio.wait_for(pending, 10))
            await c.query("debug:echo", {"value": "three"})
            got.append(await asyncio.wait_for(anext(it), 5))
            messages = [e.log_lines[0].message for e in got]
            assert messages == ["'echo' 'one'", "'echo' 'two'", "'echo' 'three'"]
            assert len({e.key for e in got}) == 3
            assert stream.reconnects >= 2
    finally:
        await first.stop()
        if restarted is not None:
            await restarted.stop()


async def test_without_a_key_system_calls_say_the_key_is_missing(sandbox: object) -> None:
    """The backend answers a keyless system call with "Could not find public function"; the
    client says what is actually missing (every pane shows this message)."""
    async with ConvexClient(sandbox.url, None) as c:  # type: ignore[attr-defined]
        with pytest.raises(errors.PermissionDenied, match="No admin key"):
            await c.list_functions()
        with pytest.raises(errors.PermissionDenied, match="No admin key"):
            await c.list_tables()
        # A user function is still the function's business (public queries need no key).
        assert isinstance((await c.query("tasks:list", {})).value, list)
