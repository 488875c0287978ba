"""`D` with the real Convex CLI (convex@1.48 from tests/workspace/node_modules) against the
sandbox: the example workspace deploys, its functions appear; a module that does not build and
a schema the existing documents violate fail with the CLI's error and leave the previous
functions in place.

Runs when the sandbox takes deploys (`/api/get_config_hashes`, `/api/deploy2/*`); outside CI
it skips loudly otherwise, and under CI it fails: CI must exercise real deploys.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from screens.app import ConsoleApp, make_app
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, fixed_clock, settings
from tui.config.secret import Secret
from tui.sandbox.server import SandboxThread
from tui.scripts.board import DEPLOY

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tests" / "workspace"
DEPLOY_SECONDS = 180.0

pytestmark = pytest.mark.timeout(600)


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"real-CLI deploy test cannot run in CI: {reason}")
    pytest.skip(f"REAL-CLI DEPLOY TEST SKIPPED: {reason}")


def takes_deploys(url: str, key: str) -> bool:
    body = {"version": "1.48.0", "adminKey": key}
    try:
        response = httpx.post(f"{url}/api/get_config_hashes", json=body, timeout=10,
                              headers={"Authorization": f"Convex {key}"})  # fmt: skip
    except httpx.HTTPError:
        return False
    return response.status_code == 200


@pytest.fixture
def deploy_sandbox(tmp_path: Path) -> Iterator[SandboxThread]:
    with SandboxThread(data_dir=tmp_path / "sandbox", seed="empty") as server:
        if not takes_deploys(server.url, server.admin_key):
            unavailable("this sandbox does not take deploys (/api/get_config_hashes)")
        yield server


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example workspace with the seed's scripts, sharing its node_modules."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("node/npm are not on PATH")
    modules = EXAMPLE / "node_modules"
    if not (modules / ".bin" / "convex").exists():
        unavailable(f"{modules} is missing: run `(cd tests/workspace && npm ci)`")
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLE / "convex", root / "convex",
                    ignore=shutil.ignore_patterns("_generated"))  # fmt: skip
    package = json.loads((EXAMPLE / "package.json").read_text())
    package["scripts"] = {"deploy:functions": "convex deploy --yes", "dev:backend": "convex dev"}
    (root / "package.json").write_text(json.dumps(package, indent=2))
    (root / "node_modules").symlink_to(modules)
    monkeypatch.setenv("CONVEX_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CI", "1")  # the CLI: no prompts, no crash reports over the network
    return root


def build(sandbox: SandboxThread, root: Path) -> ConsoleApp:
    s = dataclasses.replace(
        settings(project_dir=root), url=sandbox.url, admin_key=Secret(sandbox.admin_key)
    )
    return make_app(s, prober=FakeProber(), docker=FakeDocker(), clock=fixed_clock)


async def deploy(pilot: Any) -> Any:
    app = pilot.app
    generation = app.deploy_generation
    runs_before = app.board.runs.get(DEPLOY)
    await pilot.press("D")
    await pilot.pause()
    await pilot.press("y")
    run = await until(pilot, lambda: (r := app.board.runs.get(DEPLOY)) is not runs_before and r)
    await until(pilot, lambda: not run.running, timeout=DEPLOY_SECONDS, what="deploy finished")
    await until(pilot, lambda: "deploying" not in app.header_state.deploy, what="summary")
    return run, generation


async def test_deploy_with_the_key_then_a_failing_one(
    deploy_sandbox: SandboxThread, workspace: Path
) -> None:
    app = build(deploy_sandbox, workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.convex is not None, what="client")
        run, generation = await deploy(pilot)
        output = "\n".join(run.lines)
        assert run.exit_status == 0, output
        assert "Deployed Convex functions" in output, output
        assert deploy_sandbox.admin_key not in output
        assert app.deploy_generation > generation
        assert app.header_state.deploy.startswith("deployed"), app.header_state.deploy
        names = {f.identifier for f in await app.convex.list_functions()}
        assert "tasks.js:list" in names, names
        summary = app.last_deploy
        assert summary is not None and summary.functions_known
        assert "tasks.js:archiveDone" in summary.functions_added, summary

        # A module that does not build: the CLI's error, and the old functions stay.
        (workspace / "convex" / "broken.ts").write_text('import "./does-not-exist";\n')
        run, generation = await deploy(pilot)
        output = "\n".join(run.lines)
        assert run.exit_status not in (0, None), output
        assert "does-not-exist" in output, output
        assert "failed" in app.header_state.deploy
        assert app.deploy_generation == generation
        after = {f.identifier for f in await app.convex.list_functions()}
        assert after == names

        # A schema the existing documents violate: the push fails, the old app still runs.
        (workspace / "convex" / "broken.ts").unlink()
        await app.convex.mutation("tasks:create", {"text": "old"})
        schema = workspace / "convex" / "schema.ts"
        schema.write_text(schema.read_text().replace(
            "priority: v.number(),", "priority: v.number(),\n    owner: v.string(),"))  # fmt: skip
        run, generation = await deploy(pilot)
        output = "\n".join(run.lines)
        assert run.exit_status not in (0, None), output
        assert "does not match the schema" in output, output
        assert "failed" in app.header_state.deploy and app.deploy_generation == generation
        listed = await app.convex.query("tasks:list", {})
        assert [t["text"] for t in listed.value] == ["old"]


async def test_dev_backend_redeploys_after_an_edit(
    deploy_sandbox: SandboxThread, workspace: Path
) -> None:
    app = build(deploy_sandbox, workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.convex is not None, what="client")
        generation = app.deploy_generation
        await pilot.press("6", "b")
        run = await until(pilot, lambda: app.board.running("dev"), what="dev running")
        await until(pilot, lambda: app.deploy_generation > generation, timeout=DEPLOY_SECONDS,
                    what="first push: " + "\n".join(run.lines[-5:]))  # fmt: skip
        (workspace / "convex" / "added.ts").write_text(
            'import { query } from "./_generated/server";\n'
            "export const hello = query({ args: {}, handler: async () => 'hi' });\n"
        )
        second = app.deploy_generation

        async def has_hello() -> bool:
            names = {f.identifier for f in await app.convex.list_functions()}
            return "added.js:hello" in names

        await until(pilot, lambda: app.deploy_generation > second, timeout=DEPLOY_SECONDS,
                    what="push after the edit: " + "\n".join(run.lines[-5:]))  # fmt: skip
        assert await has_hello()
        assert app.header_state.dev.startswith("dev ready")
        await pilot.press("b")
        await until(pilot, lambda: not run.running, what="dev stopped")
        assert app.header_state.dev == "dev stopped"
