"""Live facts about the deployment over the sync socket, for the status pane (no Textual)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.convex.client import ConvexClient

# The dashboard's own count of every document in the root component's user tables.
TOTAL_DOCUMENTS = "_system/frontend/tableSize:sizeOfAllTables"


async def document_totals(client: ConvexClient) -> AsyncIterator[int]:
    """Each new total as the deployment commits writes (a reactive query, not a poll)."""
    async with client.subscribe(TOTAL_DOCUMENTS, {}) as live:
        async for value in live:
            yield int(value)
