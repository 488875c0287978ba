"""Startup bench: launch → first paint with the API row up, beside a bare Textual app; then
key → repaint for every pane. Measured in tmux (120x40), side by side in one run.

Each round launches, in turn, a bare Textual app (one Static) and the console (`python -m
screens --url …`, the real entry point) against a sandbox deployment in a process of its own (as
a real backend is: one inside this bench would answer the console's probes only when the bench's
3 ms screen polling lets go of the GIL), each in a fresh tmux pane, and times it until its screen shows the finished state (bare: its text; console: the
header says "http up" with the containers summary, and the API row says "up"). Both are started
the same way: `python <script>` from a shell in tmux (the console: the installed `convex-tui`
script, as a user runs it).

Then, on the console of the last round, each pane key (2-6, then 1) is pressed and timed until
the pane's body is on screen: first visit (its module imported, its screen composed) and a
second visit.

Bytecode caches are on for both, as in an installed wheel: this machine's environment sets
PYTHONDONTWRITEBYTECODE, which would recompile every module of ours (and none of Textual's,
whose caches pip wrote) on each launch; a warm-up launch of each writes the caches first.
`--no-bytecode` measures with the variable kept.

    .venv/bin/python bench/startup.py [--runs 7] [--no-bytecode]

Goals (issue 19): first paint ≤ 1.5× the bare app; each pane switch ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox_process import start_sandbox, stop_sandbox  # noqa: E402

from tests.e2e.tmux import Tmux  # noqa: E402

BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("BARE READY")
Bare().run()
"""
FIRST_PAINT_GOAL = 1.5
SWITCH_GOAL_MS = 100.0
# Pane key → what its body shows once painted.
PANES = (
    ("2", "logs", re.compile(r"\d+/\d+ rows")),
    ("3", "functions", re.compile(r"╭─ Functions")),
    ("4", "data", re.compile(r"╭─ Tables")),
    ("5", "env", re.compile(r"╭─ Deployment variables")),
    ("6", "scripts", re.compile(r"╭─ Scripts")),
    ("1", "status", re.compile(r"╭─ Services")),
)


def console_ready(screen: str) -> bool:
    """Header filled (HTTP state and the containers summary) and the API row says up."""
    lines = screen.splitlines()
    if not lines or "http up" not in lines[0] or lines[0].rstrip().endswith("…"):
        return False
    return re.search(r"│ API\s+up\s", screen) is not None


def launch(
    argv: list[str], ready: Callable[[str], bool], env: dict[str, str]
) -> tuple[float, Tmux]:
    t = Tmux(120, 40)
    t0 = t.start(argv, env)
    _, t1 = t.wait_for(ready, timeout=30, what="first paint", poll=0.003)
    return t1 - t0, t


def measure(argv: list[str], ready: Callable[[str], bool], env: dict[str, str]) -> float:
    took, t = launch(argv, ready, env)
    t.kill()
    return took


def switch(t: Tmux, key: str, shown: re.Pattern[str]) -> float:
    t0 = time.perf_counter()
    t.keys(key)
    _, t1 = t.wait_for(lambda s: shown.search(s) is not None, timeout=20, what=key, poll=0.003)
    return (t1 - t0) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE")
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds between first paint and the first pane key (default: none)",
    )
    args = parser.parse_args()
    sandbox, url, admin_key = start_sandbox()
    try:
        return _bench(args, url, admin_key)
    finally:
        stop_sandbox(sandbox)


def _bench(args: argparse.Namespace, url: str, admin_key: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        env = {
            "CONVEX_SELF_HOSTED_ADMIN_KEY": admin_key,
            "XDG_CONFIG_HOME": str(Path(tmp) / "config"),  # no settings file, as found
            "PYTHONPATH": str(ROOT),
        }
        if not args.no_bytecode:
            os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # tmux passes our environment on
        py = sys.executable
        bare_argv = [py, str(bare)]
        script = shutil.which("convex-tui", path=str(Path(py).parent)) or "convex-tui"
        console_argv = [py, script, "--url", url]
        bare_ready = lambda s: "BARE READY" in s  # noqa: E731
        measure(bare_argv, bare_ready, env)  # warm-up: bytecode caches, page cache
        measure(console_argv, console_ready, env)
        bares, consoles, ratios = [], [], []
        for _ in range(args.runs):  # interleaved: both see the same machine load
            b = measure(bare_argv, bare_ready, env)
            c = measure(console_argv, console_ready, env)
            bares.append(b)
            consoles.append(c)
            ratios.append(c / b)
        _, t = launch(console_argv, console_ready, env)
        time.sleep(args.settle)
        try:
            first = {name: switch(t, key, shown) for key, name, shown in PANES}
            again = {name: switch(t, key, shown) for key, name, shown in PANES}
        finally:
            t.kill()
    b, c, r = statistics.median(bares), statistics.median(consoles), statistics.median(ratios)
    runs = ", ".join(f"{x:.2f}" for x in ratios)
    print(
        f"bytecode caches  : {'off (PYTHONDONTWRITEBYTECODE kept)' if args.no_bytecode else 'on'}"
    )
    print(f"bare Textual app : median {b:.3f}s  (runs: {', '.join(f'{x:.3f}' for x in bares)})")
    print(f"convex-tui status: median {c:.3f}s  (runs: {', '.join(f'{x:.3f}' for x in consoles)})")
    verdict = "met" if r <= FIRST_PAINT_GOAL else "NOT met"
    print(
        f"first paint ratio: median {r:.2f}x of pairs (runs: {runs}); goal ≤ {FIRST_PAINT_GOAL}x: {verdict}"
    )
    print("pane switch, key → body painted (ms): first visit / again")
    for _key, name, _shown in PANES:
        worst = max(first[name], again[name])
        mark = "" if worst <= SWITCH_GOAL_MS else f"  (over {SWITCH_GOAL_MS:.0f} ms)"
        print(f"  {name:<10} {first[name]:6.0f} / {again[name]:4.0f}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
