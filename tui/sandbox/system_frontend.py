"""`_system/frontend/*` functions the dashboard (and the console's data pane) use (§5)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from tui.convex import values
from tui.convex.validators import v
from tui.sandbox.context import ConvexError, MutationCtx, QueryCtx
from tui.sandbox.db import UNSET, Doc
from tui.sandbox.registry import Registry, schema_json
from tui.sandbox.search import search_fields
from tui.sandbox.storage import INDEXED_FIELDS
from tui.sandbox.system_cli import (
    COMPONENT,
    MAX_PAGE_ROWS,
    PAGINATION,
    env_docs,
    page_size,
    user_tables,
)

o = v.optional
UNDEFINED_PLACEHOLDER = (
    "__CONVEX_PLACEHOLDER_undefined_I23atX0jcndVbFgXoQZffsih7eAqktCyFjgUuAeNBtfr3ySOljPSPSEOPFgprkdB"
    "O3zXNiGEJxmJ5ZFPc5C5qKesG80QRPvlJe8vgSxAt9feLTwxTg4PHfVwUaTEJU67FDwldWmTxp1guMPwxQ2jOuhEryTBf3mQ"
)
MAX_DOCS_PER_CALL = 4096
CLEAR_PAGE = 4000
# The backend's default numbers (512 + DefaultTableNumber): FileStorage 16, ScheduledJobs 18.
SYSTEM_TABLE_NUMBERS = {"_file_storage": 528, "_scheduled_jobs": 530}
_RANK = {
    "undefined": 0,
    "null": 1,
    "bigint": 2,
    "number": 3,
    "boolean": 4,
    "string": 5,
    "bytes": 6,
    "array": 7,
    "object": 8,
}


def type_name(value: Any) -> str:
    if value is UNSET:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, values.Int64):
        return "bigint"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes):
        return "bytes"
    return "array" if isinstance(value, list) else "object"


def sort_key(value: Any) -> tuple[int, Any]:
    """Convex's total order across types, enough for filter comparisons."""
    name = type_name(value)
    if name in ("array", "object", "undefined", "null"):
        return _RANK[name], json.dumps(values.encode(value), sort_keys=True) if name in (
            "array",
            "object",
        ) else 0
    return _RANK[name], value


def _field(doc: Doc, path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return UNSET
        cur = cur[part]
    return cur


def compile_filter(clauses: list[dict[str, Any]]) -> Callable[[Doc], bool]:
    checks: list[Callable[[Doc], bool]] = []
    for clause in clauses:
        if clause.get("enabled") is False:
            continue
        op, field = clause["op"], clause["field"]
        raw = clause.get("value")
        val = values.decode(raw) if op not in ("type", "notype") else raw

        def check(doc: Doc, op: str = op, field: str = field, val: Any = val) -> bool:
            got = _field(doc, field)
            if op in ("type", "notype"):
                # The dashboard names a missing field "unset" (lib/filters.ts TypeFilterValue).
                want = "undefined" if val == "unset" else val
                is_type = type_name(got) == want or (
                    val == "id" and isinstance(got, str) and _looks_like_id(got)
                )
                return is_type if op == "type" else not is_type
            if op in ("anyOf", "noneOf"):
                hit = any(sort_key(got) == sort_key(x) for x in (val or []))
                return hit if op == "anyOf" else not hit
            a, b = sort_key(got), sort_key(val)
            return {
                "eq": a == b,
                "neq": a != b,
                "gt": a > b,
                "gte": a >= b,
                "lt": a < b,
                "lte": a <= b,
            }[op]

        checks.append(check)
    return lambda doc: all(c(doc) for c in checks)


def _looks_like_id(text: str) -> bool:
    from tui.convex.ids import is_id

    return is_id(text)


def parse_filters(
    reg: Registry, table: str, encoded: str | None
) -> tuple[list[tuple[str, Any]], Callable[[Doc], bool] | None, str]:
    """Decode the dashboard's base64 FilterExpression → (index eq, predicate, order)."""
    if not encoded:
        return [], None, "desc"
    # js-base64 decode: the dashboard sends the URL-safe alphabet without padding (encodeURI).
    padded = encoded.replace("-", "+").replace("_", "/") + "=" * (-len(encoded) % 4)
    data = json.loads(base64.b64decode(padded))
    order = data.get("order") or "desc"
    clauses = list(data.get("clauses") or [])
    eq: list[tuple[str, Any]] = []
    index = data.get("index")
    if index:
        fields = (
            dict(reg.tables[table].indexes).get(index["name"], ()) if table in reg.tables else ()
        )
        for field, clause in zip(fields, index.get("clauses") or [], strict=False):
            if clause.get("enabled") is False:
                continue
            if clause.get("type") == "indexRange":  # the last clause: bounds on the next field
                for op_key, value_key in (("lowerOp", "lowerValue"), ("upperOp", "upperValue")):
                    if clause.get(op_key):
                        clauses.append(
                            {"op": clause[op_key], "field": field, "value": clause.get(value_key)}
                        )
                continue
            if field in INDEXED_FIELDS and len(eq) == 0:
                eq.append((field, values.decode(clause.get("value"))))
            else:
                clauses.append({"op": "eq", "field": field, "value": clause.get("value")})
    return eq, compile_filter(clauses) if clauses else None, order


def _audit(reg: Registry, action: str, **metadata: Any) -> None:
    from tui.sandbox.audit import audit_log  # the data edits the dashboard's History lists

    audit_log(reg).append(action, metadata)


def register(reg: Registry) -> None:  # noqa: C901 - one nested def per function
    @reg.query(
        "_system/frontend/paginatedTableDocuments",
        args=v.object(
            paginationOpts=PAGINATION,
            table=v.string(),
            filters=v.union(v.string(), v.null()),
            componentId=COMPONENT,
        ),
    )
    def paginated(ctx: QueryCtx, args: dict[str, Any]) -> dict[str, Any]:
        table, opts = args["table"], args["paginationOpts"]
        try:
            eq, where, order = parse_filters(reg, table, args.get("filters"))
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            return {
                "page": [{"error": f"Invalid filters: {exc}"}],
                "isDone": True,
                "continueCursor": "",
            }
        return ctx.db.paginate(
            table,
            page_size(opts),
            opts.get("cursor"),
            eq=eq,
            where=where,
            order="asc" if order == "asc" else "desc",
            max_rows=MAX_PAGE_ROWS,
            end_cursor=opts.get("endCursor"),
        )

    @reg.query(
        "_system/frontend/tableSize", args=v.object(tableName=v.string(), componentId=COMPONENT)
    )
    def table_size(ctx: QueryCtx, args: dict[str, Any]) -> float:
        return float(ctx.db.count(args["tableName"]))

    @reg.query("_system/frontend/tableSize:sizeOfAllTables", args=v.object(componentId=COMPONENT))
    def size_all(ctx: QueryCtx, args: dict[str, Any]) -> float:
        return float(sum(ctx.db.count(t) for t in user_tables(ctx)))

    @reg.query("_system/frontend/getTableMapping", args=v.object(componentId=COMPONENT))
    def mapping(ctx: QueryCtx, args: dict[str, Any]) -> dict[str, str]:
        out = {str(num): name for name, num in SYSTEM_TABLE_NUMBERS.items()}
        for name in user_tables(ctx):
            number = ctx.db.storage.table_number(name)
            if number is not None:
                out[str(number)] = name
        return out

    @reg.query(
        "_system/frontend/indexes",
        args=v.object(tableName=v.string(), tableNamespace=v.union(v.string(), v.null())),
    )
    def indexes(ctx: QueryCtx, args: dict[str, Any]) -> list[dict[str, Any]] | None:
        table = reg.tables.get(args["tableName"])
        if table is None:
            return []
        searches = ctx.db.storage.catalog.searches.get(args["tableName"], ())
        return [
            *(
                {"name": name, "staged": False, "fields": list(f), "backfill": {"state": "done"}}
                for name, f in table.indexes
            ),
            *(
                {"name": s.name, "staged": False, "fields": search_fields(s),
                 "backfill": {"state": "done"}}
                for s in searches
            ),
        ]  # fmt: skip

    @reg.query("_system/frontend/getSchemas", args=v.object(componentId=COMPONENT))
    def schemas(ctx: QueryCtx, args: dict[str, Any]) -> dict[str, Any]:
        return {"active": schema_json(reg)}

    @reg.query("_system/frontend/getById", args=v.object(id=v.string(), componentId=COMPONENT))
    def get_by_id(ctx: QueryCtx, args: dict[str, Any]) -> Doc | None:
        return ctx.db.get(args["id"])

    @reg.query("_system/frontend/listEnvironmentVariables", args=v.object())
    def list_env(ctx: QueryCtx, args: dict[str, Any]) -> list[dict[str, Any]]:
        return env_docs(ctx)

    @reg.mutation(
        "_system/frontend/addDocument",
        args=v.object(table=v.string(), documents=v.array(v.any()), componentId=COMPONENT),
    )
    def add_document(ctx: MutationCtx, args: dict[str, Any]) -> dict[str, Any]:
        docs = args["documents"]
        if len(docs) > MAX_DOCS_PER_CALL:
            return {
                "success": False,
                "error": f"Cannot add more than {MAX_DOCS_PER_CALL} documents",
            }
        for doc in docs:
            try:
                ctx.db.insert(args["table"], doc)
            except Exception as exc:
                raise ConvexError(str(exc)) from exc
        _audit(reg, "add_documents", table=args["table"], count=len(docs))
        return {"success": True}

    @reg.mutation(
        "_system/frontend/patchDocumentsFields",
        args=v.object(
            table=v.string(), fields=v.any(), ids=o(v.array(v.string())), componentId=COMPONENT
        ),
    )
    def patch_fields(ctx: MutationCtx, args: dict[str, Any]) -> dict[str, Any]:
        fields = {
            k: (UNSET if val == UNDEFINED_PLACEHOLDER else val) for k, val in args["fields"].items()
        }
        ids = args.get("ids")
        if ids is None:
            ids = [d["_id"] for d in ctx.db.query(args["table"])]
        for doc_id in ids:
            ctx.db.patch(doc_id, fields)
        _audit(reg, "update_documents", table=args["table"], count=len(ids))
        return {"success": True}

    @reg.mutation(
        "_system/frontend/replaceDocument",
        args=v.object(id=v.string(), document=v.any(), componentId=COMPONENT),
    )
    def replace_document(ctx: MutationCtx, args: dict[str, Any]) -> dict[str, Any]:
        if ctx.db.get(args["id"]) is None:
            return {"success": False, "error": "Document does not exist."}
        ctx.db.replace(args["id"], args["document"])
        _audit(reg, "update_documents", id=args["id"], count=1)
        return {"success": True}

    @reg.mutation(
        "_system/frontend/deleteDocuments",
        args=v.object(
            toDelete=v.array(v.object(id=v.string(), tableName=v.string())), componentId=COMPONENT
        ),
    )
    def delete_documents(ctx: MutationCtx, args: dict[str, Any]) -> dict[str, Any]:
        if len(args["toDelete"]) > MAX_DOCS_PER_CALL:
            return {
                "success": False,
                "error": f"Cannot delete more than {MAX_DOCS_PER_CALL} documents",
            }
        for item in args["toDelete"]:
            if ctx.db.get(item["id"]) is not None:
                ctx.db.delete(item["id"])
        tables = sorted({item["tableName"] for item in args["toDelete"]})
        _audit(reg, "delete_documents", tables=tables, count=len(args["toDelete"]))
        return {"success": True}

    @reg.mutation(
        "_system/frontend/clearTablePage",
        args=v.object(
            tableName=v.string(), cursor=v.union(v.string(), v.null()), componentId=COMPONENT
        ),
    )
    def clear_table_page(ctx: MutationCtx, args: dict[str, Any]) -> dict[str, Any]:
        # Deleting from the oldest end means the next page starts at the table's start again.
        page = ctx.db.paginate(
            args["tableName"], CLEAR_PAGE, None, order="asc", max_rows=CLEAR_PAGE
        )
        for doc in page["page"]:
            ctx.db.delete(doc["_id"])
        _audit(reg, "clear_tables", table=args["tableName"], count=len(page["page"]))
        return {
            "deleted": float(len(page["page"])),
            "hasMore": not page["isDone"],
            "continueCursor": page["continueCursor"],
        }
