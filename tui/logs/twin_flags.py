"""`convex-tui logs` flags shared with the Logs pane's filter model (import-light: argparse only)."""

from __future__ import annotations

import argparse
from typing import Any


def add_twin_flags(logs: argparse.ArgumentParser) -> None:
    logs.add_argument(
        "--filter", metavar="REGEX", help="rows matching REGEX (!REGEX: not matching)"
    )
    logs.add_argument(
        "--level", metavar="LEVELS", help="e.g. ERROR or WARN,ERROR (INFO covers LOG)"
    )
    logs.add_argument("--function", metavar="NAMES", help="only these functions, e.g. tasks:create")
    logs.add_argument("--failures", action="store_true", help="only failed executions")
    logs.add_argument("--request", metavar="ID", help="only the rows of this request id")
    logs.add_argument(
        "--containers",
        metavar="NAMES",
        help="also the logs of these containers (comma separated; 'all': the deployment's)",
    )
    logs.add_argument("--tail", type=int, default=100, metavar="N",
                      help="container lines to start with (default 100)")  # fmt: skip


def wants_twin(args: Any) -> bool:
    """Any of the Logs pane's filter flags: the rows-and-filter twin prints this run."""
    return any(
        getattr(args, name, None)
        for name in ("filter", "level", "function", "failures", "request", "containers")
    )
