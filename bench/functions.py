"""Functions pane latency, each figure beside its floor measured in the same run.

    .venv/bin/python bench/functions.py [--n 40] [--subs 30] [--json]

1. key press (ctrl+r on tasks:list) → result painted in the console, vs the floor: the same key
   in a bare Textual app whose worker does a raw httpx round trip of the same query and paints
   the same JSON tree                                                               (goal ≤ 1.3×)
2. a mutation from another client → the pinned watch repainted, vs the floor: the npm
   ``ConvexClient`` mutation → ``onUpdate`` on the same sandbox + that bare repaint  (goal ≤ 1.3×)

"Painted" means the screen has processed its pending refresh (``pilot.pause()``) after the
tree was filled: the same end point on both sides. The sandbox runs in its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from client_latency import bench_npm_subscription  # noqa: E402
from sandbox_process import start_sandbox  # noqa: E402

QUERY: tuple[str, dict[str, Any]] = ("tasks:list", {})


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0 if samples else float("nan")


def _console(url: str, key: str) -> Any:
    from screens.app import make_app
    from tests.ui.fakes import FakeProber, settings
    from tui.config.secret import Secret

    s = dataclasses.replace(settings(url=url), admin_key=Secret(key))
    return make_app(s, prober=FakeProber())


async def _functions_screen(pilot: Any) -> Any:
    from screens.functions import FunctionsScreen

    await pilot.press("3")
    for _ in range(500):
        screen = pilot.app.screen
        if isinstance(screen, FunctionsScreen) and screen.specs:
            return screen
        await pilot.pause(0.01)
    raise RuntimeError("the function list did not load")


async def console_run(url: str, key: str, n: int) -> list[float]:
    from screens.pane import PaneTarget

    samples: list[float] = []
    app = _console(url, key)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _functions_screen(pilot)
        screen.open_target(PaneTarget("function", QUERY[0]))
        await pilot.pause()
        shown = asyncio.Event()
        original = screen.show_report

        def show(report: Any) -> None:
            original(report)
            shown.set()

        screen.show_report = show
        for i in range(n + 5):
            shown.clear()
            t0 = time.perf_counter()
            await pilot.press("ctrl+r")
            await shown.wait()
            await pilot.pause()  # the repaint of the filled tree
            if i >= 5:  # warm-up
                samples.append(time.perf_counter() - t0)
    return samples


async def floor_run(url: str, key: str, n: int) -> list[float]:
    """The same key press in a bare app whose worker does a raw httpx round trip and paints the
    same JSON tree."""
    from textual import work
    from textual.app import App, ComposeResult

    from screens.widgets.json_tree import JsonTree
    from tui.convex import values

    headers = {"Authorization": f"Convex {key}"}
    body = {"path": QUERY[0], "args": [QUERY[1]], "format": "convex_encoded_json"}
    shown = asyncio.Event()

    class Bare(App[None]):
        BINDINGS = [("ctrl+r", "run", "Run")]

        def __init__(self, http: httpx.AsyncClient) -> None:
            super().__init__()
            self.http = http

        def compose(self) -> ComposeResult:
            yield JsonTree("result")

        @work(exclusive=True)
        async def action_run(self) -> None:
            resp = await self.http.post("/api/query", json=body)
            resp.raise_for_status()
            self.query_one(JsonTree).show(values.decode(resp.json()["value"]))
            shown.set()

    totals: list[float] = []
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        app = Bare(http)
        async with app.run_test(size=(120, 40)) as pilot:
            for i in range(n + 5):
                shown.clear()
                t0 = time.perf_counter()
                await pilot.press("ctrl+r")
                await shown.wait()
                await pilot.pause()
                t2 = time.perf_counter()
                if i >= 5:
                    totals.append(t2 - t0)
    return totals


async def bare_paint(url: str, key: str, path: str, n: int) -> list[float]:
    """A bare app filling and repainting the JSON tree of ``path``'s current value."""
    from textual.app import App, ComposeResult

    from screens.widgets.json_tree import JsonTree
    from tui.convex import values

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield JsonTree("result")

    headers = {"Authorization": f"Convex {key}"}
    body = {"path": path, "args": [{}], "format": "convex_encoded_json"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        value = values.decode((await http.post("/api/query", json=body)).json()["value"])
    samples: list[float] = []
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.query_one(JsonTree)
        for i in range(n + 3):
            t0 = time.perf_counter()
            tree.show(value)
            await pilot.pause()
            if i >= 3:
                samples.append(time.perf_counter() - t0)
    return samples


async def console_watch(url: str, key: str, n: int) -> list[float]:
    from screens.pane import PaneTarget

    samples: list[float] = []
    app = _console(url, key)
    body = {"path": "messages:send", "format": "convex_encoded_json"}
    async with (
        app.run_test(size=(120, 40)) as pilot,
        httpx.AsyncClient(base_url=url) as http,
    ):
        screen = await _functions_screen(pilot)
        screen.open_target(PaneTarget("function", "messages:list"))
        await pilot.pause()
        await pilot.press("escape", "w")
        while not screen.watches() or screen.watches()[0].updates < 1:
            await pilot.pause(0.01)
        panel = screen.watches()[0]
        updated = asyncio.Event()
        original = panel.update_value

        def update(value: Any, now: Any) -> None:
            original(value, now)
            updated.set()

        panel.update_value = update
        for i in range(n + 3):
            updated.clear()
            t0 = time.perf_counter()
            args = [{"body": f"tui {i}", "author": "bench"}]
            (await http.post("/api/mutation", json={**body, "args": args})).raise_for_status()
            await updated.wait()
            await pilot.pause()
            if i >= 3:
                samples.append(time.perf_counter() - t0)
    return samples


def ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="runs per side")
    parser.add_argument("--subs", type=int, default=30, help="mutation→repaint samples per side")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    opts = parser.parse_args()
    os.environ["CONVEX_TUI_DATA_DIR"] = tempfile.mkdtemp(prefix="convex-tui-bench-")
    proc, url, key = start_sandbox()
    try:
        run_ours = median_ms(asyncio.run(console_run(url, key, opts.n)))
        run_floor = median_ms(asyncio.run(floor_run(url, key, opts.n)))
        watch_ours = median_ms(asyncio.run(console_watch(url, key, opts.subs)))
        npm = bench_npm_subscription(url, opts.subs)
        # messages:list is capped at its newest 100: the same size the watch painted last.
        paint = median_ms(asyncio.run(bare_paint(url, key, "messages:list", opts.subs)))
        watch_floor = npm + paint if npm is not None else None
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    rows = [
        ("key → result painted (ms)", run_ours, run_floor, "httpx + bare paint", "≤ 1.3×"),
        (
            "mutation → watch repaint (ms)",
            watch_ours,
            watch_floor,
            "npm onUpdate + paint",
            "≤ 1.3×",
        ),
    ]
    if opts.json:
        out = {r[0]: {"ours": r[1], "floor": r[2], "ratio": ratio(r[1], r[2])} for r in rows}
        out["bare paint (ms)"] = {"ours": paint, "floor": None, "ratio": "n/a"}
        print(json.dumps(out, indent=2))
        return 0
    print(f"{'measure':<31}{'convex-tui':>11}{'floor':>9}  {'ratio':>6}  goal    floor is")
    for name, ours, ref, who, goal in rows:
        ref_s = f"{ref:9.2f}" if ref is not None else f"{'n/a':>9}"
        print(f"{name:<31}{ours:11.2f}{ref_s}  {ratio(ours, ref):>6}  {goal:<7} {who}")
    print(f"(bare fill + repaint of the messages:list tree: {paint:.2f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
