"""convex/rag.ts, convex/debug.ts and convex/http.ts of the demo app, plus the demo seed."""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from typing import Any

from tui.convex.validators import v
from tui.sandbox.context import ActionCtx, Console, HttpRequest, HttpResult, QueryCtx, UserError
from tui.sandbox.db import Writer
from tui.sandbox.registry import Registry

EMBEDDING_DIMS = 8
CHECKED_ENV = ("OPENAI_API_KEY", "JWT_PRIVATE_KEY", "JWKS", "SITE_URL", "CONVEX_SITE_URL")


def embed(text: str) -> list[float]:
    """A deterministic unit vector standing in for a real embedding model."""
    digest = hashlib.sha256(text.lower().encode()).digest()
    raw = [(b - 127.5) / 127.5 for b in digest[:EMBEDDING_DIMS]]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 6) for x in raw]


def register(reg: Registry) -> None:
    @reg.action(
        "rag:generateQueryEmbedding",
        args=v.object(query=v.string()),
        returns=v.array(v.number()),
        internal=True,
        lineno=8,
    )
    async def generate_query_embedding(ctx: ActionCtx, args: dict[str, Any]) -> list[float]:
        ctx.console.log("Generating embedding for query:", args["query"])
        vector = embed(args["query"])
        ctx.console.info(f"Embedding ready ({len(vector)} dimensions)")
        return vector

    @reg.query(
        "rag:searchDocuments",
        args=v.object(
            queryEmbedding=v.array(v.number()),
            threshold=v.optional(v.number()),
            maxResults=v.optional(v.number()),
        ),
        internal=True,
        lineno=24,
    )
    def search_documents(ctx: QueryCtx, args: dict[str, Any]) -> list[dict[str, Any]]:
        query = args["queryEmbedding"]
        threshold = args.get("threshold", 0.0)
        limit = int(args.get("maxResults", 3))
        scored = []
        for doc in ctx.db.query("documents"):
            emb = doc.get("embedding")
            if not emb or len(emb) != len(query):
                continue
            score = sum(a * b for a, b in zip(emb, query, strict=True))
            if score >= threshold:
                scored.append((score, doc))
        scored.sort(key=lambda pair: -pair[0])
        ctx.console.log(f"Found {len(scored)} documents above threshold {threshold}")
        return [
            {"_id": d["_id"], "title": d["title"], "content": d["content"], "score": s}
            for s, d in scored[:limit]
        ]

    @reg.action("rag:searchWithRAG", args=v.object(query=v.string()), lineno=48)
    async def search_with_rag(ctx: ActionCtx, args: dict[str, Any]) -> Any:
        embedding = await ctx.run_action("rag:generateQueryEmbedding", {"query": args["query"]})
        return await ctx.run_query(
            "rag:searchDocuments",
            {
                "queryEmbedding": embedding,
                "threshold": -1.0,
                "maxResults": 3.0,
            },
        )

    @reg.query("debug:checkEnv", args=v.object(), lineno=6)
    def check_env(ctx: QueryCtx, args: dict[str, Any]) -> dict[str, Any]:
        names = sorted(ctx.env_all())
        for name in names:
            ctx.env(name)
        checked = {name: ctx.env(name) is not None for name in CHECKED_ENV}
        ctx.console.log("Environment variables set:", len(names))
        return {"set": names, "checked": checked}

    @reg.query("debug:fail", args=v.object(), lineno=18)
    def fail(ctx: QueryCtx, args: dict[str, Any]) -> None:
        ctx.console.error("About to throw on purpose")
        raise UserError("Something went wrong (debug:fail throws on purpose)")

    @reg.query("debug:echo", args=v.object(value=v.any()), returns=v.any(), lineno=25)
    def echo(ctx: QueryCtx, args: dict[str, Any]) -> Any:
        ctx.console.log("echo", args["value"])
        return args["value"]

    @reg.http("GET", "/health")
    async def health(console: Console, request: HttpRequest, deployment: Any) -> HttpResult:
        console.log("health check")
        body = {"status": "ok", "deployment": deployment.instance_name, "time": time.time()}
        return HttpResult(200, {"content-type": "application/json"}, json.dumps(body).encode())


_FIRST = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances"]
_LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen"]
_VERBS = ["Write", "Review", "Fix", "Deploy", "Document", "Refactor", "Test", "Plan"]
_THINGS = [
    "login flow",
    "billing page",
    "search index",
    "onboarding email",
    "API docs",
    "dark mode",
    "CSV export",
    "rate limiter",
    "audit log",
    "webhooks",
]
STATUSES = ("pending", "in_progress", "completed")
_DOCS = [
    ("Getting started", "Convex is a reactive database with TypeScript functions."),
    ("Self-hosting", "Run the backend and dashboard with docker compose."),
    ("Indexes", "Indexes make queries fast: define them in the schema."),
    ("Scheduling", "Mutations can schedule functions to run later."),
    ("Auth", "Convex Auth stores users, sessions and accounts in your database."),
    ("Environment variables", "Set deployment env vars with npx convex env set."),
]


def seed_demo(db: Writer, rng: random.Random | None = None) -> None:
    """Plausible demo data; runs inside one writer transaction."""
    rng = rng or random.Random(3210)
    users = []
    for i in range(6):
        name = f"{_FIRST[i]} {_LAST[i]}"
        users.append(
            db.insert(
                "users",
                {
                    "name": name,
                    "email": f"{_FIRST[i].lower()}@example.com",
                    "emailVerificationTime": 1.7e12 + i * 86400000.0,
                },
            )
        )
    for i in range(40):
        doc: dict[str, Any] = {
            "title": f"{rng.choice(_VERBS)} {rng.choice(_THINGS)}",
            "status": rng.choice(STATUSES),
            "priority": float(rng.randint(1, 5)),
            "userId": users[i % len(users)],
        }
        if i % 3:
            doc["description"] = f"Ticket #{100 + i}: follow up with {_FIRST[i % 8]}."
        db.insert("tasks", doc)
    for i in range(20):
        db.insert(
            "messages",
            {
                "body": f"{rng.choice(['Shipped', 'Looking at', 'Blocked on'])} the "
                f"{rng.choice(_THINGS)}",
                "author": _FIRST[i % 6],
            },
        )
    for title, content in _DOCS:
        db.insert("documents", {"title": title, "content": content, "embedding": embed(content)})


def bulk_docs(table: str, count: int, seed: int = 1) -> list[dict[str, object]]:
    """Generated plain-JSON documents for ``--bulk``; tasks match the schema."""
    rng = random.Random(seed)
    if table == "tasks":
        return [
            {
                "title": f"{_VERBS[i % 8]} {_THINGS[i % 10]} #{i}",
                "status": STATUSES[i % 3],
                "priority": rng.randint(1, 5),
            }
            for i in range(count)
        ]
    return [{"n": i, "label": f"{table}-{i}"} for i in range(count)]
