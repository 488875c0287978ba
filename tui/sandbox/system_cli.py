"""`_system/cli/*` functions used by `npx convex data/env/function-spec` (§5, §6, §8)."""

from __future__ import annotations

from typing import Any

from tui.convex.validators import V, v
from tui.sandbox import env as env_store
from tui.sandbox.context import QueryCtx, SystemError_
from tui.sandbox.registry import Registry

ENV_TABLE = "_environment_variables"
o = v.optional
PAGINATION = v.object(
    numItems=v.number(),
    cursor=v.union(v.string(), v.null()),
    endCursor=o(v.union(v.string(), v.null())),
    id=o(v.number()),
    maximumRowsRead=o(v.number()),
    maximumBytesRead=o(v.number()),
)
COMPONENT = o(v.union(v.string(), v.null()))
MAX_PAGE_ROWS = 10_000


def page_size(opts: dict[str, Any]) -> int:
    return max(0, min(int(opts["numItems"]), MAX_PAGE_ROWS))


def env_docs(ctx: QueryCtx) -> list[dict[str, Any]]:
    ctx.db.tracker.read_tables.add(ENV_TABLE)
    return env_store.docs(ctx.db.conn)


def user_tables(ctx: QueryCtx) -> list[str]:
    return [t for t in ctx.db.table_names() if not t.startswith("_")]


def api_spec(reg: Registry) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for fn in sorted(reg.user_functions(), key=lambda f: f.spec_identifier):
        specs.append(
            {
                "identifier": fn.spec_identifier,
                "functionType": fn.udf_type,
                "visibility": {"kind": "internal" if fn.internal else "public"},
                "args": (fn.args or V("any")).to_json(),
                "returns": (fn.returns or V("any")).to_json(),
            }
        )
    for route in reg.http_routes:
        specs.append({"functionType": "HttpAction", "method": route.method, "path": route.path})
    return specs


def register(reg: Registry) -> None:
    @reg.query("_system/cli/tables", args=v.object(paginationOpts=PAGINATION))
    def tables(ctx: QueryCtx, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "page": [{"name": t} for t in user_tables(ctx)],
            "isDone": True,
            "continueCursor": "end",
        }

    @reg.query(
        "_system/cli/tableData",
        args=v.object(
            table=v.string(),
            order=o(v.union(v.literal("asc"), v.literal("desc"))),
            paginationOpts=PAGINATION,
        ),
    )
    def table_data(ctx: QueryCtx, args: dict[str, Any]) -> dict[str, Any]:
        table = args["table"]
        if table.startswith("_") and table not in ("_storage", "_scheduled_functions"):
            raise SystemError_(f'Table "{table}" is not a readable system table')
        opts = args["paginationOpts"]
        return ctx.db.paginate(
            table,
            page_size(opts),
            opts.get("cursor"),
            order=args.get("order") or "desc",  # newest first, like `npx convex data`
            max_rows=MAX_PAGE_ROWS,
        )

    @reg.query("_system/cli/tableSize", args=v.object(tableName=v.string()))
    def table_size(ctx: QueryCtx, args: dict[str, Any]) -> float:
        return float(ctx.db.count(args["tableName"]))

    @reg.query("_system/cli/modules:apiSpec", args=v.object(componentId=COMPONENT))
    def spec(ctx: QueryCtx, args: dict[str, Any]) -> list[dict[str, Any]]:
        return api_spec(reg)

    @reg.query("_system/cli/convexUrl:cloudUrl", args=v.object())
    def cloud_url(ctx: QueryCtx, args: dict[str, Any]) -> str:
        return reg.info.get("cloud_url", "")

    @reg.query("_system/cli/queryEnvironmentVariables", args=v.object())
    def list_env(ctx: QueryCtx, args: dict[str, Any]) -> list[dict[str, Any]]:
        return env_docs(ctx)

    @reg.query("_system/cli/queryEnvironmentVariables:get", args=v.object(name=v.string()))
    def get_env(ctx: QueryCtx, args: dict[str, Any]) -> dict[str, Any] | None:
        for doc in env_docs(ctx):
            if doc["name"] == args["name"]:
                return {"name": doc["name"], "value": doc["value"]}
        return None
