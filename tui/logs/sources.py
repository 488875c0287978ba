"""Deployment events for the Logs pane: an async loop over the audit log that hands batches of
rows to ``emit``, reconnects by itself and adds a marker row when it loses or regains its
server. (Function executions have a stream of their own: tui/logs/function_loop.py.)"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from tui.convex.client import ConvexClient
from tui.convex.errors import ConvexTransportError, FunctionError, PermissionDenied
from tui.convex.values import encode
from tui.logs.record import EVENT, EVENTS, Record, marker
from tui.safety.text import clean

Emit = Callable[[list[Record]], object]
EVENTS_PATH = "_system/frontend/paginatedDeploymentEvents"
EVENTS_PAGE = 50  # like the dashboard
EVENTS_POLL_S = 2.0


def event_text(doc: dict[str, Any]) -> str:
    action = str(doc.get("action", "?"))
    meta = doc.get("metadata")
    if isinstance(meta, dict) and meta:
        return f"{action} {json.dumps(encode(meta), ensure_ascii=False, sort_keys=True)}"
    return action


def event_record(doc: dict[str, Any]) -> Record:
    created = doc.get("_creationTime")
    when = float(created) / 1000.0 if isinstance(created, int | float) else time.time()
    return Record(when, EVENTS, EVENT, event_text(doc), level="INFO", entry=doc)


async def follow_events(
    client: ConvexClient, emit: Emit, *, since_ms: float, poll: float = EVENTS_POLL_S
) -> None:
    """Poll the audit log (all pages newer than the last seen event) and emit new events."""
    seen: set[str] = set()
    min_date = since_ms
    failing = False
    while True:
        try:
            docs = await _events_since(client, min_date)
        except PermissionDenied:
            text = "deployment events: this key may not read the audit log"
            emit([marker(EVENTS, text, trouble=True)])
            return
        except (ConvexTransportError, FunctionError) as exc:
            if not failing:
                failing = True
                text = f"deployment events unavailable: {clean(str(exc))}"
                emit([marker(EVENTS, text, trouble=True)])
            await asyncio.sleep(poll * 4)
            continue
        if failing:
            failing = False
            emit([marker(EVENTS, "deployment events resumed")])
        fresh = [d for d in docs if str(d.get("_id")) not in seen]
        for d in fresh:
            seen.add(str(d.get("_id")))
            created = d.get("_creationTime")
            if isinstance(created, int | float):
                min_date = max(min_date, float(created))
        if fresh:
            emit([event_record(d) for d in fresh])
        await asyncio.sleep(poll)


async def _events_since(client: ConvexClient, min_date: float) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(200):  # bounded: 10,000 events a poll at most
        args = {
            "paginationOpts": {"numItems": EVENTS_PAGE, "cursor": cursor},
            "filters": {"minDate": min_date},
        }
        result = await client.query(EVENTS_PATH, args)
        value = result.value
        if not isinstance(value, dict):
            break
        page = value.get("page")
        docs.extend(d for d in page if isinstance(d, dict)) if isinstance(page, list) else None
        if value.get("isDone", True):
            break
        cursor = str(value.get("continueCursor"))
    return docs
