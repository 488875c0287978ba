"""Startup bench: launch → first full paint with the status filled, measured in tmux.

Runs, in the same session of measurements, a bare Textual app (one Static) and the console
against an in-process sandbox; each is launched N times in a fresh tmux pane and timed until its
screen shows the finished state (bare: its text; console: "http up" and the API row "up").

    .venv/bin/python bench/startup.py [--runs 5]

Goal (issue 5): console ≤ 0.6 s and ≤ 3× the bare app.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.tmux import Tmux  # noqa: E402
from tui.sandbox.server import SandboxThread  # noqa: E402

BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("BARE READY")
Bare().run()
"""

CONSOLE = """
import sys
from tui.config import CliOverrides, load_settings
from screens.app import run_console
sys.exit(run_console(load_settings(CliOverrides(url=sys.argv[1]))))
"""


def console_ready(screen: str) -> bool:
    """Header filled (HTTP state and the containers summary) and the API row says up."""
    lines = screen.splitlines()
    if not lines or "http up" not in lines[0] or lines[0].rstrip().endswith("…"):
        return False
    return re.search(r"│ API\s+up\s", screen) is not None


def measure(argv: list[str], ready: object, env: dict[str, str]) -> float:
    t = Tmux(120, 40)
    try:
        t0 = t.start(argv, env)
        _, t1 = t.wait_for(ready, timeout=30, poll=0.005)  # type: ignore[arg-type]
        return t1 - t0
    finally:
        t.kill()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SandboxThread(memory=True, seed="demo") as sb:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        console = Path(tmp) / "console.py"
        console.write_text(CONSOLE)
        env = {
            "CONVEX_SELF_HOSTED_ADMIN_KEY": sb.admin_key,
            "CONVEX_TUI_CONFIG": str(Path(tmp) / "none.toml"),
            "PYTHONPATH": str(ROOT),
        }
        py = sys.executable
        bares, consoles = [], []
        for _ in range(args.runs):  # interleaved: both see the same machine load
            bares.append(measure([py, str(bare)], lambda s: "BARE READY" in s, env))
            consoles.append(measure([py, str(console), sb.url], console_ready, env))
    b, c = statistics.median(bares), statistics.median(consoles)
    print(f"bare Textual app : median {b:.3f}s  (runs: {', '.join(f'{x:.3f}' for x in bares)})")
    print(f"convex-tui status: median {c:.3f}s  (runs: {', '.join(f'{x:.3f}' for x in consoles)})")
    print(f"ratio            : {c / b:.2f}x  (goal ≤ 3x and ≤ 0.6 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
