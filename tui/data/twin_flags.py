"""`convex-tui data` flags (import-light: argparse only; the twin itself is tui/data/command.py)."""

from __future__ import annotations

from typing import Any

FORMATS = ("pretty", "json", "jsonl", "csv")


def add_parser(sub: Any, add: Any) -> None:
    """The subcommand's flags (called by ``tui.cli.build_parser``)."""
    data = add("data", "list tables, or print a table's documents (like npx convex data)")
    data.add_argument("table", nargs="?", help="table name; without it, list the tables")
    data.add_argument("--limit", type=int, default=100, help="documents to print (default 100)")
    data.add_argument(
        "--order", choices=["asc", "desc"], default="desc", help="desc = newest first"
    )
    data.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help="e.g. 'status = pending', 'priority >= 3', '@by_status status = done' (repeatable)",
    )
    data.add_argument("--format", choices=FORMATS, default="pretty")
    data.add_argument("--system", action="store_true", help="also list the readable system tables")
