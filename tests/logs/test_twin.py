"""`convex-tui logs` with the Logs pane's filter flags, against the sandbox (and an engine for
--containers): the same rows and filter as the pane, sanitized lines or exact JSON."""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.docker_fixtures import TEST_IMAGE
from tui.cli import build_parser, settings_from_args
from tui.config.secret import Secret
from tui.convex.client import ConvexClient
from tui.convex.commands import logs_main
from tui.logs.twin import run_twin, twin_main
from tui.logs.twin_flags import wants_twin


def call(sandbox: Any, kind: str, path: str, args: dict[str, Any]) -> None:
    httpx.post(
        f"{sandbox.url}/api/{kind}",
        json={"path": path, "args": args, "format": "json"},
        headers={"Authorization": f"Convex {sandbox.admin_key}"},
        timeout=10,
    )


def logs(sandbox: Any, *flags: str) -> tuple[int, str, str]:
    argv = ["--url", sandbox.url, "--admin-key", sandbox.admin_key, "logs", *flags]
    args = build_parser().parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    main = twin_main if wants_twin(args) else logs_main  # as tui/cli.py dispatches
    code = main(args, settings_from_args(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_flags_share_the_pane_filter_model(sandbox_session: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    call(sandbox_session, "mutation", "tasks:create", {"title": f"tw-{tag} \x1b]0;t\x07[b]"})
    call(sandbox_session, "query", "debug:fail", {})
    code, out, _ = logs(sandbox_session, "--filter", f"tw-{tag}")
    assert code == 0 and len(out.splitlines()) == 1
    assert "[M tasks:processTask] [INFO]" in out and "\x1b" not in out and "[b]" in out
    code, out, _ = logs(sandbox_session, "--failures")
    assert out and all("debug:fail" in ln for ln in out.splitlines())
    code, out, _ = logs(sandbox_session, "--level", "ERROR", "--function", "debug:fail")
    assert {"[ERROR]", "[FAILURE]"} <= {ln.split()[3] for ln in out.splitlines()}
    code, out, _ = logs(sandbox_session, "--filter", f"tw-{tag}", "--jsonl")
    row = json.loads(out.splitlines()[0])
    assert row["message"].endswith("\x1b]0;t\x07[b]' }")  # exact
    code, out, _ = logs(sandbox_session, "--request", row["requestId"])
    assert len(out.splitlines()) == 2  # processTask's line and its outcome
    code, _, err = logs(sandbox_session, "--level", "LOUD")
    assert code == 2 and "unknown level LOUD" in err
    code, out, _ = logs(sandbox_session, "--filter", f"!tw-{tag}")
    assert f"tw-{tag}" not in out


@pytest.mark.docker
async def test_follow_with_containers_merges_container_lines(sdk: Any, sandbox: Any) -> None:
    name = f"i10-twin-{uuid.uuid4().hex[:6]}"
    sdk.containers.run(TEST_IMAGE, ["sh", "-c", "echo hello-from-box; sleep 60"], name=name,
                       detach=True, network_mode="none")  # fmt: skip
    args = build_parser().parse_args(
        ["logs", "--follow", "--containers", name, "--filter", "hello-from|twin-"]
    )
    out = io.StringIO()
    try:
        async with ConvexClient(sandbox.url, Secret(sandbox.admin_key)) as client:
            task = asyncio.create_task(run_twin(args, client, out, io.StringIO()))
            for _ in range(200):
                if "hello-from-box" in out.getvalue():
                    break
                await asyncio.sleep(0.05)
            await client.mutation("tasks:create", {"title": "twin-live"})
            for _ in range(200):
                if "twin-live" in out.getvalue():
                    break
                await asyncio.sleep(0.05)
            task.cancel()
    finally:
        sdk.api.remove_container(name, force=True)
    text = out.getvalue()
    assert f"[{name}] [stdout] hello-from-box" in text
    assert "twin-live" in text


@pytest.mark.docker
def test_containers_without_follow_print_their_tail_merged(sdk: Any, sandbox_session: Any) -> None:
    name = f"i10-tail-{uuid.uuid4().hex[:6]}"
    sdk.containers.run(TEST_IMAGE, ["sh", "-c", "for i in 1 2 3 4; do echo t$i; done; sleep 60"],
                       name=name, detach=True, network_mode="none")  # fmt: skip
    try:
        for _ in range(100):
            if b"t4" in sdk.api.logs(name):
                break
            time.sleep(0.05)
        code, out, _ = logs(sandbox_session, "--containers", f"{name},i10-missing", "--tail", "2")
    finally:
        sdk.api.remove_container(name, force=True)
    assert code == 0
    assert [ln.split("] ", 2)[-1] for ln in out.splitlines() if f"[{name}]" in ln] == ["t3", "t4"]
    assert "i10-missing: no such container" in out
