"""``convex-tui data [TABLE] [--limit N] [--order asc|desc] [--filter …] [--format …]``.

Like ``npx convex data``: without TABLE it lists the tables (here with their document counts);
with TABLE it prints the newest documents (``--order asc`` for the oldest). ``--filter`` takes
the Data pane's filter syntax (``status = pending``, ``@by_status status = done``; repeatable,
joined with "and"). Formats: ``pretty`` (a text table, sanitized), ``json`` (an array),
``jsonl`` (one document a line) and ``csv``; JSON outputs are exact Convex encoded JSON.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from tui.convex.commands import EXIT_OK, EXIT_USAGE, Settings, UsageError, _client, _entry
from tui.convex.errors import ConvexClientError
from tui.data import source
from tui.data.cells import cell_text, columns, field_value
from tui.data.export import csv_header, csv_rows, jsonl_line
from tui.data.filters import FilterExpr, FilterSyntaxError, parse_filter
from tui.data.window import FilterRejected, iter_pages
from tui.safety.text import clean_line

EXIT_NOT_FOUND = 1
PRETTY_WIDTH = 40
FORMATS = ("pretty", "json", "jsonl", "csv")


def data_main(
    args: Any, settings: Settings, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    return _entry(_data, args, settings, out, err, on_interrupt=130)


async def _data(args: Any, settings: Settings, out: TextIO, err: TextIO) -> int:
    table = getattr(args, "table", None)
    fmt = getattr(args, "format", None) or "pretty"
    async with _client(settings) as client:
        try:
            if not table:
                return await _tables(client, fmt, bool(getattr(args, "system", False)), out)
            return await _documents(client, table, args, fmt, out, err)
        except FilterRejected as exc:
            print(f"error: the deployment rejected the filter: {clean_line(str(exc))}", file=err)
            return EXIT_USAGE
        except ConvexClientError as exc:
            print(f"error: {clean_line(exc.message)}", file=err)
            return EXIT_USAGE


async def _tables(client: Any, fmt: str, system: bool, out: TextIO) -> int:
    tables = await source.list_tables(client, system=system)
    if fmt in ("json", "jsonl"):
        rows = [{"name": t.name, "count": t.count} for t in tables]
        if fmt == "json":
            print(json.dumps(rows, indent=2), file=out)
        else:
            out.writelines(json.dumps(r) + "\n" for r in rows)
    elif fmt == "csv":
        out.write(csv_header(["name", "count"]))
        out.writelines(f"{t.name},{'' if t.count is None else t.count}\n" for t in tables)
    else:
        for t in tables:  # npx convex data prints one name a line; the count follows here
            count = "" if t.count is None else f"\t{t.count}"
            print(clean_line(t.name) + count, file=out)
    return EXIT_OK


async def build_filter(client: Any, table: str, texts: list[str], order: str) -> FilterExpr:
    text = " and ".join(t for t in texts if t.strip())
    indexes: dict[str, tuple[str, ...]] = {}
    if text.lstrip().startswith("@"):
        indexes = (await source.table_meta(client, table)).index_fields
    try:
        return parse_filter(text, "asc" if order == "asc" else "desc", indexes)
    except FilterSyntaxError as exc:
        raise UsageError(f"--filter: {exc}") from None


async def _documents(client: Any, table: str, args: Any, fmt: str, out: TextIO, err: TextIO) -> int:
    limit = int(getattr(args, "limit", None) or 100)
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    order = getattr(args, "order", None) or "desc"
    expr = await build_filter(client, table, list(getattr(args, "filter", None) or []), order)
    if source.is_system(table) and expr.active:
        raise UsageError("system tables take no --filter")
    names = {t.name for t in await source.list_tables(client, system=True)}
    if table not in names:
        print(f"error: there is no table {clean_line(table)!r}", file=err)
        return EXIT_NOT_FOUND

    async def fetch(cursor: str | None) -> Any:
        return await source.fetch_page(client, table, cursor, expr, min(limit + 1, 1000))

    docs: list[dict[str, Any]] = []
    more = False
    async for page in iter_pages(fetch, limit + 1):
        docs.extend(page)
    if len(docs) > limit:
        docs, more = docs[:limit], True
    if not docs:
        print(
            "There are no documents in this table."
            if not expr.active
            else "No documents match the filter.",
            file=err,
        )
        return EXIT_OK
    meta = await source.table_meta(client, table)
    cols = columns(meta.declared, meta.inferred, docs)
    cols = [c for c in cols if any(c in d for d in docs)]
    if fmt == "json":
        out.write("[\n" + ",\n".join(jsonl_line(d) for d in docs) + "\n]\n")
    elif fmt == "jsonl":
        out.writelines(jsonl_line(d) + "\n" for d in docs)
    elif fmt == "csv":
        out.write(csv_header(cols) + csv_rows(docs, cols))
    else:
        _pretty(docs, cols, out)
    if more:
        which = "oldest" if expr.order == "asc" else "most recently created"
        print(f"Showing the {limit} {which} documents. Use --limit to see more.", file=err)
    return EXIT_OK


def _pretty(docs: list[dict[str, Any]], cols: list[str], out: TextIO) -> None:
    cells = [[cell_text(field_value(d, c), c, PRETTY_WIDTH)[0] for c in cols] for d in docs]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print(" | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip(), file=out)
    print("-+-".join("-" * w for w in widths), file=out)
    for row in cells:
        print(" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(), file=out)


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
