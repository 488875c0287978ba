"""The answers to pushed code's syscalls inside a query or mutation (reference §14.3), from the
caller's transaction: reads from its snapshot, writes into the writer's open transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tui.convex import values
from tui.convex.ids import InvalidId, decode_id
from tui.sandbox import files as file_store
from tui.sandbox import scheduler
from tui.sandbox.context import ConvexError, MutationCtx, QueryCtx, SystemError_, UserError
from tui.sandbox.db import UNSET, Writer
from tui.sandbox.files import FileStore
from tui.sandbox.node_host import SyscallFailed
from tui.sandbox.query_eval import Plan
from tui.sandbox.query_stream import Stream, page
from tui.sandbox.registry import FunctionDef

Lookup = Callable[[str], FunctionDef | None]

UNSUPPORTED = {
    "1.0/actions/vectorSearch": "Vector search (ctx.vectorSearch)",
    "1.0/createServiceToken": "Service tokens",
    "1.0/signJwt": "ctx.auth.signJwt",
    "1.0/getDeploymentJwks": "ctx.auth.signJwt",
    "1.0/componentArgument": "Components",
}
WRITES = ("1.0/insert", "1.0/shallowMerge", "1.0/replace", "1.0/remove", "1.0/schedule")
STORAGE_WRITES = ("1.0/storageGenerateUploadUrl", "1.0/storageDelete", "1.0/storageStore")


def unsupported(op: str) -> SyscallFailed | None:
    for prefix, feature in UNSUPPORTED.items():
        if op.startswith(prefix):
            return SyscallFailed(f"{feature} is not supported by the convex-tui sandbox ({op})")
    return None


def id_arg(raw: Any) -> str:
    if not isinstance(raw, str):
        raise SyscallFailed(f"Invalid id {raw!r}")
    return raw


def address(args: dict[str, Any]) -> str:
    name = args.get("name") or args.get("reference")
    if not isinstance(name, str):
        raise SyscallFailed("Function handles are not supported by the convex-tui sandbox")
    return name


class Calls:
    """Answers one execution's syscalls."""

    def __init__(
        self,
        identifier: str,
        user: dict[str, Any] | None,
        lookup: Lookup,
        files: FileStore | None = None,
        origin: Callable[[], str] = lambda: "",
    ) -> None:
        self.identifier = identifier
        self.user = user
        self.lookup = lookup
        self.files = files
        self.origin = origin
        self.streams: dict[int, Stream] = {}
        self.paginated = False

    def common(self, op: str, args: dict[str, Any]) -> Any:
        if op == "1.0/getUserIdentity":
            return self.user
        if op == "1.0/getFunctionMetadata":
            return {"name": self.identifier, "componentPath": None}
        if op == "1.0/getRequestMetadata":
            return {"requestId": "", "ip": None, "userAgent": None}
        failure = unsupported(op)
        raise failure or SyscallFailed(f"Unknown operation {op} (not supported by the sandbox)")

    def db(self, ctx: QueryCtx | MutationCtx, op: str, args: dict[str, Any]) -> Any:  # noqa: C901
        reader = ctx.db
        if op == "1.0/get":
            doc_id = id_arg(args.get("id"))
            table = reader.table_of(doc_id)
            if table is None or table.startswith("_") != bool(args.get("isSystem")):
                return None
            if args.get("table") and args["table"] != table:
                return None
            doc = reader.get(doc_id)
            return None if doc is None else values.encode(doc)
        if op == "1.0/queryStream":
            stream_id = len(self.streams) + 1
            self.streams[stream_id] = Stream(Plan(args["query"], reader.storage.catalog), reader)
            return {"queryId": stream_id}
        if op in ("sandbox/queryStreamBatch", "1.0/queryStreamNext"):
            stream = self.streams.get(int(args["queryId"]))
            if stream is None:
                raise SyscallFailed("Bad queryId")
            if op == "1.0/queryStreamNext":
                batch, done = stream.batch(1)
                return (
                    {"value": batch[0], "done": False} if batch else {"value": None, "done": True}
                )
            batch, done = stream.batch(max(1, int(args.get("count", 1))))
            return {"values": batch, "done": done}
        if op == "1.0/queryCleanup":
            return self.streams.pop(int(args["queryId"]), None) is not None
        if op == "1.0/queryPage":
            return self.query_page(reader.tracker, ctx, args)
        if op == "1.0/count":
            return reader.count(str(args["table"]))
        if op == "1.0/db/normalizeId":
            text, table = str(args.get("idString")), str(args.get("table"))
            try:
                decode_id(text)
            except InvalidId:
                return {"id": None}
            return {"id": text if reader.table_of(text) == table else None}
        if op == "1.0/runUdf":
            return self.nested(ctx, args)
        if op.startswith("1.0/storage"):
            return self.storage(ctx, op, args)
        if isinstance(reader, Writer) and isinstance(ctx, MutationCtx):
            return self.write(ctx, reader, op, args)
        if op in WRITES:
            raise SyscallFailed(f"{op.split('/')[-1]} is not allowed in a query")
        return self.common(op, args)

    def query_page(self, tracker: Any, ctx: QueryCtx, args: dict[str, Any]) -> Any:
        if self.paginated:
            raise SyscallFailed(
                "This query or mutation function ran multiple paginated queries. Convex only "
                "supports a single paginated query in each function."
            )
        self.paginated = True
        end = args.get("endCursor")
        if end is None and tracker.journal_in:
            try:  # a re-run of a subscribed page keeps the end its first run reached
                end = json.loads(tracker.journal_in).get("endCursor")
            except (ValueError, AttributeError):
                end = None
        plan = Plan(args["query"], ctx.db.storage.catalog)
        rows = args.get("maximumRowsRead")
        result = page(
            plan, ctx.db, args.get("cursor"), end, int(args["pageSize"]),
            int(rows) if rows is not None else None,
        )  # fmt: skip
        tracker.journal_out = json.dumps({"endCursor": result["continueCursor"]})
        return result

    def storage(self, ctx: QueryCtx | MutationCtx, op: str, args: dict[str, Any]) -> Any:
        files = self.files
        if files is None:
            raise SyscallFailed("File storage is not available in this sandbox")
        sid = args.get("storageId")
        if op == "1.0/storageGetUrl":
            return files.get_url(ctx.db, sid, self.origin())
        if op == "1.0/storageGetMetadata":
            return files.metadata(ctx.db, sid)
        if op == "1.0/storageGet":
            return files.read(ctx.db, sid)
        writer = ctx.db if isinstance(ctx, MutationCtx) else None
        if op in STORAGE_WRITES and not isinstance(writer, Writer):
            raise SyscallFailed(f"{op.removeprefix('1.0/')} is not allowed in a query")
        assert isinstance(writer, Writer)
        if op == "1.0/storageGenerateUploadUrl":
            return files.upload_url(self.origin())
        if op == "1.0/storageDelete":
            files.delete(writer, sid)
            return None
        if op == "1.0/storageStore":
            data, content_type, sha = file_store.decode_blob(args)
            staged = files.stage(data, content_type)
            try:
                file_store.check_sha(staged, sha)
            except SystemError_:
                files.discard([staged.path])
                raise
            return files.record(writer, staged)
        raise SyscallFailed(f"Unknown operation {op} (not supported by the sandbox)")

    def write(self, ctx: MutationCtx, w: Writer, op: str, args: dict[str, Any]) -> Any:
        if op == "1.0/insert":
            return {"_id": w.insert(str(args["table"]), values.decode(args["value"]))}
        if op in ("1.0/shallowMerge", "1.0/replace", "1.0/remove"):
            doc_id = id_arg(args.get("id"))
            if args.get("table") and w.table_of(doc_id) != args["table"]:
                raise SyscallFailed(f"Document with id '{doc_id}' is not in table {args['table']}")
            if op == "1.0/remove":
                w.delete(doc_id)
            elif op == "1.0/replace":
                w.replace(doc_id, values.decode(args["value"]))
            else:
                raw = args.get("value") or {}
                fields = {
                    k: UNSET if v == {"$undefined": None} else values.decode(v)
                    for k, v in raw.items()
                }
                w.patch(doc_id, fields)
            return None
        if op == "1.0/schedule":
            path = address(args)
            delay = float(args["ts"]) * 1000 - time.time() * 1000
            return ctx.schedule(max(0.0, delay), path, values.decode(args.get("args") or {}))
        if op == "1.0/cancel_job":
            scheduler.transition(w, id_arg(args.get("id")), scheduler.ACTIVE, {"kind": "canceled"})
            return None
        return self.common(op, args)

    def nested(self, ctx: QueryCtx | MutationCtx, args: dict[str, Any]) -> Any:
        """``ctx.runQuery``/``ctx.runMutation`` inside a query or mutation: same transaction."""
        target = self.lookup(address(args))
        kind = "query" if args.get("udfType") in ("query", "snapshotQuery") else "mutation"
        if target is None or target.kind != kind:
            raise SyscallFailed(f"Could not find {kind} {address(args)}")
        if kind == "mutation" and not isinstance(ctx, MutationCtx):
            raise SyscallFailed("ctx.runMutation is not allowed in a query")
        call_args = values.decode(args.get("args") or {})
        try:
            return values.encode(target.handler(ctx, call_args))
        except (UserError, SystemError_) as exc:
            raise SyscallFailed(str(exc)) from exc
        except ConvexError as exc:
            raise SyscallFailed(exc.message, values.encode(exc.data)) from exc
