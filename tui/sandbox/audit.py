"""`_deployment_audit_log` (reference §12.4): what the backend records for env var changes,
data edits and pushes, and `_system/frontend/paginatedDeploymentEvents` to read it back (the
dashboard's Logs and History pages). Kept in memory per deployment (a bounded ring)."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from tui.convex.ids import new_id
from tui.convex.validators import v
from tui.convex.values import Int64
from tui.sandbox.context import QueryCtx
from tui.sandbox.registry import Registry
from tui.sandbox.system_cli import PAGINATION, page_size

if TYPE_CHECKING:
    from tui.sandbox.engine import Deployment

AUDIT_TABLE_NUMBER = 40  # a system table number (below 10001: never a user table's)
MAX_EVENTS = 10_000
o = v.optional


class AuditLog:
    """Thread-safe: data edits append from the sandbox's writer thread."""

    def __init__(self) -> None:
        self._docs: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
        self._lock = threading.Lock()
        self._last = 0.0

    def append(self, action: str, metadata: dict[str, Any], member_id: int = 0) -> dict[str, Any]:
        with self._lock:
            # Creation times are unique and increasing, like the backend's.
            created = max(time.time() * 1000.0, self._last + 0.001)
            self._last = created
            doc = {
                "_id": new_id(AUDIT_TABLE_NUMBER),
                "_creationTime": created,
                "action": action,
                "member_id": Int64(member_id),
                "metadata": metadata,
            }
            self._docs.append(doc)
            return doc

    def newest_first(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(reversed(self._docs))


def audit_log(reg: Registry) -> AuditLog:
    """The deployment's audit log (one per registry, created on first use)."""
    log = getattr(reg, "_audit_log", None)
    if log is None:
        log = AuditLog()
        setattr(reg, "_audit_log", log)  # noqa: B010 - the registry dataclass has no such field
    return log


def share_audit_log(old: Registry, new: Registry) -> None:
    """A push builds a new registry: its functions must read the deployment's one log."""
    setattr(new, "_audit_log", audit_log(old))  # noqa: B010 - see audit_log


def append_audit(dep: Deployment, action: str, metadata: dict[str, Any]) -> None:
    """For the sandbox's HTTP handlers (env changes, pushes)."""
    audit_log(dep.registry).append(action, metadata)


def audit_env_changes(
    dep: Deployment, before: dict[str, str], changes: list[tuple[str, str | None]]
) -> None:
    for name, value in changes:
        if value is None:
            if name in before:
                append_audit(dep, "delete_environment_variable", {"variable_name": name})
        elif name in before:
            append_audit(dep, "update_environment_variable", {"variable_name": name})
        else:
            append_audit(dep, "create_environment_variable", {"variable_name": name})


def register(reg: Registry) -> None:
    @reg.query(
        "_system/frontend/paginatedDeploymentEvents",
        args=v.object(
            paginationOpts=PAGINATION,
            filters=v.object(
                minDate=v.number(),
                maxDate=o(v.number()),
                authorMemberIds=o(v.array(v.int64())),
                actions=o(v.array(v.string())),
            ),
        ),
    )
    def paginated_events(ctx: QueryCtx, args: dict[str, Any]) -> dict[str, Any]:
        f = args["filters"]
        lo, hi = float(f["minDate"]), f.get("maxDate")
        actions = set(f["actions"]) if f.get("actions") else None
        members = {int(m) for m in f["authorMemberIds"]} if f.get("authorMemberIds") else None
        rows = [
            d
            for d in audit_log(reg).newest_first()
            if d["_creationTime"] >= lo
            and (hi is None or d["_creationTime"] <= float(hi))
            and (actions is None or d["action"] in actions)
            and (members is None or int(d["member_id"]) in members)
        ]
        opts = args["paginationOpts"]
        start = int(opts["cursor"]) if (opts.get("cursor") or "").isdigit() else 0
        size = page_size(opts) or 50
        page = rows[start : start + size]
        end = start + len(page)
        return {"page": page, "isDone": end >= len(rows), "continueCursor": str(end)}
