"""A deterministic stand-in for the Data pane's client (fixed ids and times) for snapshots.

Pages, counts and order behave like the sandbox; only what snapshots need is implemented."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from tui.convex.ids import decode_id, encode_id
from tui.convex.models import FunctionResult, IndexInfo, TableInfo
from tui.data.filters import decode_expression
from tui.safety.guard import WriteGuard

T0 = 1_795_000_000_000.0  # 2026-11-18, fixed
NUMBERS = {"users": 10001, "tasks": 10002, "messages": 10003, "authAccounts": 10004}
STATUSES = ("pending", "in_progress", "completed")
TITLES = ("Write search index", "Document CSV export", "Test rate limiter", "Deploy dark mode")


def doc_id(table: str, n: int) -> str:
    return encode_id(NUMBERS[table], bytes([n % 256]) * 16)


def demo_tables() -> dict[str, list[dict[str, Any]]]:
    users = [
        {
            "_id": doc_id("users", i),
            "_creationTime": T0 + i,
            "name": name,
            "email": f"{name.lower()}@example.com",
        }
        for i, name in enumerate(("Ada", "Grace", "Linus"))
    ]
    tasks = []
    for i in range(30):
        doc: dict[str, Any] = {
            "_id": doc_id("tasks", i),
            "_creationTime": T0 + 1000 * i + 0.25,
            "title": f"{TITLES[i % 4]} #{i}",
            "status": STATUSES[i % 3],
            "priority": float(i % 5 + 1),
            "userId": users[i % 3]["_id"],
        }
        if i % 2:
            doc["description"] = f"Ticket #{100 + i}: follow up."
        tasks.append(doc)
    messages = [
        {
            "_id": doc_id("messages", i),
            "_creationTime": T0 + i,
            "body": f"Hello {i}",
            "author": "Ada",
        }
        for i in range(5)
    ]
    return {"authAccounts": [], "messages": messages, "tasks": tasks, "users": users}


SCHEMA = {
    "tables": [
        {
            "tableName": "tasks",
            "indexes": [{"indexDescriptor": "by_status", "fields": ["status"]}],
            "documentType": {
                "type": "object",
                "value": {
                    name: {"fieldType": {"type": kind}, "optional": opt}
                    for name, kind, opt in (
                        ("title", "string", False),
                        ("description", "string", True),
                        ("status", "string", False),
                        ("priority", "number", True),
                        ("userId", "string", True),
                    )
                },
            },
        }
    ],
    "schemaValidation": True,
}


class FakeDataClient:
    def __init__(self) -> None:
        self.tables = demo_tables()
        self.guard = WriteGuard()

    async def query(self, path: str, args: Mapping[str, Any] | None = None) -> FunctionResult:
        a = dict(args or {})
        if path == "_system/frontend/tableSize":
            value: Any = float(len(self.tables.get(a["tableName"], [])))
        elif path == "_system/frontend/paginatedTableDocuments":
            expr = decode_expression(a["filters"]) if a["filters"] else {}
            docs = sorted(
                self.tables.get(a["table"], []),
                key=lambda d: d["_creationTime"],
                reverse=expr.get("order", "desc") == "desc",
            )
            for clause in expr.get("clauses", []):
                docs = [d for d in docs if d.get(clause["field"]) == clause["value"]]
            opts = a["paginationOpts"]
            start = int(opts["cursor"] or 0)
            end = start + int(opts["numItems"])
            value = {
                "page": docs[start:end],
                "isDone": end >= len(docs),
                "continueCursor": str(end),
            }
        else:
            raise AssertionError(f"unexpected query {path}")
        return FunctionResult(value, (), 1.0, None)

    async def list_tables(self) -> list[TableInfo]:
        return [
            TableInfo(name, len(docs), NUMBERS[name]) for name, docs in sorted(self.tables.items())
        ]

    async def shapes(self) -> dict[str, Any]:
        return {}

    async def schema(self) -> dict[str, Any] | None:
        return SCHEMA

    async def indexes(self, table: str) -> list[IndexInfo]:
        return [IndexInfo("by_status", ("status",), "done")] if table == "tasks" else []

    async def table_for_id(self, doc_id: str) -> str | None:
        number = decode_id(doc_id).table_number
        return next((t for t, n in NUMBERS.items() if n == number), None)

    async def get_document(self, doc_id: str) -> dict[str, Any] | None:
        table = await self.table_for_id(doc_id)
        return next((d for d in self.tables.get(table or "", []) if d["_id"] == doc_id), None)

    @asynccontextmanager
    async def _never(self) -> AsyncIterator[Any]:
        async def values() -> AsyncIterator[Any]:
            await asyncio.Event().wait()
            yield None

        yield values()

    def subscribe(self, path: str, args: Mapping[str, Any] | None = None) -> Any:
        return self._never()

    async def close(self) -> None:
        pass
