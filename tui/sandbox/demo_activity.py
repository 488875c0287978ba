"""What the demo app does when `convex-tui demo` starts, through its real functions, so the
console opens on a deployment that has a history: the Logs pane shows recent lines on open, as
it does on any deployment that has been used (the seed itself writes the tables directly, in
one transaction, and runs no function).

A task is created (its scheduled `tasks:processTask` runs right after, caller Scheduler), a
message is sent, the tasks are listed, a RAG search runs (an action with its sub-calls), and a
task with an empty title is rejected (a WARN line and a failed execution for the facets)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.sandbox.outcome import Identity

if TYPE_CHECKING:
    from tui.sandbox.engine import Deployment
    from tui.sandbox.registry import Kind

FIRST_CALLS: tuple[tuple[Kind, str, dict[str, Any]], ...] = (
    ("mutation", "tasks:create", {"title": "Explore the Logs pane", "priority": 2.0}),
    ("mutation", "messages:send", {"body": "Demo deployment started", "author": "convex-tui"}),
    ("query", "tasks:list", {}),
    ("action", "rag:searchWithRAG", {"query": "self-hosting"}),
    ("mutation", "tasks:create", {"title": " "}),
)


async def run_first_calls(dep: Deployment) -> int:
    """Run the demo's first calls as an admin (like `npx convex run`); returns how many ran."""
    admin = Identity("admin")
    for kind, path, args in FIRST_CALLS:
        await dep.run_function(path, args, identity=admin, kind=kind, caller="HttpApi")
    return len(FIRST_CALLS)
