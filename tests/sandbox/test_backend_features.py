"""The sandbox as a local backend for the example workspace, with the real CLI and clients:
file storage (upload by POST, download, ``_storage``, modes on disk), text search relevance,
indexed reads that do not scan, reactive pagination that keeps its page end, the features it
refuses with one clear line, and all of it surviving a restart. One push for the module."""

from __future__ import annotations

import base64
import hashlib
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sandbox.deploy_fixtures import SandboxProc, Workspace, require_node

pytestmark = [pytest.mark.peers, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    require_node()
    base = tmp_path_factory.mktemp("features")
    sandbox = SandboxProc(base / "data").start()
    try:
        workspace = Workspace(base / "app", sandbox, base / "home")
        workspace.ok("dev", "--once")
        yield workspace
    finally:
        sandbox.stop()


def call(ws: Workspace, kind: str, path: str, args: dict[str, Any]) -> Any:
    with ws.sandbox.http() as client:
        body = client.post(
            f"/api/{kind}", json={"path": path, "args": args, "format": "json"}
        ).json()
    assert body["status"] == "success", body
    return body["value"]


def fail(ws: Workspace, kind: str, path: str, args: dict[str, Any]) -> str:
    with ws.sandbox.http() as client:
        body = client.post(f"/api/{kind}", json={"path": path, "args": args}).json()
    assert body["status"] == "error", body
    return str(body["errorMessage"])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- file storage ------------------------------------------------------------------------------


def test_upload_by_post_download_and_the_storage_table(ws: Workspace) -> None:
    data = b"\x89PNG\r\n\x00 not really a png " * 10
    post_url = call(ws, "mutation", "files:generateUploadUrl", {})
    assert post_url.startswith(ws.sandbox.url + "/api/storage/upload?token=")
    up = httpx.post(post_url, content=data, headers={"Content-Type": "image/png"}, timeout=30)
    assert up.status_code == 200, up.text
    storage_id = up.json()["storageId"]
    call(ws, "mutation", "files:save", {"storageId": storage_id, "name": "picture"})
    url = call(ws, "query", "files:url", {"id": storage_id})
    got = httpx.get(url, timeout=30)
    assert got.status_code == 200 and got.content == data
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert got.headers["content-type"] == "image/png"
    assert got.headers["digest"] == f"sha-256={sha}"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    part = httpx.get(url, headers={"Range": "bytes=2-5"}, timeout=30)
    assert part.status_code == 206 and part.content == data[2:6]
    meta = call(ws, "query", "files:meta", {"id": storage_id})
    assert meta == {
        "_id": storage_id,
        "_creationTime": meta["_creationTime"],
        "sha256": sha,
        "size": len(data),
        "contentType": "image/png",
    }
    legacy = call(ws, "query", "files:legacyMeta", {"id": storage_id})
    assert legacy["sha256"] == hashlib.sha256(data).hexdigest() and url.endswith(
        legacy["storageId"]
    )
    # The CLI reads `_storage` like the Data pane does (`_system/cli/tableData`).
    listed = ws.ok("data", "_storage", "--format", "jsonArray").stdout
    assert storage_id in listed and "image/png" in listed
    # Bytes beside the database, private like it.
    files = ws.sandbox.data_dir / "files"
    blob = files / legacy["storageId"][:2] / legacy["storageId"]
    assert blob.read_bytes() == data
    assert (mode(files), mode(blob.parent), mode(blob)) == (0o700, 0o700, 0o600)
    # Deleting the file removes its bytes once the mutation commits; its URL is gone.
    assert call(ws, "mutation", "files:remove", {"id": storage_id}) == 1
    assert not blob.exists()
    assert httpx.get(url, timeout=30).status_code == 404
    assert call(ws, "query", "files:url", {"id": storage_id}) is None


def test_uploads_are_refused_without_a_valid_token_or_body_digest(ws: Workspace) -> None:
    post_url = call(ws, "mutation", "files:generateUploadUrl", {})
    base = post_url.split("?")[0]
    bad = httpx.post(base + "?token=AAAA" + post_url[-8:], content=b"x", timeout=30)
    assert bad.status_code == 401 and bad.json()["code"] == "StorageTokenInvalid"
    assert httpx.post(base, content=b"x", timeout=30).status_code == 400
    wrong = httpx.post(
        post_url, content=b"abc", headers={"Digest": "sha-256=" + "A" * 43 + "="}, timeout=30
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "Sha256Mismatch"
    odd = httpx.post(post_url, content=b"abc", headers={"Content-Type": "no slash"}, timeout=30)
    assert odd.status_code == 400 and odd.json()["code"] == "BadHeader"
    storage = ws.sandbox.url + "/api/storage/"
    assert httpx.get(storage + "not-a-uuid", timeout=30).json()["code"] == "InvalidStoragePath"
    assert httpx.get(storage + str(uuid.uuid4()), timeout=30).status_code == 404
    message = fail(ws, "query", "files:url", {"id": "kn7asgkzga0q7fw712h2x75xmq6akqr6"})
    assert "Storage ID cannot be an ID on any table other than '_storage'" in message or (
        "ArgumentValidationError" in message
    )


def test_the_js_client_upload_flow_and_action_storage(ws: Workspace) -> None:
    report = ws.node_script("storage_client.mjs")
    assert report["status"] == 200 and report["same"] is True
    assert (
        report["meta"]["size"] == 7 and report["meta"]["contentType"] == "application/octet-stream"
    )
    stored = call(ws, "action", "files:storeText", {"text": "kept text", "name": "note"})
    assert call(ws, "action", "files:readText", {"id": stored}) == "kept text"
    doc = call(
        ws, "action", "documents:fromFile", {"fileId": stored, "title": "note", "topic": "t"}
    )
    assert doc and call(ws, "query", "documents:search", {"text": "kept"}) == ["note"]


# --- text search ----------------------------------------------------------------------------


def test_text_search_is_ordered_by_relevance_then_newest(ws: Workspace) -> None:
    docs = [
        ("long", "a rabbit among many other words in a rather long piece of text here"),
        ("short", "rabbit rabbit"),
        ("other", "turtles all the way down"),
        ("old-tie", "rabbit hole"),
        ("new-tie", "rabbit hole"),
    ]
    for title, text in docs:
        call(ws, "mutation", "documents:add", {"title": title, "text": text, "topic": "rel"})
    hits = call(ws, "query", "documents:search", {"text": "rabbit", "topic": "rel"})
    # BM25: more occurrences in a shorter field first; equal scores newest first.
    assert hits == ["short", "new-tie", "old-tie", "long"]
    # The last term is a prefix; earlier ones must match whole words.
    assert call(ws, "query", "documents:search", {"text": "turt", "topic": "rel"}) == ["other"]
    assert call(ws, "query", "documents:search", {"text": "turt hole", "topic": "rel"}) == [
        "new-tie",
        "old-tie",
    ]
    # The index listings (Data pane `v`, get_indexes) show the search index like the backend.
    listed = call(
        ws, "query", "_system/frontend/indexes", {"tableName": "documents", "tableNamespace": None}
    )
    search_index = {"searchField": "text", "filterFields": ["topic"]}
    assert {i["name"]: i["fields"] for i in listed} == {
        "by_topic": ["topic"],
        "search_text": search_index,
    }
    with ws.sandbox.http() as client:
        every = client.get("/api/get_indexes").json()["indexes"]
    assert {"table": "documents", "name": "search_text", "fields": search_index} in [
        {k: i[k] for k in ("table", "name", "fields")} for i in every
    ]
    # Case and punctuation do not matter; the filter field narrows.
    assert call(ws, "query", "documents:search", {"text": "TURTLES!", "topic": "rel"}) == ["other"]
    assert call(ws, "query", "documents:search", {"text": "turtles", "topic": "nope"}) == []


# --- indexes -------------------------------------------------------------------------------------


def _reads(ws: Workspace, identifier: str, since: float) -> list[int]:
    with ws.sandbox.http() as client:
        entries = client.get("/api/stream_function_logs", params={"cursor": since}).json()[
            "entries"
        ]
    return [
        int(e["usageStats"]["databaseReadDocuments"])
        for e in entries
        if e.get("identifier") == identifier and e.get("kind") == "Completion"
    ]


def test_indexed_reads_read_what_they_return_and_scans_read_the_table(ws: Workspace) -> None:
    call(ws, "mutation", "items:fill", {"bucket": 7, "from": 0, "count": 1500})
    call(ws, "mutation", "items:fill", {"bucket": 8, "from": 0, "count": 5})
    since = time.time() * 1000
    assert call(ws, "query", "items:range", {"bucket": 8, "limit": 3}) == [
        "b8-r0",
        "b8-r1",
        "b8-r2",
    ]
    assert call(ws, "query", "items:first", {"bucket": 7, "order": "desc"}) == "b7-r1499"
    assert len(call(ws, "query", "items:scan", {"bucket": 8, "limit": 3})) == 3
    assert _reads(ws, "items:range", since) == [3]
    assert _reads(ws, "items:first", since) == [1]
    assert _reads(ws, "items:scan", since)[0] >= 1500  # a filter is a table scan
    # A page that ends on the bucket's last row is not done; the next, empty one is.
    first = call(
        ws, "query", "items:page", {"bucket": 8, "paginationOpts": {"numItems": 5, "cursor": None}}
    )
    assert len(first["page"]) == 5 and first["isDone"] is False
    opts = {"numItems": 5, "cursor": first["continueCursor"]}
    last = call(ws, "query", "items:page", {"bucket": 8, "paginationOpts": opts})
    assert last["page"] == [] and last["isDone"] is True


def test_a_subscribed_page_keeps_its_end_as_rows_arrive(ws: Workspace) -> None:
    report = ws.node_script("paginate.mjs")
    assert report["pages"][0] == {"ranks": [10, 20, 30], "isDone": False}
    assert report["pages"][-1] == {"ranks": [10, 15, 20, 30], "isDone": False}


# --- what the sandbox refuses -----------------------------------------------------------------------


def test_vector_search_fails_with_one_line_naming_it(ws: Workspace) -> None:
    res = ws.cli("run", "documents:similar", '{"vector": [1, 0, 0, 0]}')
    assert res.code != 0
    assert (
        "Vector search (ctx.vectorSearch) is not supported by the convex-tui sandbox" in res.output
    )
    assert "Traceback" not in res.output + ws.sandbox.log_tail()


def test_components_fail_at_push_time_naming_them(ws: Workspace, tmp_path: Path) -> None:
    # A second copy of the app, with a component, pushed to the same sandbox.
    other = Workspace(tmp_path / "app", ws.sandbox, tmp_path / "home")
    comp = other.root / "convex" / "counter"
    comp.mkdir()
    (comp / "convex.config.ts").write_text(
        'import { defineComponent } from "convex/server";\n'
        'export default defineComponent("counter");\n'
    )
    (other.root / "convex" / "convex.config.ts").write_text(
        'import { defineApp } from "convex/server";\n'
        'import counter from "./counter/convex.config";\n'
        "const app = defineApp();\napp.use(counter);\nexport default app;\n"
    )
    res = other.cli("dev", "--once")
    assert res.code != 0
    assert "Components (app.use(...) in convex/convex.config.ts) are not supported" in res.output
    assert "Traceback" not in res.output + ws.sandbox.log_tail()
    assert call(ws, "query", "items:first", {"bucket": 8, "order": "asc"}) == "b8-r0"  # still up


# --- durability ------------------------------------------------------------------------------------


def test_files_indexes_and_search_survive_a_restart(ws: Workspace) -> None:
    stored = call(ws, "action", "files:storeText", {"text": "durable words", "name": "durable"})
    ws.sandbox.stop()
    ws.sandbox.start()
    assert call(ws, "action", "files:readText", {"id": stored}) == "durable words"
    url = call(ws, "query", "files:url", {"id": stored})
    assert httpx.get(url, timeout=30).text == "durable words"
    assert call(ws, "query", "items:range", {"bucket": 7, "min": 10, "max": 13, "limit": 5}) == [
        "b7-r10",
        "b7-r11",
        "b7-r12",
    ]
    assert "short" in call(ws, "query", "documents:search", {"text": "rabbit"})
