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
        from tui.status.services import ServiceProber

        # The first probe round goes out now, on the standard library, while Textual loads:
        # its answer is in by the first frame (issue 19: first paint with the API row up).
        prober = ServiceProber.from_settings(settings).start()
        from screens.app import run_console

        return run_console(settings, prober)

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
