"""Pagination contract over thousands of documents, filters, data editing, fast ids."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from tui.convex.ids import decode_id, encode_id
from tui.sandbox.functions.demo_misc import bulk_docs
from tui.sandbox.server import SandboxServer
from tui.sandbox.storage import fast_ids

N = 3000


async def q(
    c: httpx.AsyncClient,
    s: SandboxServer,
    path: str,
    args: dict[str, Any],
    route: str = "/api/query",
) -> Any:
    r = await c.post(
        route,
        headers={"Authorization": f"Convex {s.admin_key}"},
        json={"path": path, "args": args, "format": "convex_encoded_json"},
    )
    body = r.json()
    assert body["status"] == "success", body
    return body["value"]


async def drain(
    c: httpx.AsyncClient, s: SandboxServer, path: str, args: dict[str, Any], size: int
) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10_000):
        page = await q(c, s, path, {**args, "paginationOpts": {"numItems": size, "cursor": cursor}})
        assert len(page["page"]) <= size
        docs.extend(page["page"])
        cursor = page["continueCursor"]
        assert isinstance(cursor, str)
        if page["isDone"]:
            break
    return docs


async def test_pages_have_no_duplicates_or_gaps(sandbox: SandboxServer) -> None:
    await sandbox.deployment.bulk_insert("bulky", bulk_docs("bulky", N))
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=30) as c:
        asc = await drain(
            c, sandbox, "_system/cli/tableData", {"table": "bulky", "order": "asc"}, 257
        )
        desc = await drain(
            c,
            sandbox,
            "_system/frontend/paginatedTableDocuments",
            {"table": "bulky", "filters": None},
            500,
        )
        assert len(asc) == N == len({d["_id"] for d in asc})
        assert sorted(d["n"] for d in asc) == list(range(N))
        times = [d["_creationTime"] for d in asc]
        assert times == sorted(times) and len(set(times)) == N
        assert [d["_id"] for d in desc] == [d["_id"] for d in reversed(asc)]  # default desc
        # A continueCursor from the last page yields nothing more.
        size = await q(c, sandbox, "_system/frontend/tableSize", {"tableName": "bulky"})
        assert size == N


async def test_filters_and_index(sandbox: SandboxServer) -> None:
    await sandbox.deployment.bulk_insert("tasks", bulk_docs("tasks", 1200))
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=30) as c:

        def encode(expr: dict[str, Any]) -> str:
            return base64.b64encode(json.dumps(expr).encode()).decode()

        by_clause = encode(
            {
                "clauses": [
                    {"op": "eq", "field": "status", "value": "completed"},
                    {"op": "gte", "field": "priority", "value": 3},
                ],
                "order": "asc",
            }
        )
        filtered = await drain(
            c,
            sandbox,
            "_system/frontend/paginatedTableDocuments",
            {"table": "tasks", "filters": by_clause},
            50,
        )
        assert filtered and all(d["status"] == "completed" and d["priority"] >= 3 for d in filtered)
        by_index = encode(
            {
                "clauses": [],
                "index": {
                    "name": "by_status",
                    "clauses": [{"type": "indexEq", "enabled": True, "value": "completed"}],
                },
            }
        )
        indexed = await drain(
            c,
            sandbox,
            "_system/frontend/paginatedTableDocuments",
            {"table": "tasks", "filters": by_index},
            100,
        )
        everything = await drain(
            c, sandbox, "_system/cli/tableData", {"table": "tasks", "order": "asc"}, 1000
        )
        expected = [d["_id"] for d in reversed(everything) if d["status"] == "completed"]
        assert [d["_id"] for d in indexed] == expected
        bad = await q(
            c,
            sandbox,
            "_system/frontend/paginatedTableDocuments",
            {"table": "tasks", "filters": "%%%", "paginationOpts": {"numItems": 5, "cursor": None}},
        )
        assert bad["isDone"] is True and bad["continueCursor"] == ""


async def test_editing_functions(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=30) as c:
        m = "/api/mutation"
        ok = await q(
            c,
            sandbox,
            "_system/frontend/addDocument",
            {"table": "notes", "documents": [{"a": 1}, {"a": 2}]},
            m,
        )
        assert ok == {"success": True}
        page = await q(
            c,
            sandbox,
            "_system/cli/tableData",
            {"table": "notes", "order": "asc", "paginationOpts": {"numItems": 10, "cursor": None}},
        )
        ids = [d["_id"] for d in page["page"]]
        assert decode_id(ids[0]).table_number > 10000
        mapping = await q(c, sandbox, "_system/frontend/getTableMapping", {})
        assert mapping[str(decode_id(ids[0]).table_number)] == "notes"
        from tui.sandbox.system_frontend import UNDEFINED_PLACEHOLDER

        await q(
            c,
            sandbox,
            "_system/frontend/patchDocumentsFields",
            {"table": "notes", "fields": {"b": "x", "a": UNDEFINED_PLACEHOLDER}, "ids": [ids[0]]},
            m,
        )
        doc = await q(c, sandbox, "_system/frontend/getById", {"id": ids[0]})
        assert doc["b"] == "x" and "a" not in doc
        await q(
            c,
            sandbox,
            "_system/frontend/replaceDocument",
            {"id": ids[1], "document": {"c": True}},
            m,
        )
        assert (await q(c, sandbox, "_system/frontend/getById", {"id": ids[1]}))["c"] is True
        await q(
            c,
            sandbox,
            "_system/frontend/deleteDocuments",
            {"toDelete": [{"id": ids[0], "tableName": "notes"}]},
            m,
        )
        assert await q(c, sandbox, "_system/frontend/getById", {"id": ids[0]}) is None
        cleared = await q(
            c, sandbox, "_system/frontend/clearTablePage", {"tableName": "notes", "cursor": None}, m
        )
        assert cleared["deleted"] == 1 and cleared["hasMore"] is False
        # Field-name rules: reserved top-level underscore, `$` prefixes.
        r = await c.post(
            m,
            headers={"Authorization": f"Convex {sandbox.admin_key}"},
            json={
                "path": "_system/frontend/addDocument",
                "args": {"table": "notes", "documents": [{"_x": 1}]},
            },
        )
        assert r.json()["status"] == "error" and "underscore" in r.json()["errorMessage"]
        # Schema validation on declared tables.
        r = await c.post(
            m,
            headers={"Authorization": f"Convex {sandbox.admin_key}"},
            json={
                "path": "_system/frontend/addDocument",
                "args": {"table": "tasks", "documents": [{"title": "x"}]},
            },
        )
        assert "does not match the schema" in r.json()["errorMessage"]


@given(st.integers(min_value=1, max_value=2**32 - 1), st.integers(min_value=1, max_value=5))
def test_fast_ids_match_reference_encoder(table: int, count: int) -> None:
    for text in fast_ids(table, count):
        parsed = decode_id(text)
        assert parsed.table_number == table
        assert encode_id(table, parsed.internal_id) == text
