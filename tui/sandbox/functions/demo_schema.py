"""The demo app's schema: `@convex-dev/auth` tables plus tasks, messages and documents."""

from __future__ import annotations

from tui.convex.validators import v
from tui.sandbox.registry import Registry
from tui.sandbox.registry import schema_json as schema_json  # its old home

o = v.optional


def register(reg: Registry) -> None:
    reg.table(
        "users",
        v.object(
            name=o(v.string()),
            image=o(v.string()),
            email=o(v.string()),
            emailVerificationTime=o(v.number()),
            phone=o(v.string()),
            phoneVerificationTime=o(v.number()),
            isAnonymous=o(v.boolean()),
        ),
        ("email", ("email",)),
        ("phone", ("phone",)),
    )
    reg.table(
        "authSessions",
        v.object(
            userId=v.id("users"),
            expirationTime=v.number(),
        ),
        ("userId", ("userId",)),
    )
    reg.table(
        "authAccounts",
        v.object(
            userId=v.id("users"),
            provider=v.string(),
            providerAccountId=v.string(),
            secret=o(v.string()),
            emailVerified=o(v.string()),
            phoneVerified=o(v.string()),
        ),
        ("userIdAndProvider", ("userId", "provider")),
        ("providerAndAccountId", ("provider", "providerAccountId")),
    )
    reg.table(
        "authRefreshTokens",
        v.object(
            sessionId=v.id("authSessions"),
            expirationTime=v.number(),
            firstUsedTime=o(v.number()),
            parentRefreshTokenId=o(v.id("authRefreshTokens")),
        ),
        ("sessionId", ("sessionId",)),
        ("sessionIdAndParentRefreshTokenId", ("sessionId", "parentRefreshTokenId")),
    )
    reg.table(
        "authVerificationCodes",
        v.object(
            accountId=v.id("authAccounts"),
            provider=v.string(),
            code=v.string(),
            expirationTime=v.number(),
            verifier=o(v.string()),
            emailVerified=o(v.string()),
            phoneVerified=o(v.string()),
        ),
        ("accountId", ("accountId",)),
        ("code", ("code",)),
    )
    reg.table(
        "authVerifiers",
        v.object(
            sessionId=o(v.id("authSessions")),
            signature=o(v.string()),
        ),
        ("signature", ("signature",)),
    )
    reg.table(
        "authRateLimits",
        v.object(
            identifier=v.string(),
            lastAttemptTime=v.number(),
            attemptsLeft=v.number(),
        ),
        ("identifier", ("identifier",)),
    )
    reg.table(
        "tasks",
        v.object(
            title=v.string(),
            description=o(v.string()),
            status=v.string(),
            priority=o(v.number()),
            userId=o(v.id("users")),
        ),
        ("by_status", ("status",)),
        ("by_priority", ("priority",)),
        ("by_user", ("userId",)),
    )
    reg.table("messages", v.object(body=v.string(), author=v.string()))
    reg.table(
        "documents",
        v.object(
            title=v.string(),
            content=v.string(),
            embedding=o(v.array(v.number())),
        ),
    )
