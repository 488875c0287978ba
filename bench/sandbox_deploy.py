"""Pushed functions vs the built-in demo app, and what `npx convex dev --once` costs.

    .venv/bin/python bench/sandbox_deploy.py [--calls 300]

Round trips: the same shapes of function over keep-alive HTTP against two sandboxes in child
processes — the demo app's Python `messages:list` / `messages:send`, and the example
workspace's (tests/workspace) TypeScript ones pushed with `--project` and run in the Node host.
Deploy: wall time of the real CLI's `dev --once` against an in-process sandbox, split into the
sandbox's share (time answering /api/get_config_hashes and /api/deploy2/*) and the CLI's own
(bundling, codegen, typecheck, process start).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "tests" / "workspace"
sys.path.insert(0, str(ROOT))


def start(extra: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "sandbox", "--memory", "--port", "0", "--site-port", "0"]
        + extra,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    while True:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit("sandbox failed to start")
        if line.startswith("Not pushing") or "failed" in line:
            raise SystemExit(line)
        if line.startswith("API URL:"):
            return proc, line.split(":", 1)[1].strip()


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(30)


def call(c: httpx.Client, route: str, path: str, args: dict[str, Any]) -> Any:
    body = c.post(route, json={"path": path, "args": args, "format": "json"}).json()
    if body["status"] != "success":
        raise SystemExit(body)
    return body["value"]


def median_ms(c: httpx.Client, calls: int, route: str, path: str, args: dict[str, Any]) -> float:
    for _ in range(10):  # warm the reader threads and the host pool
        call(c, route, path, args)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        call(c, route, path, args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def round_trips(url: str, calls: int) -> tuple[float, float]:
    with httpx.Client(base_url=url, timeout=30) as c:
        for i in range(20):
            call(c, "/api/mutation", "messages:send", {"author": "bench", "body": f"m{i}"})
        q = median_ms(c, calls, "/api/query", "messages:list", {})
        m = median_ms(c, calls, "/api/mutation", "messages:send", {"author": "b", "body": "x"})
    return q, m


def copy_workspace(dest: Path) -> Path:
    shutil.copytree(WORKSPACE / "convex", dest / "convex", ignore=lambda _d, n: ["_generated"])
    shutil.copy(WORKSPACE / "package.json", dest / "package.json")
    (dest / "node_modules").symlink_to(WORKSPACE / "node_modules")
    return dest


def dev_once(project: Path, runs: int) -> None:
    from tui.sandbox.project import cli_path
    from tui.sandbox.server import SandboxThread

    with SandboxThread(memory=True, seed="empty") as sandbox:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CONVEX_")},
            "CI": "1",
            "CONVEX_SELF_HOSTED_URL": sandbox.url,
            "CONVEX_SELF_HOSTED_ADMIN_KEY": sandbox.admin_key,
        }
        pushes = sandbox.server.pushes
        print("## npx convex dev --once (real CLI 1.48) against the sandbox")
        print(f"{'run':<24}{'wall s':>9}{'sandbox s':>11}{'CLI share':>11}")
        for i in range(runs):
            before = pushes.server_seconds
            t0 = time.perf_counter()
            subprocess.run(
                [str(cli_path(project)), "dev", "--once"],
                cwd=project,
                env=env,
                check=True,
                capture_output=True,
            )
            wall = time.perf_counter() - t0
            server = pushes.server_seconds - before
            label = "first push" if i == 0 else "no changes"
            print(f"{label:<24}{wall:9.2f}{server:11.2f}{(wall - server) / wall:10.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("node") is None or not (WORKSPACE / "node_modules").exists():
        raise SystemExit("needs node and `(cd tests/workspace && npm ci)`")
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_workspace(Path(tmp) / "app")
        demo, demo_url = start(["--seed", "demo"])
        try:
            dq, dm = round_trips(demo_url, args.calls)
        finally:
            stop(demo)
        pushed, pushed_url = start(["--project", str(project)])
        try:
            pq, pm = round_trips(pushed_url, args.calls)
        finally:
            stop(pushed)
        print(f"## round trip, median of {args.calls}, keep-alive HTTP")
        print(f"{'':<22}{'demo (Python) ms':>18}{'pushed (Node) ms':>18}{'ratio':>8}")
        print(f"{'query messages:list':<22}{dq:18.2f}{pq:18.2f}{pq / dq:7.2f}x")
        print(f"{'mutation messages:send':<22}{dm:18.2f}{pm:18.2f}{pm / dm:7.2f}x")
        print()
        dev_once(project, args.runs)


if __name__ == "__main__":
    main()
