"""What the demo app does when `convex-tui demo` starts, through its real functions, so the
console opens on a deployment that has a history: the Logs pane shows recent lines on open, as
it does on any deployment that has been used (the seed itself writes the tables directly, in
one transaction, and runs no function).

A task is created (its scheduled `tasks:processTask` runs right after, caller Scheduler), the
tasks are listed, a RAG search runs (an action with its sub-calls), a task with an empty title
is rejected (a WARN line and a failed execution for the facets), and the created task is
removed once processed: the seeded tables keep their counts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tui.sandbox.outcome import Identity

if TYPE_CHECKING:
    from tui.sandbox.engine import Deployment
    from tui.sandbox.registry import Kind

ADMIN = Identity("admin")  # like `npx convex run`
SCHEDULED_WAIT_S = 5.0


async def _call(dep: Deployment, kind: Kind, path: str, args: dict[str, Any]) -> Any:
    outcome = await dep.run_function(path, args, identity=ADMIN, kind=kind, caller="HttpApi")
    return outcome.value


async def run_first_calls(dep: Deployment) -> int:
    """Run the demo's first calls; returns how many executions the log holds afterwards."""
    task_id = await _call(dep, "mutation", "tasks:create", {"title": "Explore the Logs pane"})
    await _call(dep, "query", "tasks:list", {})
    await _call(dep, "action", "rag:searchWithRAG", {"query": "self-hosting"})
    await _call(dep, "mutation", "tasks:create", {"title": " "})  # rejected
    deadline = time.monotonic() + SCHEDULED_WAIT_S
    seen = 0.0
    while not _processed(dep) and (left := deadline - time.monotonic()) > 0:
        # The scheduler runs it on this loop, right after the create: wait for the log to grow.
        newer = await dep.logs.wait_after(seen, left)
        seen = max((e.timestamp * 1000 for e in newer), default=seen)
    if isinstance(task_id, str):
        await _call(dep, "mutation", "tasks:remove", {"id": task_id})
    return len(dep.logs.after(0))


def _processed(dep: Deployment) -> bool:
    return any(e.fields.get("identifier") == "tasks:processTask" for e in dep.logs.after(0))
