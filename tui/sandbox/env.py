"""Deployment environment variables (reference §8): validation and storage."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from tui.convex.ids import new_id
from tui.sandbox.storage import Clock, Storage

ENV_TABLE_NUMBER = 6  # a system table: numbers below 10001 never clash with user tables
MAX_NAME = 256
MAX_VALUE = 8 * 1024
MAX_VARS = 512
MAX_TOTAL = 512 * 1024
_NAME_RE = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")


class EnvError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Every deployment provides these to its functions; `npx convex env set` of either is refused.
BUILT_IN = ("CONVEX_CLOUD_URL", "CONVEX_SITE_URL")


def validate_changes(raw: Any) -> list[tuple[str, str | None]]:
    """Parse ``{"changes": [{name, value}]}``; raises :class:`EnvError` with the backend's codes."""
    if not isinstance(raw, dict) or not isinstance(raw.get("changes"), list):
        raise EnvError(
            "BadJsonBody", "Failed to deserialize the JSON body: missing field `changes`"
        )
    changes: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for item in raw["changes"]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise EnvError(
                "BadJsonBody", "Failed to deserialize the JSON body: missing field `name`"
            )
        name, value = item["name"], item.get("value")
        if value is not None and not isinstance(value, str):
            raise EnvError("BadJsonBody", "Failed to deserialize the JSON body: invalid `value`")
        if len(name.encode()) > MAX_NAME:
            raise EnvError(
                "EnvironmentVariableNameTooLong",
                f"The environment variable name {name} is too long. Environment variable names "
                f"must be less than {MAX_NAME}.",
            )
        if not _NAME_RE.match(name):
            raise EnvError(
                "EnvironmentVariableNameInvalid",
                f"The environment variable name {name} is invalid. Environment variable names "
                "must begin with a letter and may only include characters a-z, A-Z, 0-9, and "
                "underscores.",
            )
        if value is not None and len(value.encode()) > MAX_VALUE:
            # Convex's message, its missing parenthesis included.
            raise EnvError(
                "EnvironmentVariableValueTooLarge",
                f"The environment variable value is {len(value.encode())} bytes, which is too "
                f"large. (max size: {MAX_VALUE}",
            )
        if name in BUILT_IN:
            raise EnvError(
                "EnvVarNameForbidden",
                f'Environment variable with name "{name}" is built-in and cannot be overridden',
            )
        if name in seen:
            raise EnvError(
                "EnvVarNameNotUnique", f"Environment variable {name} appears more than once"
            )
        seen.add(name)
        changes.append((name, value))
    return changes


def load(conn: sqlite3.Connection) -> dict[str, str]:
    return {name: value for name, value in conn.execute("SELECT name, value FROM env")}


def apply(
    conn: sqlite3.Connection, changes: list[tuple[str, str | None]], clock: Clock
) -> tuple[int, dict[str, str]]:
    """One transaction for all changes; returns ``(commit ts, the new env)``."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name, value in changes:
            if value is None:
                conn.execute("DELETE FROM env WHERE name=?", (name,))
                continue
            updated = conn.execute("UPDATE env SET value=? WHERE name=?", (value, name))
            if updated.rowcount == 0:
                conn.execute(
                    "INSERT INTO env(name, value, id, ctime) VALUES(?,?,?,?)",
                    (name, value, new_id(ENV_TABLE_NUMBER), clock.tick() / 1e6),
                )
        env = load(conn)
        if len(env) > MAX_VARS:
            raise EnvError(
                "EnvVarLimitMet", f"The environment variable limit ({MAX_VARS}) has been met."
            )
        if sum(len(k) + len(v) for k, v in env.items()) > MAX_TOTAL:
            raise EnvError(
                "EnvVarTotalSizeLimitMet",
                f"The total size of environment variables exceeds the limit ({MAX_TOTAL} bytes).",
            )
        ts = clock.tick()
        Storage.write_ts(conn, ts)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return ts, env


def docs(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """``_environment_variables`` documents sorted by name."""
    rows = conn.execute("SELECT id, ctime, name, value FROM env ORDER BY name")
    return [{"_id": i, "_creationTime": c, "name": n, "value": v} for i, c, n, v in rows]
