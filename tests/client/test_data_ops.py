"""Data, function-list and log-stream operations against a scripted server."""

from __future__ import annotations

import base64
import json

from aiohttp import web

from tests.client.scripted import Scripted
from tui.config.secret import Secret
from tui.convex.client import UNSET, ConvexClient
from tui.convex.ids import encode_id
from tui.convex.models import ClearProgress, Filter, group_by_module
from tui.convex.wire import UNDEFINED_PLACEHOLDER

KEY = Secret("convex-self-hosted|01" + "cd" * 40)
DOC_ID = encode_id(10001, bytes(range(16)))


async def test_tables_pages_and_documents(scripted: Scripted) -> None:
    scripted.udf(
        "_system/frontend/getTableMapping",
        {"10001": "messages", "10002": "users", "7": "_scheduled_jobs"},
    )
    scripted.udf(
        "_system/frontend/tableSize", lambda b: 3 if b["args"][0]["tableName"] == "messages" else 0
    )
    scripted.udf(
        "_system/frontend/paginatedTableDocuments",
        {
            "page": [
                {"_id": DOC_ID, "_creationTime": 1.5, "body": "hi"},
                {"error": "bad", "filter": 0},
            ],
            "isDone": False,
            "continueCursor": "c1",
        },
    )
    scripted.udf("_system/frontend/getById", {"_id": DOC_ID, "body": "hi"})
    async with ConvexClient(scripted.url, KEY) as client:
        tables = await client.list_tables()
        assert [(t.name, t.count, t.table_number) for t in tables] == [
            ("messages", 3, 10001),
            ("users", 0, 10002),
        ]
        page = await client.page_documents(
            "messages", "c0", order="asc", filters=[Filter("n", "gte", 2)], page_size=10
        )
        assert page.cursor == "c1" and not page.is_done
        assert [d["body"] for d in page.docs] == ["hi"] and page.errors == ("bad",)
        args = scripted.seen[-1].body["args"][0]
        assert args["paginationOpts"] == {"numItems": 10, "cursor": "c0"}
        assert json.loads(base64.b64decode(args["filters"])) == {
            "clauses": [{"op": "gte", "field": "n", "value": 2, "enabled": True, "id": "0"}],
            "order": "asc",
        }
        await client.page_documents("messages")
        assert scripted.seen[-1].body["args"][0]["filters"] is None  # the default: desc, unfiltered
        assert await client.table_for_id(DOC_ID) == "messages"
        assert (await client.get_document(DOC_ID)) == {"_id": DOC_ID, "body": "hi"}
        assert await client.get_document("not-an-id") is None
        assert await client.get_document(encode_id(555, bytes(16))) is None


async def test_writes_and_clear_with_progress(scripted: Scripted) -> None:
    scripted.udf("_system/frontend/getTableMapping", {"10001": "messages"})
    ok = {"success": True}
    for name in ("addDocument", "patchDocumentsFields", "replaceDocument", "deleteDocuments"):
        scripted.udf(f"_system/frontend/{name}", ok, endpoint="/api/mutation")
    pages = iter(
        [
            {"deleted": 4000, "hasMore": True, "continueCursor": "k"},
            {"deleted": 12, "hasMore": False, "continueCursor": "end"},
        ]
    )
    scripted.udf("_system/frontend/clearTablePage", lambda b: next(pages), endpoint="/api/mutation")
    progress: list[ClearProgress] = []
    async with ConvexClient(scripted.url, KEY) as client:
        await client.add_documents("messages", [{"body": "a"}])
        await client.patch_fields("messages", [DOC_ID], {"body": "b", "gone": UNSET})
        patch = scripted.seen[-1].body["args"][0]
        assert patch == {
            "table": "messages",
            "ids": [DOC_ID],
            "fields": {"body": "b", "gone": UNDEFINED_PLACEHOLDER},
        }
        await client.replace_document(DOC_ID, {"_id": DOC_ID, "_creationTime": 1.0, "body": "c"})
        assert scripted.seen[-1].body["args"][0] == {"id": DOC_ID, "document": {"body": "c"}}
        await client.delete_documents([DOC_ID])
        assert scripted.seen[-1].body["args"][0] == {
            "toDelete": [{"id": DOC_ID, "tableName": "messages"}]
        }
        assert await client.clear_table("messages", progress.append) == 4012
    assert progress == [
        ClearProgress("messages", 4000, True),
        ClearProgress("messages", 4012, False),
    ]
    assert scripted.seen[-1].body["args"][0] == {"tableName": "messages", "cursor": "k"}


async def test_function_list(scripted: Scripted) -> None:
    scripted.udf(
        "_system/cli/modules:apiSpec",
        [
            {
                "identifier": "messages.js:list",
                "functionType": "Query",
                "visibility": {"kind": "public"},
                "args": json.dumps({"type": "object", "value": {}}),
                "returns": {"type": "any"},
            },
            {
                "identifier": "messages.js:send",
                "functionType": "Mutation",
                "visibility": {"kind": "internal"},
            },
            {
                "identifier": "dir/util.js:default",
                "functionType": "Action",
                "visibility": {"kind": "public"},
            },
            {"functionType": "HttpAction", "method": "GET", "path": "/hello"},
        ],
    )
    async with ConvexClient(scripted.url, KEY) as client:
        specs = await client.list_functions()
    by_path = {s.path: s for s in specs}
    assert set(by_path) == {"messages:list", "messages:send", "dir/util:default", "GET /hello"}
    assert by_path["messages:list"].args == {"type": "object", "value": {}}
    assert by_path["messages:send"].visibility == "internal"
    assert by_path["messages:send"].args == {"type": "any"}
    groups = group_by_module(specs)
    assert list(groups) == ["dir/util", "messages", "http"]
    assert [s.name for s in groups["messages"]] == ["list", "send"]


async def test_indexes_and_schema_and_shapes(scripted: Scripted) -> None:
    scripted.udf(
        "_system/frontend/indexes",
        [
            {
                "name": "by_author",
                "fields": ["author"],
                "backfill": {"state": "done"},
                "staged": False,
            },
            {
                "name": "search_body",
                "fields": {"searchField": "body", "filterFields": []},
                "backfill": {"state": "backfilling"},
            },
        ],
    )
    scripted.udf(
        "_system/frontend/getSchemas",
        {"active": json.dumps({"tables": [], "schemaValidation": True})},
    )

    async def shapes(_: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"messages": {"type": "Never"}, "_scheduled_jobs": {"type": "Never"}}
        )

    scripted.on("GET", "/api/shapes2", shapes)
    async with ConvexClient(scripted.url, KEY) as client:
        idx = await client.indexes("messages")
        assert [(i.name, i.kind, i.backfill_state) for i in idx] == [
            ("by_author", "database", "done"),
            ("search_body", "search", "backfilling"),
        ]
        assert await client.schema() == {"tables": [], "schemaValidation": True}
        assert await client.shapes() == {"messages": {"type": "Never"}}
