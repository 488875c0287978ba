"""convex/tasks.ts and convex/messages.ts of the demo app, in Python."""

from __future__ import annotations

from typing import Any

from tui.convex.ids import InvalidId, decode_id
from tui.convex.validators import v
from tui.sandbox.context import ConvexError, MutationCtx, QueryCtx, UserError
from tui.sandbox.registry import Registry

o = v.optional
LIST_LIMIT = 100
TASK = v.object(
    _id=v.id("tasks"),
    _creationTime=v.number(),
    title=v.string(),
    description=o(v.string()),
    status=v.string(),
    priority=o(v.number()),
    userId=o(v.id("users")),
)


def _auth_user_id(ctx: QueryCtx) -> str | None:
    """Like `getAuthUserId`: the users id before the `|` of the identity's subject."""
    if not ctx.auth:
        return None
    subject = str(ctx.auth.get("subject") or ctx.auth.get("tokenIdentifier") or "")
    return subject.split("|", 1)[0] or None


def register(reg: Registry) -> None:  # noqa: C901 - one nested def per function
    @reg.query("tasks:list", args=v.object(status=o(v.string())), returns=v.array(TASK), lineno=12)
    def list_tasks(ctx: QueryCtx, args: dict[str, Any]) -> list[dict[str, Any]]:
        status = args.get("status")
        eq = [("status", status)] if status is not None else []
        tasks = ctx.db.query("tasks", eq=eq, order="desc", limit=LIST_LIMIT)
        ctx.console.log(f"Listing tasks (status={status or 'any'})")
        ctx.console.debug("returned", len(tasks), "tasks")
        return tasks

    @reg.query("tasks:get", args=v.object(id=v.id("tasks")), lineno=24)
    def get_task(ctx: QueryCtx, args: dict[str, Any]) -> dict[str, Any] | None:
        return ctx.db.get(args["id"])

    @reg.mutation(
        "tasks:create",
        args=v.object(
            title=v.string(),
            description=o(v.string()),
            priority=o(v.number()),
        ),
        returns=v.id("tasks"),
        lineno=31,
    )
    def create(ctx: MutationCtx, args: dict[str, Any]) -> str:
        title = args["title"].strip()
        if not title:
            ctx.console.warn("Rejected a task with an empty title")
            raise ConvexError({"code": "EMPTY_TITLE", "message": "Task title must not be empty"})
        doc: dict[str, Any] = {"title": title, "status": "pending"}
        for key in ("description", "priority"):
            if key in args:
                doc[key] = args[key]
        user_id = _auth_user_id(ctx)
        if user_id and _is_users_id(ctx, user_id):
            doc["userId"] = user_id
        task_id = ctx.db.insert("tasks", doc)
        ctx.console.info("Created task", task_id)
        ctx.schedule(0, "tasks:processTask", {"taskId": task_id})
        return task_id

    @reg.mutation(
        "tasks:update",
        args=v.object(
            id=v.id("tasks"),
            title=o(v.string()),
            description=o(v.string()),
            status=o(v.string()),
            priority=o(v.number()),
        ),
        returns=v.null(),
        lineno=52,
    )
    def update(ctx: MutationCtx, args: dict[str, Any]) -> None:
        task_id = args["id"]
        if ctx.db.get(task_id) is None:
            raise UserError(f"Task {task_id} not found")
        ctx.db.patch(task_id, {k: val for k, val in args.items() if k != "id"})
        ctx.console.log("Updated task", task_id)

    @reg.mutation("tasks:remove", args=v.object(id=v.id("tasks")), returns=v.null(), lineno=64)
    def remove(ctx: MutationCtx, args: dict[str, Any]) -> None:
        if ctx.db.get(args["id"]) is None:
            raise UserError(f"Task {args['id']} not found")
        ctx.db.delete(args["id"])
        ctx.console.warn("Deleted task", args["id"])

    @reg.query("tasks:getUserTasks", args=v.object(), returns=v.array(TASK), lineno=73)
    def get_user_tasks(ctx: QueryCtx, args: dict[str, Any]) -> list[dict[str, Any]]:
        user_id = _auth_user_id(ctx)
        if user_id is None:
            ctx.console.log("No identity: returning no tasks")
            return []
        return ctx.db.query("tasks", eq=[("userId", user_id)], order="desc", limit=LIST_LIMIT)

    @reg.mutation(
        "tasks:processTask",
        args=v.object(taskId=v.id("tasks")),
        returns=v.null(),
        internal=True,
        lineno=84,
    )
    def process_task(ctx: MutationCtx, args: dict[str, Any]) -> None:
        task = ctx.db.get(args["taskId"])
        if task is None:
            ctx.console.warn("Task vanished before processing:", args["taskId"])
            return
        ctx.console.info("Processing task", args["taskId"], {"title": task["title"]})

    @reg.query("messages:list", args=v.object(), lineno=5)
    def list_messages(ctx: QueryCtx, args: dict[str, Any]) -> list[dict[str, Any]]:
        newest = ctx.db.query("messages", order="desc", limit=LIST_LIMIT)
        return list(reversed(newest))

    @reg.mutation(
        "messages:send",
        args=v.object(body=v.string(), author=v.string()),
        returns=v.id("messages"),
        lineno=13,
    )
    def send(ctx: MutationCtx, args: dict[str, Any]) -> str:
        message_id = ctx.db.insert("messages", {"body": args["body"], "author": args["author"]})
        ctx.console.log("Message from", args["author"])
        return message_id


def _is_users_id(ctx: QueryCtx, text: str) -> bool:
    try:
        decode_id(text)
    except InvalidId:
        return False
    return ctx.db.table_of(text) == "users"
