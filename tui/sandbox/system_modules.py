"""The dashboard's function listing (reference §6): ``_system/frontend/modules:*``.

Built from the registry, so it lists the demo app's functions or, after a push, the pushed app's.
"""

from __future__ import annotations

import json
from typing import Any

from tui.convex.validators import v
from tui.sandbox.context import QueryCtx
from tui.sandbox.registry import Registry, parse_udf_path
from tui.sandbox.system_cli import COMPONENT


def module_list(reg: Registry) -> list[list[Any]]:
    """``[[modulePath, {functions, sourcePackageId, cronSpecs?}]]`` sorted by path."""
    modules: dict[str, dict[str, Any]] = {}
    for fn in sorted(reg.user_functions(), key=lambda f: (f.module, f.name)):
        entry = modules.setdefault(f"{fn.module}.js", {"functions": [], "sourcePackageId": ""})
        item: dict[str, Any] = {
            "name": fn.name,
            "lineno": fn.lineno,
            "udfType": fn.udf_type,
            "visibility": {"kind": "internal" if fn.internal else "public"},
        }
        if fn.args is not None:
            item["args"] = json.dumps(fn.args.to_json(), separators=(",", ":"))
        entry["functions"].append(item)
    if reg.http_routes:
        http = modules.setdefault("http.js", {"functions": [], "sourcePackageId": ""})
        for route in reg.http_routes:
            http["functions"].append(
                {
                    "name": f"{route.method} {route.path}",
                    "udfType": "HttpAction",
                    "visibility": {"kind": "public"},
                }
            )
    return [[path, modules[path]] for path in sorted(modules)]


def register(reg: Registry) -> None:
    @reg.query("_system/frontend/modules:list", args=v.object(componentId=COMPONENT))
    def listing(ctx: QueryCtx, args: dict[str, Any]) -> list[list[Any]]:
        return module_list(reg)

    @reg.query("_system/frontend/modules:listForAllComponents", args=v.object())
    def all_components(ctx: QueryCtx, args: dict[str, Any]) -> list[list[Any]]:
        return [[None, module_list(reg)]]

    @reg.query(
        "_system/frontend/modules:argsValidator",
        args=v.object(function=v.string(), componentId=COMPONENT),
    )
    def args_validator(ctx: QueryCtx, args: dict[str, Any]) -> str | None:
        try:
            fn = reg.lookup(*parse_udf_path(args["function"]))
        except ValueError:
            return None
        if fn is None or fn.system or fn.args is None:
            return None
        return json.dumps(fn.args.to_json(), separators=(",", ":"))
