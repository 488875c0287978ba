"""What the Data pane and ``convex-tui data`` read from a deployment, through ``ConvexClient``.

User tables page through the dashboard's ``paginatedTableDocuments`` (filters, order, index);
the system tables a CLI user can read (``_storage``, ``_scheduled_functions``) through the CLI's
``_system/cli/tableData`` (reference §5.4), which takes no filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.convex.errors import FunctionError, MalformedResponse
from tui.convex.models import AUTH_TABLES, DocumentPage, FunctionResult, IndexInfo, TableInfo
from tui.data.cells import index_fields, schema_fields, schema_tables, shape_fields
from tui.data.filters import FilterExpr

PAGE_PATH = "_system/frontend/paginatedTableDocuments"
CLI_PAGE_PATH = "_system/cli/tableData"
SIZE_PATH = "_system/frontend/tableSize"
SYSTEM_TABLES = ("_scheduled_functions", "_storage")


class DataClient(Protocol):
    """The part of ``ConvexClient`` the Data capability reads with (tests may fake it)."""

    async def query(self, path: str, args: Mapping[str, Any] | None = None) -> FunctionResult: ...

    async def list_tables(self) -> list[TableInfo]: ...

    async def shapes(self) -> dict[str, Any]: ...

    async def schema(self) -> dict[str, Any] | None: ...

    async def indexes(self, table: str) -> list[IndexInfo]: ...

    async def get_document(self, doc_id: str) -> dict[str, Any] | None: ...

    async def table_for_id(self, doc_id: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class TableEntry:
    name: str
    count: int | None
    system: bool = False

    @property
    def auth(self) -> bool:
        return self.name in AUTH_TABLES


@dataclass(frozen=True, slots=True)
class TableMeta:
    """Schema and shape of one table: what the grid's columns and the schema view show."""

    name: str
    declared: tuple[str, ...] = ()  # schema order, empty without a schema
    inferred: tuple[str, ...] = ()  # the server's inferred shape
    indexes: tuple[IndexInfo, ...] = ()
    index_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    document_type: Mapping[str, Any] | None = None  # the schema's validator JSON
    shape: Mapping[str, Any] | None = None
    has_schema: bool = False


def is_system(table: str) -> bool:
    return table.startswith("_")


async def list_tables(client: DataClient, *, system: bool = False) -> list[TableEntry]:
    """User tables (auth tables included) with counts; the readable system tables on request."""
    return table_entries(await client.list_tables(), system=system)


def table_entries(tables: list[TableInfo], *, system: bool = False) -> list[TableEntry]:
    out = [TableEntry(t.name, t.count) for t in tables]
    if system:
        out.extend(TableEntry(name, None, system=True) for name in SYSTEM_TABLES)
    return out


async def fetch_page(
    client: DataClient,
    table: str,
    cursor: str | None,
    expr: FilterExpr,
    page_size: int,
) -> DocumentPage:
    path, args = page_query(table, cursor, expr, page_size)
    return parse_page((await client.query(path, args)).value)


def page_query(
    table: str, cursor: str | None, expr: FilterExpr, page_size: int
) -> tuple[str, dict[str, Any]]:
    """The query (path and arguments) that reads one page of ``table``."""
    if is_system(table):
        args: dict[str, Any] = {
            "table": table,
            "order": expr.order,
            "paginationOpts": {"numItems": page_size, "cursor": cursor},
        }
        return CLI_PAGE_PATH, args
    return PAGE_PATH, page_args(table, cursor, expr, page_size)


def page_args(
    table: str,
    cursor: str | None,
    expr: FilterExpr,
    page_size: int,
    end_cursor: str | None = None,
) -> dict[str, Any]:
    """The arguments of a user table's page query. A live page also sends ``endCursor`` (the
    next page's start), as the dashboard's paginated subscriptions do once a page is loaded:
    the page then keeps its range, growing with an insert instead of shifting."""
    opts: dict[str, Any] = {"numItems": page_size, "cursor": cursor}
    if end_cursor is not None:
        opts["endCursor"] = end_cursor
    return {"paginationOpts": opts, "table": table, "filters": expr.encode()}


def parse_page(raw: Any) -> DocumentPage:
    if not isinstance(raw, dict) or not isinstance(raw.get("page"), list):
        raise MalformedResponse("The page query did not return a page.")
    docs = tuple(d for d in raw["page"] if isinstance(d, dict) and "_id" in d)
    errors = tuple(
        str(d.get("error")) for d in raw["page"] if isinstance(d, dict) and "_id" not in d
    )
    done = bool(raw.get("isDone"))
    cursor = raw.get("continueCursor")
    return DocumentPage(docs, None if done or cursor is None else str(cursor), done, errors)


@dataclass(frozen=True, slots=True)
class DeploymentMeta:
    """The deployment's schema and inferred shapes: read once with the table list, so opening a
    table costs one page request."""

    schema: Mapping[str, Any] | None = None
    shapes: Mapping[str, Any] = field(default_factory=dict)


async def _safe(coro: Any) -> Any:
    try:
        return await coro
    except (FunctionError, MalformedResponse):
        return None


async def deployment_meta(client: DataClient) -> DeploymentMeta:
    """Schema and shapes, each best effort (a failure leaves it empty)."""
    import asyncio  # here, not at the top: the blocking `data` twin imports this module too

    schema, shapes = await asyncio.gather(_safe(client.schema()), _safe(client.shapes()))
    return DeploymentMeta(schema, shapes or {})


def meta_for(
    deployment: DeploymentMeta, table: str, indexes: tuple[IndexInfo, ...] = ()
) -> TableMeta:
    """One table's columns, shape and schema from the deployment's; ``indexes`` come later."""
    if is_system(table):
        return TableMeta(table)
    table_def = schema_tables(deployment.schema).get(table)
    shape = deployment.shapes.get(table)
    doc_type = table_def.get("documentType") if table_def else None
    return TableMeta(
        table,
        tuple(schema_fields(table_def)),
        tuple(shape_fields(shape if isinstance(shape, Mapping) else None)),
        indexes,
        index_fields(table_def),
        doc_type if isinstance(doc_type, Mapping) else None,
        shape if isinstance(shape, Mapping) else None,
        table_def is not None,
    )


async def table_indexes(client: DataClient, table: str) -> tuple[IndexInfo, ...]:
    if is_system(table):
        return ()
    return tuple(await _safe(client.indexes(table)) or ())


def meta_from(table: str, schema: Any, shapes: Any, indexes: Any) -> TableMeta:
    """A table's meta from the answers of schema, shapes and indexes (None: that one failed);
    the blocking `data` twin reads them itself."""
    return meta_for(DeploymentMeta(schema, shapes or {}), table, tuple(indexes or ()))


async def table_meta(client: DataClient, table: str) -> TableMeta:
    """Schema fields, inferred shape and indexes, each best effort (a failure leaves it empty)."""
    import asyncio

    if is_system(table):
        return TableMeta(table)
    deployment, indexes = await asyncio.gather(
        deployment_meta(client), table_indexes(client, table)
    )
    return meta_for(deployment, table, indexes)


async def count(client: DataClient, table: str) -> int | None:
    if is_system(table):
        return None
    try:
        n = (await client.query(SIZE_PATH, {"tableName": table})).value
    except FunctionError:
        return None
    return int(n) if isinstance(n, int | float) else None
