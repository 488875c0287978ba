"""Data browser on a big table, each figure beside its floor measured in the same run.

    .venv/bin/python bench/data_browser.py [--docs 1000000] [--data DIR] [--runs 5]
                                           [--hold 100000] [--rate 3000] [--json]

The sandbox (its own process; ``--data`` keeps the generated table between runs) holds a table
``bulk`` of ``--docs`` documents. The floor of each step is the client's raw page fetch plus a
bare Textual ``DataTable`` painting the same rows (a second headless App in this process):

1. open table → first page painted           (goal ≤ 1.3× the floor)
2. next page: the cursor moves on by a page  (goal ≤ 1.3×; the floor also moves its cursor)
3. jump to the end                           (goal ≤ 1.3×)
4. holding the down key: ``--hold`` key events at ``--rate`` a second posted to the App (as the
   terminal driver posts them), one row per key: rows advanced a second (goal ≥ 2,000), and
   RSS after it vs after the first page (goal: flat)

Times are medians over ``--runs``; lower ratios are better.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screens.app import ConsoleApp, make_app  # noqa: E402
from screens.data import DataScreen  # noqa: E402
from screens.data_messages import AHEAD_SIZE, PAGE_SIZE  # noqa: E402
from tui.config.secret import Secret  # noqa: E402
from tui.convex.client import ConvexClient  # noqa: E402
from tui.data import source  # noqa: E402
from tui.data.cells import cell_text, columns, field_value  # noqa: E402
from tui.data.filters import FilterExpr  # noqa: E402

TABLE = "bulk"
SANDBOX = """
import asyncio, json, sys
from pathlib import Path
from tui.sandbox.server import SandboxServer
async def main():
    s = SandboxServer(host="127.0.0.1", port=0, data_dir=Path(sys.argv[1]), seed="empty",
                      bulk={"bulk": int(sys.argv[2])})
    async with s:
        print(json.dumps({"url": s.url, "admin_key": s.admin_key}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Bare(App[None]):
    """The floor's painter: one DataTable, nothing else."""

    def compose(self) -> ComposeResult:
        yield DataTable(id="t")


async def paint(
    pilot: Any, docs: list[dict[str, Any]], *, append: bool = False, pause: bool = True
) -> None:
    table = pilot.app.query_one("#t", DataTable)
    cols = columns((), (), docs)
    if not append:
        table.clear(columns=True)
        for c in cols:
            table.add_column(c, key=c)
    for doc in docs:
        table.add_row(
            *(Text(cell_text(field_value(doc, c), c, 40, compact_ids=True)[0]) for c in cols),
            key=str(doc["_id"]),
        )
    if pause:
        await pilot.pause()


async def until(pilot: Any, check: Callable[[], Any], timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise TimeoutError("the pane did not settle")
        await pilot.pause(0.001)
    await pilot.pause()


class Frames:
    """When an App composes a frame: its compositor's update reaching ``_display`` (which the
    headless driver then drops). A step ends at the first frame after its rows are in place,
    the same rule for the floor and for the pane."""

    def __init__(self, app: App[Any]) -> None:
        self.times: list[float] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                self.times.append(time.perf_counter())
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    async def after(self, t: float, timeout: float = 30.0) -> float:
        deadline = time.perf_counter() + timeout
        while not (self.times and self.times[-1] >= t):
            if time.perf_counter() > deadline:
                raise TimeoutError("no frame was composed")
            await asyncio.sleep(0.0005)
        return next(f for f in self.times if f >= t)


async def reached(check: Callable[[], Any], timeout: float = 60.0) -> float:
    """Poll ``check`` (every 0.5 ms, bounded); the time it first held."""
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise TimeoutError("the pane did not get there")
        await asyncio.sleep(0.0005)
    return time.perf_counter()


async def timed(step: Callable[[], Awaitable[float]]) -> float:
    """A step returns when its frame was composed; milliseconds from its start."""
    started = time.perf_counter()
    ended = await step()
    return (ended - started) * 1000.0


async def measure(url: str, key: str, runs: int, hold: int, rate: float) -> dict[str, Any]:
    import dataclasses

    from tests.ui.fakes import FakeDocker, FakeProber, settings  # the test fakes: no Docker

    out: dict[str, Any] = {}
    client = ConvexClient(url, Secret(key))
    bare = Bare()
    s = dataclasses.replace(settings(url=url), admin_key=Secret(key))
    app: ConsoleApp = make_app(s, prober=FakeProber(), docker=FakeDocker())
    first_f, first_o, next_f, next_o, end_f, end_o = [], [], [], [], [], []
    async with bare.run_test(size=(120, 40)) as bp, app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.convex is not None)
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, DataScreen)
        await until(pilot, lambda: screen.tables and screen.window is not None and not screen.busy)
        grid = screen.grid

        def painted(old: Any) -> bool:
            """A new window is on the grid (the pages it reads ahead may still be coming)."""
            window = screen.window
            return (
                window is not old
                and window is not None
                and screen.placement is not None
                and bool(grid.keys)
                and not screen._loading
            )

        bare_frames, frames = Frames(bare), Frames(app)
        table = bare.query_one("#t", DataTable)
        for _ in range(runs):
            # 1. open → first page painted
            async def floor_first() -> float:
                page = await source.fetch_page(client, TABLE, None, FilterExpr(), PAGE_SIZE)
                await paint(bp, list(page.docs), pause=False)
                return await bare_frames.after(time.perf_counter())

            async def ours_first() -> float:
                old = screen.window
                screen.open_table(TABLE)
                return await frames.after(await reached(lambda: painted(old)))

            first_f.append(await timed(floor_first))
            first_o.append(await timed(ours_first))
            await until(pilot, lambda: not screen.busy)  # the pages read ahead (not timed)
            # 2. next page: the cursor moves on by a page, so one more page must come ahead
            window = screen.window
            assert window is not None
            cursor = window.cursors[-1]

            async def floor_next(cursor: str | None = cursor) -> float:
                page = await source.fetch_page(client, TABLE, cursor, FilterExpr(), AHEAD_SIZE)
                await paint(bp, list(page.docs), append=True, pause=False)
                table.move_cursor(row=table.cursor_row + AHEAD_SIZE, animate=False)
                return await bare_frames.after(time.perf_counter())

            async def ours_next() -> float:
                window = screen.window
                assert window is not None
                last = window.last
                grid.move_cursor(grid.cursor_row + AHEAD_SIZE)
                moved = await frames.after(time.perf_counter())  # the view, moved
                # The page lands out of view (read ahead): in place, nothing to repaint.
                done = await reached(lambda: window.last > last and not screen.busy)
                return max(moved, done)

            next_f.append(await timed(floor_next))
            next_o.append(await timed(ours_next))
            await until(pilot, lambda: not screen.busy)

            # 3. jump to the end
            async def floor_end() -> float:
                expr = FilterExpr(order="asc")
                page = await source.fetch_page(client, TABLE, None, expr, PAGE_SIZE)
                await paint(bp, list(page.docs)[::-1], pause=False)
                table.move_cursor(row=table.row_count - 1, animate=False)
                return await bare_frames.after(time.perf_counter())

            async def ours_end() -> float:
                old = screen.window
                app.post_message(events.Key("G", "G"))  # as the driver posts it
                return await frames.after(await reached(lambda: painted(old) and screen.reversed))

            end_f.append(await timed(floor_end))
            end_o.append(await timed(ours_end))
            await until(pilot, lambda: not screen.busy)
        # 4. hold the down key: key events at `rate` a second through the App's key path
        # (what the terminal driver posts), the cursor one row per key; RSS before and after.
        old = screen.window
        screen.open_table(TABLE)
        await until(pilot, lambda: painted(old) and not screen.busy)
        grid.focus()
        await pilot.pause()
        before = rss_mb()
        start_row = grid.cursor_row
        waits = grid.edge_waits
        sent = 0
        started = time.perf_counter()
        while sent < hold:
            due = min(hold, int((time.perf_counter() - started) * rate) + 1)
            while sent < due:
                app.post_message(events.Key("down", None))
                sent += 1
            await asyncio.sleep(0.005)
        # Every key handled and the row under the cursor loaded (bounded: no progress for 5 s).
        last_row, last_move = grid.cursor_row, time.perf_counter()
        while (grid.cursor_row - start_row < hold or grid.cursor_key is None) and (
            time.perf_counter() - last_move < 5.0
        ):
            await asyncio.sleep(0.002)
            if grid.cursor_row != last_row:
                last_row, last_move = grid.cursor_row, time.perf_counter()
        held_s = time.perf_counter() - started
        advanced = grid.cursor_row - start_row
        waited = grid.edge_waits - waits
        after = rss_mb()
        window = screen.window
        assert window is not None
        out["rows_in_memory"] = len(window.rows())
    await client.close()

    def row(name: str, ours: list[float], floor: list[float]) -> dict[str, Any]:
        o, f = statistics.median(ours), statistics.median(floor)
        return {
            "ours_ms": round(o, 1),
            "floor_ms": round(f, 1),
            "ratio": round(o / f, 2),
            "step": name,
        }

    out["first_page"] = row("open table → first page painted", first_o, first_f)
    out["next_page"] = row("next page while scrolling", next_o, next_f)
    out["jump_end"] = row("jump to the end", end_o, end_f)
    out["hold"] = {
        "keys": hold,
        "rate": rate,
        "rows_advanced": advanced,
        "seconds": round(held_s, 2),
        "rows_per_s": round(advanced / held_s),
        "keys_at_the_edge": waited,
    }
    out["rss"] = {
        "after_first_page_mb": round(before, 1),
        "after_hold_mb": round(after, 1),
        "delta_mb": round(after - before, 1),
    }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/convex-tui-bench-data"))
    parser.add_argument("--hold", type=int, default=100_000, help="rows to hold the down key for")
    parser.add_argument("--rate", type=float, default=3000.0, help="key repeat (keys a second)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", SANDBOX, str(args.data), str(args.docs)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.stdout is not None and proc.stdin is not None
    info = json.loads(proc.stdout.readline())
    print(
        f"sandbox with {args.docs:,} documents ready in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    try:
        result = asyncio.run(
            measure(info["url"], info["admin_key"], args.runs, args.hold, args.rate)
        )
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    result["docs"] = args.docs
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"Data browser on {args.docs:,} documents (median of {args.runs}; floor = raw fetch + bare DataTable)"
    )
    for key in ("first_page", "next_page", "jump_end"):
        r = result[key]
        print(
            f"  {r['step']:<34} {r['ours_ms']:8.1f} ms   floor {r['floor_ms']:8.1f} ms   {r['ratio']:.2f}×"
        )
    h, m = result["hold"], result["rss"]
    print(
        f"  holding the down key ({h['rate']:,.0f} keys/s): {h['rows_advanced']:,} of "
        f"{h['keys']:,} rows in {h['seconds']:.1f}s = {h['rows_per_s']:,} rows/s "
        f"({h['keys_at_the_edge']} keys landed on a row not loaded yet)"
    )
    print(
        f"  RSS after the first page {m['after_first_page_mb']:.1f} MB, after holding "
        f"{m['after_hold_mb']:.1f} MB (+{m['delta_mb']:.1f} MB); rows held: "
        f"{result['rows_in_memory']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
