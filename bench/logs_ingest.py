"""The Logs pane under load, each figure beside its floor, measured side by side in one run.

    .venv/bin/python bench/logs_ingest.py [--lines 2000000] [--rounds 3] [--samples 7] [--json]

1. lines/s the pane ingests from a busybox container (the engine's API socket, merged into the
   view, repainted 5x/s, while function executions stream from a sandbox) vs `docker logs -f`
   reading the same container, in alternating rounds; the ratio is the median of the rounds'
   ratios                                                                  (goal >= 1.0x)
2. key press -> repaint while ingesting, vs the same key when idle         (goal <= 100 ms)
3. RSS of the console process after all those lines                        (goal <= 150 MB)
4. mutation -> its log line painted by the pane vs `npx convex logs` printing it, both
   tailing the same sandbox (the repo's own node_modules; `npm ci` in tests/peers when
   missing)                                                                (goal <= 1.0x)
   The pane's time is the row's first styling (a spy on `LogLines._row_strip`, which the
   view's render and the rows written ahead both use); the end of the first frame after it
   (handed to the driver) is printed beside it.
4b. the same with the console itself in a pty (bench/terminal_latency.py), beside npx printing
   into a pty of its own, as both run in a user's terminal: each timed to its bytes on the
   terminal's side.

The container writes all its lines first (both readers then read the same backlog at the
engine's speed). Every wait has a bound. The container (prefix i17-bench-) is removed at the
end. The pane runs in a child process, so that its RSS is the console's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from npx_logs import beside_npx, convex_cli, mutate  # noqa: E402
from sandbox_process import start_sandbox  # noqa: E402

IMAGE = os.environ.get("CONVEX_TUI_TEST_IMAGE", "convex-tui-test/busybox:latest")
PART_TIMEOUT = 240.0


def write_container(name: str, lines: int) -> None:
    """A busybox container that prints ``lines`` numbered lines and DONE, then idles."""
    subprocess.run(["docker", "run", "-d", "--name", name, "--network", "none", IMAGE, "sh",
                    "-c", f"seq 1 {lines}; echo DONE; sleep 3600"],
                   check=True, capture_output=True)  # fmt: skip
    deadline = time.monotonic() + PART_TIMEOUT
    while time.monotonic() < deadline:
        last = subprocess.run(["docker", "logs", "--tail", "1", name], capture_output=True,
                              text=True, timeout=30).stdout  # fmt: skip
        if "DONE" in last:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not write its {lines:,} lines in {PART_TIMEOUT:.0f} s")


def docker_logs_rate(name: str, lines: int) -> float:
    """Lines/s `docker logs -f --timestamps` delivers (read by lines from its pipe)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(["docker", "logs", "-f", "--timestamps", name],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    assert proc.stdout is not None
    n = 0
    deadline = t0 + PART_TIMEOUT
    for _ in proc.stdout:
        n += 1
        if n >= lines or time.perf_counter() > deadline:
            break
    elapsed = time.perf_counter() - t0
    proc.kill()
    proc.wait()
    return n / elapsed


# ------------------------------------------------------------------ the pane (child process)


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


async def pane_child(url: str, key: str, container: str, lines: int) -> None:
    """Rounds on demand: a line "round" on stdin reads the container once more from its start
    (fresh readers) and answers a JSON line; "finish" answers the idle figures and RSS."""
    import dataclasses

    from screens.app import make_app
    from screens.logs import LogsScreen
    from tests.ui.fakes import FakeDocker, FakeProber, settings
    from tui.config.secret import Secret
    from tui.logs.containers import followers_from_env

    # A compose project nothing carries: the pane follows the bench container only when asked.
    s = dataclasses.replace(settings(url=url, compose_project=f"none-{uuid.uuid4().hex[:6]}"),
                            admin_key=Secret(key))  # fmt: skip
    app = make_app(s, prober=FakeProber(), docker=FakeDocker(), log_followers=followers_from_env)
    loop = asyncio.get_running_loop()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        counted = [0]
        put = screen.inbox.put

        def counting(rows: list[Any]) -> bool:
            if rows and rows[0].source == container:  # a container's batches are its own
                counted[0] += len(rows)
            return put(rows)

        screen.inbox.put = counting  # type: ignore[method-assign]
        stop = threading.Event()

        def executions() -> None:  # function executions stream meanwhile
            i = 0
            while not stop.is_set():
                mutate(url, key, f"bench {i}")
                i += 1
                time.sleep(0.05)

        threading.Thread(target=executions, daemon=True).start()
        painted: dict[str, float] = {}
        watched: set[str] = set()
        pane_saw = asyncio.Event()
        original = screen.lines._row_strip

        def spy(*args: Any) -> Any:  # part 4: the first styling of a row holding a watched tag
            strip = original(*args)
            if watched:
                text = "".join(seg.text for seg in strip)
                for tag in watched:
                    if tag in text and tag not in painted:
                        painted[tag] = time.perf_counter()
                        pane_saw.set()
            return strip

        screen.lines._row_strip = spy  # type: ignore[method-assign,assignment]
        framed: dict[str, float] = {}
        display = app._display

        def frame_done(*args: Any) -> Any:  # the end of the frame that drew the row
            result = display(*args)
            for tag in painted.keys() - framed.keys():
                framed[tag] = time.perf_counter()
            return result

        app._display = frame_done  # type: ignore[method-assign,assignment]
        print(json.dumps({"ready": True}), flush=True)
        while True:
            command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if command == "round":
                screen.close_containers()  # fresh readers: the round reads from the start
                screen.stop_containers()
                screen.action_clear()
                counted[0] = 0
                busy: list[float] = []
                t0 = time.perf_counter()
                screen.follow_container(container)
                deadline = t0 + PART_TIMEOUT
                while counted[0] < lines and time.perf_counter() < deadline:
                    busy.append(await key_to_repaint(app, screen))
                    await asyncio.sleep(0.1)
                elapsed = time.perf_counter() - t0
                print(json.dumps({"rate": counted[0] / elapsed, "lines": counted[0],
                                  "busy": busy}), flush=True)  # fmt: skip
            elif command == "quiet":  # part 4 next: no more background executions
                stop.set()
                await pilot.pause(1.0)
                print(json.dumps({"quiet": True}), flush=True)
            elif command.startswith("watch "):  # the perf_counter of the first paint of a tag
                tag = command.split()[1]
                painted.pop(tag, None)
                framed.pop(tag, None)
                watched.add(tag)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(20):
                        while tag not in painted:
                            await pane_saw.wait()
                            pane_saw.clear()
                watched.discard(tag)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5):
                        while tag in painted and tag not in framed:  # noqa: ASYNC110
                            await asyncio.sleep(0.001)
                print(json.dumps({"painted": painted.get(tag), "framed": framed.get(tag)}),
                      flush=True)  # fmt: skip
            else:
                stop.set()
                await pilot.pause(0.5)
                idle = [await key_to_repaint(app, screen) for _ in range(10)]
                print(json.dumps({"idle": idle, "rss_mb": rss_kilobytes() / 1024,
                                  "dropped": screen.view.dropped,
                                  "lost": screen.view.lost}), flush=True)  # fmt: skip
                return


def ask(child: subprocess.Popen[str], command: str) -> dict[str, Any]:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(command + "\n")
    child.stdin.flush()
    line = child.stdout.readline()
    if not line:
        raise RuntimeError(f"the pane child ended: {child.stderr.read() if child.stderr else ''}")
    return dict(json.loads(line))


def start_child(url: str, key: str, name: str, lines: int) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", url, key, name, str(lines)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "CONVEX_TUI_LOG_TAIL": "all"},
    )  # fmt: skip
    assert child.stdout is not None
    json.loads(child.stdout.readline())  # ready
    return child


def ingest(child: subprocess.Popen[str], name: str, lines: int, rounds: int) -> dict[str, Any]:
    docker_rates: list[float] = []
    pane_rates: list[float] = []
    busy: list[float] = []
    total = 0
    for r in range(rounds):  # alternate who goes first: the machine's noise hits both
        order = ("docker", "pane") if r % 2 == 0 else ("pane", "docker")
        for who in order:
            if who == "docker":
                docker_rates.append(docker_logs_rate(name, lines))
            else:
                got = ask(child, "round")
                if got["lines"] < lines:
                    raise RuntimeError(f"the pane read {got['lines']:,} of {lines:,} lines")
                pane_rates.append(got["rate"])
                busy += got["busy"]
                total += got["lines"]
    ratios = [p / d for p, d in zip(pane_rates, docker_rates, strict=True)]
    busy.sort()
    return {
        "pane_lines_per_s": round(statistics.median(pane_rates)),
        "docker_logs_lines_per_s": round(statistics.median(docker_rates)),
        "pane_vs_docker_logs": round(statistics.median(ratios), 2),
        "round_ratios": [round(x, 2) for x in ratios],
        "ingested": total,
        "key_busy_ms": round(statistics.median(busy) * 1000, 1),
        "key_busy_p95_ms": round(busy[int(len(busy) * 0.95)] * 1000, 1),
    }


def finish(child: subprocess.Popen[str]) -> dict[str, Any]:
    end = ask(child, "finish")
    return {
        "key_idle_ms": round(statistics.median(end["idle"]) * 1000, 1),
        "rss_mb": round(end["rss_mb"], 1),
        "dropped": end["dropped"],
        "lost": end["lost"],
    }


# ------------------------------------------------------------------ part 4


def first_line_latency(
    child: subprocess.Popen[str], url: str, key: str, samples: int, cli: Path
) -> dict[str, Any]:
    """The console (the child process, tailing since it started) and `npx convex logs` tail the
    same sandbox; each sample is one mutation, timed to the console painting its line and to
    npx printing it (perf_counter is CLOCK_MONOTONIC: one clock for both processes)."""
    ask(child, "quiet")
    assert child.stdin is not None and child.stdout is not None
    stdin, stdout = child.stdin, child.stdout

    def arm(tag: str) -> None:
        stdin.write(f"watch {tag}\n")
        stdin.flush()
        time.sleep(0.05)  # the child has read the command (it waits for the paint)

    def wait(tag: str) -> tuple[float | None, float | None]:
        answer = json.loads(stdout.readline())
        return answer["painted"], answer["framed"]

    ours, frames, theirs = beside_npx(url, key, samples, cli, arm, wait)
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    return {
        "ours_ms": round(statistics.median(ours) * 1000, 1),
        "npx_ms": round(statistics.median(theirs) * 1000, 1),
        "mutation_to_screen_vs_npx_logs": round(statistics.median(ratios), 2),
        "frame_ms": round(statistics.median(frames) * 1000, 1),
        "mutation_to_frame_vs_npx_logs": round(
            statistics.median(a / b for a, b in zip(frames, theirs, strict=True)), 2
        ),
        "samples": len(ours),
    }


def terminal_latency(url: str, key: str, samples: int, cli: Path) -> dict[str, Any]:
    """Part 4 with the console itself in a pty (bench/terminal_latency.py) beside npx."""
    from terminal_latency import open_logs

    with tempfile.TemporaryDirectory(prefix="bench-pty-") as home:
        term = open_logs(url, key, home)
        try:
            seen = lambda tag: (term.seen(tag, 20), 0.0)  # noqa: E731
            ours, _, theirs = beside_npx(url, key, samples, cli, term.watch, seen, terminal=True)
        finally:
            term.close()
    return {
        "pty_ms": round(statistics.median(ours) * 1000, 1),
        "pty_npx_ms": round(statistics.median(theirs) * 1000, 1),
        "terminal_vs_npx_logs": round(
            statistics.median(a / b for a, b in zip(ours, theirs, strict=True)), 2
        ),
        "pty_samples": len(ours),
    }


# ------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--latency-only", action="store_true", help="part 4 alone")
    parser.add_argument("--child", nargs=4, metavar=("URL", "KEY", "CONTAINER", "LINES"))
    args = parser.parse_args()
    if args.child:
        url, key, container, n = args.child
        asyncio.run(pane_child(url, key, container, int(n)))
        return 0
    cli = convex_cli()
    sandbox, url, key = start_sandbox()
    name = f"i17-bench-{uuid.uuid4().hex[:6]}"
    lines = args.lines + 1  # the numbers and DONE
    report: dict[str, Any] = {"lines": lines, "rounds": args.rounds}
    child: subprocess.Popen[str] | None = None
    try:
        write_container(name, args.lines if not args.latency_only else 10)
        child = start_child(url, key, name, lines)
        if not args.latency_only:
            report.update(ingest(child, name, lines, args.rounds))
        report.update(first_line_latency(child, url, key, args.samples, cli))
        if not args.latency_only:
            report.update(finish(child))
        child.kill()  # 4b alone beside npx: the headless pane no longer tails the sandbox
        child.wait(10)
        report.update(terminal_latency(url, key, args.samples, cli))
        if args.latency_only:
            print(json.dumps(report))
            return 0
    finally:
        if child is not None:
            child.kill()
            child.wait(10)
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
        if sandbox.stdin:
            sandbox.stdin.close()
        sandbox.wait(10)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    r = report
    print(f"{r['lines']:,} lines, {r['rounds']} rounds each, alternating; 2 shared cores")
    print(f"1. lines/s: pane {r['pane_lines_per_s']:,} vs docker logs -f "
          f"{r['docker_logs_lines_per_s']:,} = {r['pane_vs_docker_logs']}x (goal >= 1.0x; "
          f"rounds {r['round_ratios']})")  # fmt: skip
    print(f"2. key -> repaint while ingesting: median {r['key_busy_ms']} ms, p95 "
          f"{r['key_busy_p95_ms']} ms; idle {r['key_idle_ms']} ms (goal <= 100 ms)")  # fmt: skip
    print(f"3. RSS after {r['ingested']:,} lines: {r['rss_mb']} MB (goal <= 150 MB); ring "
          f"dropped {r['dropped']:,}, lost {r['lost']}")  # fmt: skip
    print(f"4. mutation -> line on screen: pane {r['ours_ms']} ms vs npx convex logs "
          f"{r['npx_ms']} ms = {r['mutation_to_screen_vs_npx_logs']}x (goal <= 1.0x; "
          f"{r['samples']} samples); to the end of that frame {r['frame_ms']} ms = "
          f"{r['mutation_to_frame_vs_npx_logs']}x")  # fmt: skip
    print(f"4b. the same in a real terminal (the console and npx each in a pty, their bytes on "
          f"the terminal's side): {r['pty_ms']} ms vs npx {r['pty_npx_ms']} ms = {r['terminal_vs_npx_logs']}x "
          f"({r['pty_samples']} samples)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
