"""Wire shapes of the admin endpoints and the dashboard's system functions (`_system/*`): what
both clients (async ``ConvexClient``, blocking ``ConvexHttpClient``) send and how they read the
answers, so the two never disagree: paths, the undefined placeholder, filter expressions, page
options, indexes, tables, schemas, environment variables, the admin-key verdict."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from tui.config.secret import Secret
from tui.convex import values
from tui.convex.errors import FunctionError, MalformedResponse, PermissionDenied

if TYPE_CHECKING:
    from tui.convex.models import AdminKeyStatus, Filter, FunctionSpec, IndexInfo

API_SPEC = "_system/cli/modules:apiSpec"
TABLE_MAPPING = "_system/frontend/getTableMapping"
CLI_TABLES = "_system/cli/tables"
TABLE_SIZE = "_system/frontend/tableSize"
SCHEMAS = "_system/frontend/getSchemas"
INDEXES = "_system/frontend/indexes"
SHAPES = "/api/shapes2"
GET_INDEXES = "/api/get_indexes"
CHECK_ADMIN_KEY = "/api/check_admin_key"
LIST_ENV = "/api/list_environment_variables"
UPDATE_ENV = "/api/update_environment_variables"

# Sent in place of a value to mean "remove this field" (system-udfs lib/values.ts).
UNDEFINED_PLACEHOLDER = (
    "__CONVEX_PLACEHOLDER_undefined_I23atX0jcndVbFgXoQZffsih7eAqktCyFjgUuAeNBtfr3ySOljPSPSEOPFgprk"
    "dBO3zXNiGEJxmJ5ZFPc5C5qKesG80QRPvlJe8vgSxAt9feLTwxTg4PHfVwUaTEJU67FDwldWmTxp1guMPwxQ2jOuhEryTBf3mQ"
)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Use as a value in :meth:`ConvexClient.patch_fields` to remove the field."""


def page_opts(num: int, cursor: str | None) -> dict[str, Any]:
    return {"numItems": num, "cursor": cursor}


def encode_filters(filters: Sequence[Filter], order: str = "desc") -> str:
    """Base64 of the dashboard's FilterExpression JSON; values in Convex encoded JSON."""
    clauses = [
        {
            "op": f.op,
            "field": f.field,
            "value": values.encode(f.value),
            "enabled": f.enabled,
            "id": str(i),
        }
        for i, f in enumerate(filters)
    ]
    expr = {"clauses": clauses, "order": order}
    return base64.b64encode(json.dumps(expr).encode("utf-8")).decode("ascii")


def check_success(result: Any, what: str) -> None:
    if isinstance(result, dict) and result.get("success") is False:
        raise FunctionError(f"{what} failed: {result.get('error') or 'unknown error'}", path=what)


def index_info(raw: Mapping[str, Any]) -> IndexInfo:
    from tui.convex.models import IndexInfo  # the models load on first use (see results.py)

    fields = raw.get("fields")
    backfill = raw.get("backfill")
    state = backfill.get("state") if isinstance(backfill, dict) else None
    if isinstance(fields, list):
        return IndexInfo(
            str(raw.get("name")), tuple(str(f) for f in fields), state, bool(raw.get("staged"))
        )
    kind: Literal["search", "vector"] = (
        "vector" if isinstance(fields, dict) and "vectorField" in fields else "search"
    )
    return IndexInfo(str(raw.get("name")), dict(fields or {}), state, bool(raw.get("staged")), kind)


def missing_key(admin_key: Secret | None, path: str) -> PermissionDenied | None:
    """Without a key the backend answers a system function with "Could not find public
    function": say what is actually missing."""
    if admin_key is not None or not path.startswith("_system/"):
        return None
    return PermissionDenied(
        "No admin key: the deployment's system functions need one. Set "
        "CONVEX_SELF_HOSTED_ADMIN_KEY (e.g. in .env.convex.local)."
    )


def key_status(data: Any) -> AdminKeyStatus:
    """The backend's answer is {"success": true, "allowedOps": [...], "isReadOnly": bool};
    anything else (`{}` included) is not a verdict (issue 9, defect 12)."""
    if not isinstance(data, dict) or not isinstance(data.get("success"), bool):
        raise MalformedResponse("check_admin_key did not answer with {success, allowedOps}.")
    from tui.convex.models import AdminKeyStatus

    ops = data.get("allowedOps") or []
    return AdminKeyStatus(
        valid=data["success"],
        allowed_ops=tuple(str(o) for o in ops) if isinstance(ops, list) else (),
        is_read_only=bool(data.get("isReadOnly", False)),
    )


def function_specs(raw: Any) -> list[FunctionSpec]:
    from tui.convex.models import FunctionSpec

    if not isinstance(raw, list):
        raise MalformedResponse("apiSpec did not return a list.")
    return [FunctionSpec.from_json(item) for item in raw if isinstance(item, dict)]


def table_numbers(raw: Any) -> dict[int, str]:
    """Table number → name (getTableMapping)."""
    if not isinstance(raw, dict):
        raise MalformedResponse("getTableMapping did not return an object.")
    return {int(k): str(v) for k, v in raw.items()}


def user_tables(mapping: Mapping[int, str]) -> dict[str, int | None]:
    return {name: num for num, name in mapping.items() if not name.startswith("_")}


def cli_tables(page: Any) -> dict[str, int | None]:
    """Table names from the CLI's `_system/cli/tables` page (older backends)."""
    return {str(t["name"]): None for t in page.get("page", [])}


def table_count(raw: Any) -> int | None:
    return int(raw) if isinstance(raw, int | float) else None


def user_shapes(raw: Any) -> dict[str, Any]:
    """Table name → inferred shape JSON (reference §5.2), user tables only."""
    if not isinstance(raw, dict):
        raise MalformedResponse("shapes2 did not return an object.")
    return {k: v for k, v in raw.items() if not k.startswith("_")}


def table_indexes(raw: Any, table: str, *, legacy: bool = False) -> list[IndexInfo]:
    """A table's indexes from `_system/frontend/indexes`, or (``legacy``) from the whole
    deployment's `/api/get_indexes`."""
    if legacy:
        raw = [i for i in (raw or {}).get("indexes", []) if i.get("table") == table]
    if not isinstance(raw, list):
        raise MalformedResponse("indexes did not return a list.")
    return [index_info(item) for item in raw if isinstance(item, dict)]


def active_schema(raw: Any) -> dict[str, Any] | None:
    """The active schema JSON from getSchemas, or None when no schema is pushed."""
    active = raw.get("active") if isinstance(raw, dict) else None
    if not active:
        return None
    try:
        parsed = json.loads(active) if isinstance(active, str) else active
    except ValueError:
        raise MalformedResponse("The active schema is not valid JSON.") from None
    return parsed if isinstance(parsed, dict) else None


def env_vars(raw: Any) -> dict[str, str]:
    env = raw.get("environmentVariables") if isinstance(raw, dict) else None
    if not isinstance(env, dict):
        raise MalformedResponse("list_environment_variables did not return variables.")
    return {str(k): str(v) for k, v in sorted(env.items())}


def env_changes(changes: Mapping[str, str | None]) -> dict[str, Any]:
    """The body that sets and unsets (value None) several variables in one request."""
    return {"changes": [{"name": k, "value": v} for k, v in changes.items()]}
