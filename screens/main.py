"""The `convex-tui` console script: the CLI (tui.cli) with the console's entry points handed in.

Kept import-light: `--help` and the headless commands load no Textual; the console modules are
imported only when a console command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui.cli import main as cli_main

if TYPE_CHECKING:
    from tui.config import Settings


class _Console:
    def run(self, settings: Settings) -> int:
        import gc

        # No collections while ~100k objects are imported (none of them garbage): run_console
        # freezes them and turns the collector back on before the first frame.
        gc.disable()
        from tui.status.early import start_early

        # The first probe round and the container watch start now, on plain threads, while
        # Textual loads: their answers are on the first frame (issue 19).
        early = start_early(settings)
        from screens.app import run_console

        return run_console(settings, early)

    def demo(self, args: argparse.Namespace) -> int:
        from screens.demo import demo_main

        return demo_main(args)

    def serve(self, args: argparse.Namespace, settings: Settings) -> int:
        from screens.serve import serve_main

        return serve_main(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, console=_Console())


if __name__ == "__main__":
    sys.exit(main())
