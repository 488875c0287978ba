"""Scheduled functions: the `_scheduled_functions` table, the scheduler loop, cancel, restarts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tui.convex import values
from tui.convex.ids import decode_id, encode_id
from tui.convex.validators import v
from tui.sandbox.context import ActionCtx, MutationCtx, QueryCtx, UserError
from tui.sandbox.registry import Registry
from tui.sandbox.scheduler import JOBS_TABLE_NUMBER, TABLE_NUMBER
from tui.sandbox.server import SandboxServer

ENC = "convex_encoded_json"
DEADLINE = 10.0
Job = dict[str, Any]


def install(reg: Registry) -> None:
    """Test-only functions that schedule with chosen delays and fail on demand."""

    @reg.mutation("schedtest:schedule", args=v.any(), lineno=3)
    def schedule(ctx: MutationCtx, args: dict[str, Any]) -> str:
        job = ctx.schedule(args["delayMs"], args["path"], args["args"])
        if args.get("fail"):
            raise UserError("changed my mind")
        return job

    @reg.mutation("schedtest:newTask", args=v.object(delayMs=v.number(), then=v.string()))
    def new_task(ctx: MutationCtx, args: dict[str, Any]) -> dict[str, str]:
        task = ctx.db.insert("tasks", {"title": "scheduled", "status": "pending"})
        job = ctx.schedule(args["delayMs"], args["then"], {"taskId": task})
        return {"task": task, "job": job}

    @reg.mutation("schedtest:finish", args=v.object(taskId=v.id("tasks")), internal=True)
    def finish(ctx: MutationCtx, args: dict[str, Any]) -> None:
        ctx.db.patch(args["taskId"], {"status": "done"})
        ctx.console.log("finished", args["taskId"])

    @reg.mutation("schedtest:boom", args=v.object(taskId=v.id("tasks")), internal=True, lineno=9)
    def boom(ctx: MutationCtx, args: dict[str, Any]) -> None:
        ctx.db.patch(args["taskId"], {"status": "broken"})  # rolled back with the failure
        raise UserError("boom")

    @reg.action("schedtest:act", args=v.object(fail=v.boolean()), internal=True, lineno=5)
    async def act(ctx: ActionCtx, args: dict[str, Any]) -> str:
        if args["fail"]:
            raise UserError("action boom")
        return "ok"

    @reg.action("schedtest:actSchedules", args=v.object(taskId=v.id("tasks")))
    async def act_schedules(ctx: ActionCtx, args: dict[str, Any]) -> str:
        assert ctx.schedule is not None
        job = await ctx.schedule(0, "schedtest:finish", args)
        await ctx.schedule(0, "nope:fn", {})  # fails the action; the first job stays
        return job

    @reg.query("schedtest:peek", args=v.object())
    def peek(ctx: QueryCtx, args: dict[str, Any]) -> None:
        return None


class Api:
    def __init__(self, server: SandboxServer, client: httpx.AsyncClient) -> None:
        self.s = server
        self.c = client
        self.admin = {"Authorization": f"Convex {server.admin_key}"}

    async def call(self, route: str, path: str, args: dict[str, Any]) -> dict[str, Any]:
        r = await self.c.post(
            route, headers=self.admin, json={"path": path, "args": args, "format": ENC}
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def ok(self, route: str, path: str, args: dict[str, Any]) -> Any:
        body = await self.call(route, path, args)
        assert body["status"] == "success", body
        return values.decode(body["value"])

    async def schedule(self, path: str, delay_ms: float, args: dict[str, Any]) -> str:
        job: str = await self.ok(
            "/api/mutation",
            "schedtest:schedule",
            {"path": path, "delayMs": delay_ms, "args": args},
        )
        return job

    async def jobs(self, order: str | None = None) -> list[Job]:
        args: dict[str, Any] = {
            "table": "_scheduled_functions",
            "paginationOpts": {"numItems": 100, "cursor": None},
        }
        if order:
            args["order"] = order
        page = await self.ok("/api/query", "_system/cli/tableData", args)
        jobs: list[Job] = page["page"]
        return jobs

    async def job(self, job_id: str) -> Job:
        found = [j for j in await self.jobs() if j["_id"] == job_id]
        assert len(found) == 1, job_id
        return found[0]

    async def until(self, job_id: str, *kinds: str) -> Job:
        """Poll the table until the job reaches one of ``kinds`` (bounded)."""
        deadline = time.monotonic() + DEADLINE
        while True:
            job = await self.job(job_id)
            if job["state"]["kind"] in kinds:
                return job
            assert time.monotonic() < deadline, f"job stuck in {job['state']}"
            await asyncio.sleep(0.02)

    async def pending_page(self, **extra: Any) -> dict[str, Any]:
        page: dict[str, Any] = await self.ok(
            "/api/query",
            "_system/frontend/paginatedScheduledJobs",
            {"paginationOpts": {"numItems": 50, "cursor": None}, **extra},
        )
        return page

    async def post(self, route: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return await self.c.post(
            route, json=body, headers=self.admin if headers is None else headers
        )

    async def until_logged(
        self, count: int, match: Callable[[dict[str, Any]], bool] = lambda e: True
    ) -> None:
        """Wait (bounded) until ``count`` scheduled runs are in the log stream: a scheduled
        mutation's success commits a moment before its log line is recorded."""
        deadline = time.monotonic() + DEADLINE
        while len(self.scheduler_entries(match)) < count:
            assert time.monotonic() < deadline, "a scheduled run never reached the log"
            await asyncio.sleep(0.02)

    def scheduler_entries(self, match: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        entries = [e.render(True) for e in self.s.deployment.logs.after(0)]
        return [e for e in entries if e.get("caller") == "Scheduler" and match(e)]


@pytest.fixture
async def api(sandbox: SandboxServer) -> AsyncIterator[Api]:
    install(sandbox.deployment.registry)
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=20) as c:
        yield Api(sandbox, c)


async def test_create_schedules_process_task_which_runs(api: Api) -> None:
    task = await api.ok("/api/mutation", "tasks:create", {"title": "schedule me"})
    mine = [j for j in await api.jobs() if j["args"] == [{"taskId": task}]]
    assert len(mine) == 1
    job = mine[0]
    assert job["name"] == "tasks.js:processTask"
    assert decode_id(job["_id"]).table_number == TABLE_NUMBER
    assert job["state"]["kind"] in ("pending", "success")  # delay 0: it may have run already
    assert abs(job["scheduledTime"] - time.time() * 1000) < 60_000
    done = await api.until(job["_id"], "success")
    assert done["completedTime"] >= done["scheduledTime"]
    assert set(done) == {
        "_id",
        "_creationTime",
        "args",
        "completedTime",
        "name",
        "scheduledTime",
        "state",
    }
    await api.until_logged(1, lambda e: e["identifier"] == "tasks:processTask")
    ran = api.scheduler_entries(lambda e: e["identifier"] == "tasks:processTask")
    assert ran and ran[-1]["identityType"] == "System" and ran[-1]["error"] is None
    assert any(task in m for line in ran[-1]["logLines"] for m in line["messages"])


async def test_delayed_job_pending_then_success_with_its_writes(api: Api) -> None:
    commits: list[frozenset[str]] = []
    api.s.deployment.add_commit_listener(lambda _ts, tables: commits.append(tables))
    made = await api.ok(
        "/api/mutation", "schedtest:newTask", {"delayMs": 700.0, "then": "schedtest:finish"}
    )
    job = await api.job(made["job"])
    assert job["state"] == {"kind": "pending"} and "completedTime" not in job
    assert job["name"] == "schedtest.js:finish" and job["args"] == [{"taskId": made["task"]}]
    assert job["scheduledTime"] - job["_creationTime"] == pytest.approx(700, abs=100)
    # The dashboard's view: `_scheduled_jobs` documents by next run time.
    page = await api.pending_page()
    listed = {decode_id(d["_id"]).internal_id: d for d in page["page"]}
    row = listed[decode_id(job["_id"]).internal_id]
    assert decode_id(row["_id"]).table_number == JOBS_TABLE_NUMBER
    assert row["udfPath"] == "schedtest.js:finish" and row["state"] == {"type": "pending"}
    assert int(row["nextTs"]) == int(job["scheduledTime"] * 1e6)
    assert json.loads(row["udfArgs"]) == [{"taskId": made["task"]}]
    filtered = await api.pending_page(udfPath="schedtest.js:finish")
    assert [d["_id"] for d in filtered["page"]] == [row["_id"]]
    assert (await api.pending_page(udfPath="tasks.js:nothing"))["page"] == []
    done = await api.until(job["_id"], "success")
    assert done["completedTime"] >= job["scheduledTime"]
    task = await api.ok("/api/query", "tasks:get", {"id": made["task"]})
    assert task["status"] == "done"
    # One commit holds both the job's write and its success, like the backend.
    assert commits[-1] == {"tasks", "_scheduled_functions"}
    assert row["_id"] not in [d["_id"] for d in (await api.pending_page())["page"]]


async def test_failures_are_recorded(api: Api) -> None:
    made = await api.ok(
        "/api/mutation", "schedtest:newTask", {"delayMs": 0.0, "then": "schedtest:boom"}
    )
    failed = await api.until(made["job"], "failed", "success")
    assert failed["state"]["kind"] == "failed"
    assert failed["state"]["error"].startswith("Uncaught Error: boom\n    at handler (")
    assert failed["completedTime"] >= failed["scheduledTime"]
    task = await api.ok("/api/query", "tasks:get", {"id": made["task"]})
    assert task["status"] == "pending"  # the failed mutation's write was rolled back
    logged = api.scheduler_entries(lambda e: e["identifier"] == "schedtest:boom")
    assert logged and logged[-1]["error"].startswith("Uncaught Error: boom")

    bad_action = await api.schedule("schedtest:act", 0, {"fail": True})
    good_action = await api.schedule("schedtest:act", 0, {"fail": False})
    query = await api.schedule("schedtest:peek", 0, {})
    bad_args = await api.schedule("schedtest:act", 0, {"fail": "yes"})
    assert (await api.until(good_action, "success", "failed"))["state"] == {"kind": "success"}
    assert (await api.until(bad_action, "failed"))["state"]["error"].startswith(
        "Uncaught Error: action boom"
    )
    assert "Only Mutation and Action" in (await api.until(query, "failed"))["state"]["error"]
    assert "ArgumentValidationError" in (await api.until(bad_args, "failed"))["state"]["error"]


async def test_actions_schedule_outside_their_own_outcome(api: Api) -> None:
    task = await api.ok("/api/mutation", "tasks:create", {"title": "from an action"})
    body = await api.call("/api/action", "schedtest:actSchedules", {"taskId": task})
    assert body["status"] == "error"
    assert "nonexistent path: nope.js" in body["errorMessage"]
    mine = [j for j in await api.jobs() if j["name"] == "schedtest.js:finish"]
    assert len(mine) == 1 and mine[0]["args"] == [{"taskId": task}]
    await api.until(mine[0]["_id"], "success")
    assert (await api.ok("/api/query", "tasks:get", {"id": task}))["status"] == "done"


async def test_failed_or_invalid_scheduling_schedules_nothing(api: Api) -> None:
    before = await api.jobs()
    body = await api.call(
        "/api/mutation",
        "schedtest:schedule",
        {"path": "tasks:processTask", "delayMs": 0, "args": {}, "fail": True},
    )
    assert body["status"] == "error" and "changed my mind" in body["errorMessage"]
    for path, message in (
        ("nope:fn", "Attempted to schedule function at nonexistent path: nope.js"),
        ("tasks:nope", "no exported function nope found in the file: tasks.js"),
        ("_system/cli/tables", "nonexistent path: _system/cli/tables.js"),
    ):
        body = await api.call(
            "/api/mutation", "schedtest:schedule", {"path": path, "delayMs": 0, "args": {}}
        )
        assert body["status"] == "error" and message in body["errorMessage"], body
    assert await api.jobs() == before


async def test_cancel_job_and_cancel_all(api: Api) -> None:
    made = await api.ok(
        "/api/mutation", "schedtest:newTask", {"delayMs": 300.0, "then": "schedtest:finish"}
    )
    jobs_id = encode_id(JOBS_TABLE_NUMBER, decode_id(made["job"]).internal_id)
    anonymous = await api.post("/api/cancel_job", {"id": jobs_id}, headers={})
    assert anonymous.status_code == 403 and anonymous.json()["code"] == "BadDeployKey"
    for wrong in (made["job"], made["task"], "nonsense"):
        r = await api.post("/api/cancel_job", {"id": wrong, "componentId": None})
        assert r.status_code == 400 and r.json()["code"] == "InvalidId", wrong
    r = await api.post("/api/cancel_job", {"id": jobs_id, "componentId": None})
    assert r.status_code == 200 and r.content == b""
    canceled = await api.job(made["job"])
    assert canceled["state"] == {"kind": "canceled"} and "completedTime" in canceled
    # A later job at the same delay runs; the canceled one, due earlier, never did.
    later = await api.ok(
        "/api/mutation", "schedtest:newTask", {"delayMs": 300.0, "then": "schedtest:finish"}
    )
    await api.until(later["job"], "success")
    assert (await api.ok("/api/query", "tasks:get", {"id": made["task"]}))["status"] == "pending"
    assert not api.scheduler_entries(lambda e: made["task"] in json.dumps(e["logLines"]))
    # Canceling a finished job changes nothing.
    again = encode_id(JOBS_TABLE_NUMBER, decode_id(later["job"]).internal_id)
    assert (await api.post("/api/cancel_job", {"id": again})).status_code == 200
    assert (await api.job(later["job"]))["state"] == {"kind": "success"}

    far = [await api.schedule("schedtest:act", 60_000, {"fail": False}) for _ in range(2)]
    other = await api.schedule("tasks:processTask", 60_000, {"taskId": made["task"]})
    r = await api.post("/api/cancel_all_jobs", {"udfPath": "schedtest:act"})
    assert r.status_code == 200 and r.content == b""
    assert [(await api.job(j))["state"]["kind"] for j in far] == ["canceled", "canceled"]
    assert (await api.job(other))["state"]["kind"] == "pending"
    assert (await api.post("/api/cancel_all_jobs", {"udfPath": "no.such.path"})).status_code == 400
    assert (await api.post("/api/cancel_all_jobs", {})).status_code == 200
    assert (await api.job(other))["state"]["kind"] == "canceled"
    assert (await api.pending_page())["page"] == []


async def test_system_table_stays_out_of_user_listings(api: Api) -> None:
    await api.ok("/api/mutation", "tasks:create", {"title": "x"})
    tables = await api.ok(
        "/api/query", "_system/cli/tables", {"paginationOpts": {"numItems": 100, "cursor": None}}
    )
    assert "_scheduled_functions" not in [t["name"] for t in tables["page"]]
    shapes = (await api.c.get("/api/shapes2", headers=api.admin)).json()
    assert not [name for name in shapes if name.startswith("_")]
    mapping = await api.ok("/api/query", "_system/frontend/getTableMapping", {})
    assert mapping[str(JOBS_TABLE_NUMBER)] == "_scheduled_jobs"
    assert str(TABLE_NUMBER) not in mapping
    # Newest first unless asked otherwise; functions cannot edit jobs directly.
    jobs = await api.jobs()
    times = [j["_creationTime"] for j in jobs]
    assert len(times) >= 1 and times == sorted(times, reverse=True)
    assert [j["_id"] for j in await api.jobs("asc")] == [j["_id"] for j in reversed(jobs)]
    body = await api.call("/api/mutation", "tasks:remove", {"id": jobs[0]["_id"]})
    assert body["status"] == "error"


async def test_pending_jobs_survive_a_restart(tmp_path: Path) -> None:
    async with SandboxServer(data_dir=tmp_path, seed="empty") as first:
        install(first.deployment.registry)
        async with httpx.AsyncClient(base_url=first.url, timeout=20) as c:
            api = Api(first, c)
            task = await api.ok("/api/mutation", "tasks:create", {"title": "restart"})
            await api.until_logged(1)  # the create's own follow-up job has run
            later = await api.schedule("tasks:processTask", 2000, {"taskId": task})
            soon = await api.schedule("tasks:processTask", 800, {"taskId": task})
            # The server "goes down" now: a loaded machine may take longer than 800 ms to
            # leave the block, and the job must not run on this side of the restart.
            await first.deployment.scheduler.stop()
            assert (await api.job(soon))["state"] == {"kind": "pending"}
            due = (await api.job(soon))["scheduledTime"]
            assert len(api.scheduler_entries(lambda e: True)) == 1
    # Down past the first job's time: it runs as soon as the next server starts.
    deadline = time.monotonic() + DEADLINE
    while time.time() * 1000 <= due:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    async with (
        SandboxServer(data_dir=tmp_path, seed="empty") as second,
        httpx.AsyncClient(base_url=second.url, timeout=20) as c,
    ):
        api = Api(second, c)
        first_done = await api.until(soon, "success")
        assert first_done["state"] == {"kind": "success"}
        assert (await api.job(later))["state"] == {"kind": "pending"}
        second_done = await api.until(later, "success")
        assert second_done["completedTime"] >= second_done["scheduledTime"]
        await api.until_logged(2)
        ran = api.scheduler_entries(lambda e: e["identifier"] == "tasks:processTask")
        assert len(ran) == 2
