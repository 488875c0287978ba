"""``--project DIR``: push a workspace's ``convex/`` to a fresh sandbox with its own CLI.

Runs the workspace's ``convex`` (what ``npx convex dev --once`` runs) against the sandbox with
self-hosted credentials. The CLI saves ``CONVEX_URL`` to the workspace's ``.env.local``; the
file is put back as it was afterwards, so the user's real deployment settings survive.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.safety.text import clean
from tui.sandbox.node_host import node_binary

if TYPE_CHECKING:
    from tui.sandbox.server import SandboxThread

PUSH_TIMEOUT = 300.0
COMMAND = "npx convex dev --once"


@dataclass(frozen=True)
class ProjectPush:
    ok: bool
    message: str
    seconds: float = 0.0
    output: str = ""


def cli_path(project: Path) -> Path:
    return project / "node_modules" / ".bin" / "convex"


def unavailable_reason(project: Path) -> str | None:
    """Why this workspace cannot be pushed, or None when it can."""
    if not (project / "convex").is_dir():
        return f"{project} has no convex/ directory"
    if node_binary() is None:
        return (
            "Node.js 18 or newer is not installed (the sandbox runs pushed functions with `node`)"
        )
    if not cli_path(project).exists():
        return f"the `convex` package is not installed in {project}: run `npm install` there"
    return None


def push_project(project: Path, url: str, admin_key: str) -> ProjectPush:
    reason = unavailable_reason(project)
    if reason is not None:
        return ProjectPush(False, f"Not pushing {project}: {reason}.")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEX_")}
    env.update(
        CONVEX_SELF_HOSTED_URL=url,
        CONVEX_SELF_HOSTED_ADMIN_KEY=admin_key,
        CI="1",  # no prompts, no crash reports over the network
        NO_COLOR="1",
    )
    env_local = project / ".env.local"
    saved = env_local.read_bytes() if env_local.exists() else None
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            # Absolute: a relative DIR (`--project tests/workspace`) would be resolved again
            # from inside DIR, the child's working directory.
            [str(cli_path(project).resolve()), "dev", "--once"],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PUSH_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return ProjectPush(False, f"`{COMMAND}` did not finish within {PUSH_TIMEOUT:.0f}s.")
    except OSError as exc:
        return ProjectPush(False, f"`{COMMAND}` could not start: {exc.strerror or exc}.")
    finally:
        if saved is None:
            env_local.unlink(missing_ok=True)
        else:
            env_local.write_bytes(saved)
    seconds = time.perf_counter() - started
    output = clean(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-8:])
        return ProjectPush(
            False, f"`{COMMAND}` failed (exit {proc.returncode}):\n{tail}", seconds, output
        )
    return ProjectPush(
        True, f"Pushed {project}/convex with `{COMMAND}` in {seconds:.1f}s.", seconds, output
    )


def start_project_sandbox(project: Path | None, who: str) -> SandboxThread | None:
    """An in-memory sandbox for ``convex-tui demo``: the demo app, or DIR's pushed app.

    Returns None (after saying why on stderr) when the sandbox cannot start or DIR was asked
    for but cannot be pushed: the console would otherwise open on an app the user did not ask
    for, and the message would vanish under the full-screen UI."""
    from tui.sandbox.server import SandboxThread

    if project is not None:
        reason = unavailable_reason(project)
        if reason is not None:
            print(f"{who}: cannot push {project}: {reason}.", file=sys.stderr)
            print(f"Run `{who}` without --project for the built-in demo app.", file=sys.stderr)
            return None
    sandbox = SandboxThread(memory=True, seed="demo" if project is None else "empty")
    try:
        sandbox.start()
    except OSError as exc:
        print(f"{who}: cannot start the sandbox: {exc}", file=sys.stderr)
        return None
    if project is None:
        import asyncio

        from tui.sandbox.demo_activity import run_first_calls

        # The demo app's first calls, so its log has recent lines (bounded; never fatal).
        calls = asyncio.run_coroutine_threadsafe(run_first_calls(sandbox.deployment), sandbox.loop)
        try:
            calls.result(30)
        except Exception as exc:  # noqa: BLE001 - the demo still opens, just with a quiet log
            print(f"{who}: the demo app's first calls failed: {exc}", file=sys.stderr)
    if project is not None:
        print(f"Pushing {project}/convex with `{COMMAND}`...", file=sys.stderr, flush=True)
        result = push_project(project, sandbox.url, sandbox.admin_key)
        print(result.message, file=sys.stderr)
        if not result.ok:
            sandbox.stop()
            return None
    return sandbox
