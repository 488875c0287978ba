"""``convex-tui data [TABLE] [--limit N] [--order asc|desc] [--filter …] [--format …]``.

Like ``npx convex data``: without TABLE it lists the tables (here with their document counts);
with TABLE it prints the newest documents (``--order asc`` for the oldest). ``--filter`` takes
the Data pane's filter syntax (``status = pending``, ``@by_status status = done``; repeatable,
joined with "and"). Formats: ``pretty`` (a text table, sanitized), ``json`` (an array),
``jsonl`` (one document a line) and ``csv``; JSON outputs are exact Convex encoded JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from tui.convex.commands import EXIT_OK, EXIT_USAGE, Settings, UsageError, _entry, _http_client
from tui.convex.errors import ConvexClientError, FunctionError, MalformedResponse
from tui.convex.http_client import ConvexHttpClient
from tui.convex.models import DocumentPage
from tui.data import source
from tui.data.cells import cell_text, columns, field_value
from tui.data.export import csv_header, csv_rows, jsonl_line
from tui.data.filters import FilterExpr, FilterSyntaxError, parse_filter
from tui.data.window import FilterRejected
from tui.safety.text import clean_line

EXIT_NOT_FOUND = 1
PRETTY_WIDTH = 40


def data_main(
    args: Any, settings: Settings, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    return _entry(_data, args, settings, out, err, on_interrupt=130)


def _data(args: Any, settings: Settings, out: TextIO, err: TextIO) -> int:
    table = getattr(args, "table", None)
    fmt = getattr(args, "format", None) or "pretty"
    # Blocking, on the standard library: no httpx, no asyncio for a few requests (issue 19).
    with _http_client(settings) as client:
        try:
            if not table:
                return _tables(client, fmt, bool(getattr(args, "system", False)), out)
            return _documents(client, table, args, fmt, out, err)
        except FilterRejected as exc:
            print(f"error: the deployment rejected the filter: {clean_line(str(exc))}", file=err)
            return EXIT_USAGE
        except ConvexClientError as exc:
            print(f"error: {clean_line(exc.message)}", file=err)
            return EXIT_USAGE


def _tables(client: ConvexHttpClient, fmt: str, system: bool, out: TextIO) -> int:
    tables = source.table_entries(client.list_tables(), system=system)
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


def table_meta(client: ConvexHttpClient, table: str) -> source.TableMeta:
    """Schema fields, inferred shape and indexes, each best effort (as source.table_meta)."""
    if source.is_system(table):
        return source.TableMeta(table)

    def safe(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except (FunctionError, MalformedResponse):
            return None

    return source.meta_from(table, safe(client.schema), safe(client.shapes),
                            safe(lambda: client.indexes(table)))  # fmt: skip


def pages(client: ConvexHttpClient, table: str, expr: FilterExpr, limit: int) -> Iterator[Any]:
    """Each page's documents from the start, up to ``limit`` in all (as window.iter_pages)."""
    cursor: str | None = None
    seen = 0
    while True:
        path, query_args = source.page_query(table, cursor, expr, min(limit, 1000))
        page: DocumentPage = source.parse_page(client.query(path, query_args).value)
        docs = page.docs[: limit - seen]
        seen += len(docs)
        if page.errors and not docs:
            raise FilterRejected(page.errors)
        if docs:
            yield docs
        if page.is_done or page.cursor is None or seen >= limit:
            return
        cursor = page.cursor


def build_filter(client: ConvexHttpClient, table: str, texts: list[str], order: str) -> FilterExpr:
    text = " and ".join(t for t in texts if t.strip())
    indexes: dict[str, tuple[str, ...]] = {}
    if text.lstrip().startswith("@"):
        indexes = table_meta(client, table).index_fields
    try:
        return parse_filter(text, "asc" if order == "asc" else "desc", indexes)
    except FilterSyntaxError as exc:
        raise UsageError(f"--filter: {exc}") from None


def _documents(
    client: ConvexHttpClient, table: str, args: Any, fmt: str, out: TextIO, err: TextIO
) -> int:
    limit = int(getattr(args, "limit", None) or 100)
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    order = getattr(args, "order", None) or "desc"
    expr = build_filter(client, table, list(getattr(args, "filter", None) or []), order)
    if source.is_system(table) and expr.active:
        raise UsageError("system tables take no --filter")
    if table not in {*client.table_names(), *source.SYSTEM_TABLES}:
        print(f"error: there is no table {clean_line(table)!r}", file=err)
        return EXIT_NOT_FOUND
    docs: list[dict[str, Any]] = []
    more = False
    for page in pages(client, table, expr, limit + 1):
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
    meta = table_meta(client, table)
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
