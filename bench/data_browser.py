"""Data browser on a big table, each figure beside its floor measured in the same run.

    .venv/bin/python bench/data_browser.py [--docs 1000000] [--data DIR] [--scroll 100000]
                                           [--runs 5] [--json]

The sandbox (its own process; ``--data`` keeps the generated table between runs) holds a table
``bulk`` of ``--docs`` documents. The floor of each step is the client's raw page fetch plus a
bare Textual ``DataTable`` painting the same rows (a second headless App in this process):

1. open table → first page painted           (goal ≤ 1.3× the floor)
2. next page while scrolling                 (goal ≤ 1.3×)
3. jump to the end                           (goal ≤ 1.3×)
4. RSS after scrolling ``--scroll`` rows vs after the first page   (goal ≤ +50 MB)

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
from textual.app import App, ComposeResult
from textual.widgets import DataTable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screens.app import ConsoleApp, make_app  # noqa: E402
from screens.data import DataScreen  # noqa: E402
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


async def paint(pilot: Any, docs: list[dict[str, Any]], *, append: bool = False) -> None:
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
    await pilot.pause()


async def until(pilot: Any, check: Callable[[], Any], timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise TimeoutError("the pane did not settle")
        await pilot.pause(0.001)
    await pilot.pause()


async def timed(step: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await step()
    return (time.perf_counter() - started) * 1000.0


async def measure(url: str, key: str, runs: int, scroll: int) -> dict[str, Any]:
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
        await until(pilot, lambda: screen.tables)
        from screens.data_view import PAGE_SIZE

        for _ in range(runs):
            # 1. open → first page painted
            async def floor_first() -> None:
                page = await source.fetch_page(client, TABLE, None, FilterExpr(), PAGE_SIZE)
                await paint(bp, list(page.docs))

            async def ours_first() -> None:
                screen.window = None
                screen.open_table(TABLE)
                await until(pilot, lambda: screen.window is not None and screen.window.loaded)

            first_f.append(await timed(floor_first))
            first_o.append(await timed(ours_first))
            # 2. next page: the cursor reaches the window's edge
            cursor = screen.window.cursors[1] if screen.window else None

            async def floor_next(cursor: str | None = cursor) -> None:
                page = await source.fetch_page(client, TABLE, cursor, FilterExpr(), PAGE_SIZE)
                await paint(bp, list(page.docs), append=True)

            async def ours_next() -> None:
                window = screen.window
                assert window is not None
                last = window.last
                grid = screen.query_one("#grid", DataTable)
                grid.move_cursor(row=grid.row_count - 1)
                await until(pilot, lambda: window.last > last and not screen._loading)

            next_f.append(await timed(floor_next))
            next_o.append(await timed(ours_next))

            # 3. jump to the end
            async def floor_end() -> None:
                expr = FilterExpr(order="asc")
                page = await source.fetch_page(client, TABLE, None, expr, PAGE_SIZE)
                await paint(bp, list(page.docs)[::-1])

            async def ours_end() -> None:
                old = screen.window
                await pilot.press("G")
                await until(
                    pilot,
                    lambda: (
                        screen.window is not old
                        and screen.window is not None
                        and screen.window.loaded
                        and screen.reversed
                    ),
                )

            end_f.append(await timed(floor_end))
            end_o.append(await timed(ours_end))
        # 4. memory: first page, then scroll `scroll` rows page by page
        screen.window = None
        screen.open_table(TABLE)
        await until(pilot, lambda: screen.window is not None and screen.window.loaded)
        assert not screen.reversed
        before = rss_mb()
        grid = screen.query_one("#grid", DataTable)
        scrolled_started = time.perf_counter()
        window = screen.window
        assert window is not None
        while window.seen_rows < scroll:
            last = window.last

            def moved(last: int = last) -> bool:
                return window.last > last and not screen._loading

            grid.move_cursor(row=grid.row_count - 1)
            await until(pilot, moved)
        after = rss_mb()
        scroll_s = time.perf_counter() - scrolled_started
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
    out["rss"] = {
        "after_first_page_mb": round(before, 1),
        "after_scroll_mb": round(after, 1),
        "delta_mb": round(after - before, 1),
        "rows_scrolled": scroll,
        "seconds": round(scroll_s, 1),
    }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/convex-tui-bench-data"))
    parser.add_argument("--scroll", type=int, default=100_000)
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
        result = asyncio.run(measure(info["url"], info["admin_key"], args.runs, args.scroll))
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
    m = result["rss"]
    print(
        f"  RSS after first page {m['after_first_page_mb']:.1f} MB, after scrolling "
        f"{m['rows_scrolled']:,} rows {m['after_scroll_mb']:.1f} MB (+{m['delta_mb']:.1f} MB, "
        f"{m['seconds']:.0f}s); rows held: {result['rows_in_memory']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
