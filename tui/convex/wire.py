"""Wire shapes of the dashboard's system functions that the client sends and reads
(`_system/frontend/*`): the undefined placeholder, filter expressions, page options, indexes."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from tui.convex import values
from tui.convex.errors import FunctionError
from tui.convex.models import Filter, IndexInfo

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
