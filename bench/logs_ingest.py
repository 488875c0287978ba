"""The Logs pane under load, each figure beside its floor, measured side by side in one run.

    .venv/bin/python bench/logs_ingest.py [--lines 2000000] [--samples 5] [--json]

1. lines/s the pane ingests from a busybox container (the engine's API socket, demultiplexed,
   merged into the view, repainted 5×/s, while function executions stream from a sandbox)
   vs `docker logs -f` reading the same container                          (goal ≥ 1.0×)
2. key press → repaint while ingesting, vs the same key when idle          (goal ≤ 100 ms)
3. RSS of the console process after those lines                            (goal ≤ 150 MB)
4. mutation → its log line on the pane's screen vs `npx convex logs` printing it
   on the same sandbox                                                     (goal ≤ 1.0×)

Every part has a time bound. The container (prefix i10-bench-) is removed at the end.
Parts 1–3 run in a child process so that its RSS is the console's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
CONVEX_BIN = ROOT / "tests" / "peers" / "node_modules" / ".bin" / "convex"
IMAGE = os.environ.get("CONVEX_TUI_TEST_IMAGE", "convex-tui-test/busybox:latest")
PART_TIMEOUT = 240.0

SANDBOX = """
import asyncio, json, sys
from tui.sandbox.server import SandboxServer
async def main():
    async with SandboxServer(host="127.0.0.1", port=0, memory=True, seed="demo") as s:
        print(json.dumps({"url": s.url, "admin_key": s.admin_key}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""


def start_sandbox() -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen([sys.executable, "-c", SANDBOX], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, info["url"], info["admin_key"]


def mutate(url: str, key: str, title: str) -> None:
    httpx.post(f"{url}/api/mutation", json={"path": "tasks:create", "args": {"title": title},
               "format": "json"}, headers={"Authorization": f"Convex {key}"}, timeout=10)  # fmt: skip


# ------------------------------------------------------------------ parts 1–3 (child process)


def rss_kilobytes() -> int:
    status = Path("/proc/self/status").read_text()
    return next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS:"))


async def key_to_repaint(app: Any, screen: Any) -> float:
    """Seconds from a key event (`t`: time stamps on/off, every line changes) entering the App
    to the first line painted in the new state."""
    from textual import events

    lines = screen.lines
    painted: list[float] = []
    before = lines.show_time
    original = lines.render_line

    def spy(y: int) -> Any:
        if lines.show_time != before and not painted:
            painted.append(time.perf_counter())
        return original(y)

    lines.render_line = spy
    t0 = time.perf_counter()
    app.post_message(events.Key("t", "t"))
    while not painted and time.perf_counter() - t0 < 10:  # noqa: ASYNC110 - a spy, not an event
        await asyncio.sleep(0.001)
    lines.render_line = original
    return (painted[0] if painted else time.perf_counter()) - t0


async def pane_child(url: str, key: str, container: str, lines: int) -> dict[str, Any]:
    import dataclasses

    from screens.app import make_app
    from screens.logs import LogsScreen
    from tests.ui.fakes import FakeDocker, FakeProber, settings
    from tui.config.secret import Secret

    s = dataclasses.replace(settings(url=url), admin_key=Secret(key))
    app = make_app(s, prober=FakeProber(), docker=FakeDocker())
    result: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        stop = threading.Event()

        def executions() -> None:  # function executions stream meanwhile
            i = 0
            while not stop.is_set():
                mutate(url, key, f"bench {i}")
                i += 1
                time.sleep(0.05)

        feeder = threading.Thread(target=executions, daemon=True)
        feeder.start()
        counted = [0]
        put = screen.inbox.put

        def counting(rows: list[Any]) -> bool:
            counted[0] += sum(1 for r in rows if r.source == container)
            return put(rows)

        screen.inbox.put = counting  # type: ignore[method-assign]
        start_writer(container, lines)  # the container writes while the pane reads
        t0 = time.perf_counter()
        screen.follow_container(container)
        busy: list[float] = []
        deadline = t0 + PART_TIMEOUT
        target = lines + 1  # the numbers and DONE
        while counted[0] < target and time.perf_counter() < deadline:
            busy.append(await key_to_repaint(app, screen))
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - t0
        stop.set()
        ingested = counted[0]
        await pilot.pause(0.5)
        idle = [await key_to_repaint(app, screen) for _ in range(10)]
        rss_kb = rss_kilobytes()
        result = {
            "ingested": ingested,
            "seconds": elapsed,
            "complete": ingested >= target,
            "key_busy_ms": statistics.median(busy) * 1000 if busy else None,
            "key_busy_p95_ms": sorted(busy)[int(len(busy) * 0.95)] * 1000 if busy else None,
            "key_idle_ms": statistics.median(idle) * 1000,
            "rss_mb": rss_kb / 1024,
            "dropped": screen.view.dropped,
            "lost": screen.view.lost,
        }
    return result


def start_writer(container: str, lines: int) -> None:
    """A busybox container printing ``lines`` numbered lines as fast as it can."""
    subprocess.run(["docker", "run", "-d", "--name", container, "--network", "none", IMAGE, "sh",
                    "-c", f"seq 1 {lines}; echo DONE; sleep 3600"],
                   check=True, capture_output=True)  # fmt: skip


def docker_logs_rate(container: str, lines: int) -> tuple[float, int]:
    start_writer(container, lines)
    t0 = time.perf_counter()
    proc = subprocess.Popen(["docker", "logs", "-f", "--timestamps", container],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    assert proc.stdout is not None
    n = 0
    deadline = t0 + PART_TIMEOUT
    for _ in proc.stdout:
        n += 1
        if n >= lines + 1 or time.perf_counter() > deadline:
            break
    elapsed = time.perf_counter() - t0
    proc.kill()
    proc.wait()
    return n / elapsed, n


# ------------------------------------------------------------------ part 4


async def first_line_latency(url: str, key: str, samples: int) -> dict[str, Any]:
    import dataclasses

    from screens.app import make_app
    from screens.logs import LogsScreen
    from tests.ui.fakes import FakeDocker, FakeProber, settings
    from tui.config.secret import Secret

    npx: subprocess.Popen[str] | None = None
    seen: dict[str, float] = {}
    if CONVEX_BIN.exists():
        env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
               "CI": "1", "NO_COLOR": "1", "CONVEX_SELF_HOSTED_URL": url,
               "CONVEX_SELF_HOSTED_ADMIN_KEY": key}  # fmt: skip
        npx = subprocess.Popen(  # noqa: ASYNC220 - started once, read on a thread
            [str(CONVEX_BIN), "logs"], env=env, cwd="/tmp", text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip

        def pump() -> None:
            assert npx is not None and npx.stdout is not None
            for line in npx.stdout:
                if "lat-" in line:
                    tag = line.split("lat-", 1)[1][:8]
                    seen.setdefault(tag, time.perf_counter())

        threading.Thread(target=pump, daemon=True).start()
    s = dataclasses.replace(settings(url=url), admin_key=Secret(key))
    app = make_app(s, prober=FakeProber(), docker=FakeDocker())
    ours: list[float] = []
    theirs: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await pilot.pause(3.0)  # both tails connected
        for _ in range(samples):
            tag = uuid.uuid4().hex[:8]
            t0 = time.perf_counter()
            await asyncio.to_thread(mutate, url, key, f"lat-{tag}")
            t_ours = None
            deadline = t0 + 20
            while time.perf_counter() < deadline:
                if t_ours is None and any(f"lat-{tag}" in r.text for r in screen.view.visible[-8:]):
                    t_ours = time.perf_counter()
                if t_ours is not None and (npx is None or tag in seen):
                    break
                await asyncio.sleep(0.002)
            if t_ours is not None:
                ours.append(t_ours - t0)
            if tag in seen:
                theirs.append(seen[tag] - t0)
            await pilot.pause(0.3)
    if npx is not None:
        npx.kill()
    return {
        "ours_ms": statistics.median(ours) * 1000 if ours else None,
        "npx_ms": statistics.median(theirs) * 1000 if theirs else None,
        "samples": len(ours),
    }


# ------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("URL", "KEY", "CONTAINER", "LINES"))
    args = parser.parse_args()
    if args.child:
        url, key, container, n = args.child
        print(json.dumps(asyncio.run(pane_child(url, key, container, int(n)))))
        return 0
    sandbox, url, key = start_sandbox()
    name = f"i10-bench-{uuid.uuid4().hex[:6]}"
    report: dict[str, Any] = {"lines": args.lines}
    try:
        docker_rate, docker_n = docker_logs_rate(name + "-cli", args.lines)
        child = subprocess.run(
            [sys.executable, __file__, "--child", url, key, name, str(args.lines)],
            capture_output=True, text=True, timeout=PART_TIMEOUT + 60, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "CONVEX_TUI_LOG_TAIL": "all"},
        )  # fmt: skip
        if child.returncode != 0:
            raise RuntimeError(child.stderr[-2000:])
        pane = json.loads(child.stdout.strip().splitlines()[-1])
        pane_rate = pane["ingested"] / pane["seconds"]
        report.update(
            docker_logs_lines_per_s=round(docker_rate),
            docker_logs_lines=docker_n,
            pane_lines_per_s=round(pane_rate),
            pane_vs_docker_logs=round(pane_rate / docker_rate, 2),
            **{k: (round(v, 1) if isinstance(v, float) else v) for k, v in pane.items()},
        )
        latency = asyncio.run(first_line_latency(url, key, args.samples))
        report.update(latency)
        if latency["ours_ms"] and latency["npx_ms"]:
            report["mutation_to_screen_vs_npx_logs"] = round(
                latency["ours_ms"] / latency["npx_ms"], 2
            )
    finally:
        subprocess.run(["docker", "rm", "-f", name, name + "-cli"], capture_output=True)
        if sandbox.stdin:
            sandbox.stdin.close()
        sandbox.wait(10)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        r = report
        print(
            f"lines ingested: pane {r['pane_lines_per_s']:,}/s vs docker logs -f "
            f"{r['docker_logs_lines_per_s']:,}/s = {r['pane_vs_docker_logs']}x (goal >= 1.0x); "
            f"{r['ingested']:,} lines, dropped from the ring {r['dropped']:,}, lost {r['lost']}"
        )
        print(
            f"key -> repaint while ingesting: median {r['key_busy_ms']} ms, p95 "
            f"{r['key_busy_p95_ms']} ms vs idle {r['key_idle_ms']} ms (goal <= 100 ms)"
        )
        print(f"RSS after {r['ingested']:,} lines: {r['rss_mb']} MB (goal <= 150 MB)")
        print(
            f"mutation -> line on screen: pane {r['ours_ms']} ms vs npx convex logs "
            f"{r['npx_ms']} ms = {r.get('mutation_to_screen_vs_npx_logs')}x (goal <= 1.0x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
