"""What a sandbox function sees: errors it may throw, console logging, the ctx objects."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.convex import values
from tui.sandbox.errors import ConvexError as ConvexError
from tui.sandbox.errors import SystemError_ as SystemError_
from tui.sandbox.errors import UserError as UserError

if TYPE_CHECKING:
    from tui.sandbox.db import Reader, Writer

LEVELS = ("LOG", "INFO", "WARN", "ERROR", "DEBUG")
MAX_LOG_LINE = 32768


def js_inspect(value: Any, top: bool = True) -> str:
    """Approximate Node's util.inspect, which Convex uses for console arguments."""
    if isinstance(value, str):
        return value if top else "'" + value.replace("'", "\\'") + "'"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, values.Int64):
        return f"{int(value)}n"
    if isinstance(value, float | int):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, bytes):
        return f"ArrayBuffer {{ byteLength: {len(value)} }}"
    if isinstance(value, list):
        return "[ " + ", ".join(js_inspect(v, False) for v in value) + " ]" if value else "[]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k}: {js_inspect(v, False)}" for k, v in value.items()) + " }"
    return str(value)


@dataclass(frozen=True)
class LogLine:
    level: str
    messages: tuple[str, ...]
    timestamp_ms: int
    is_truncated: bool = False

    def plain(self) -> str:
        text = f"[{self.level}] " + " ".join(self.messages)
        return text + " (truncated due to length)" if self.is_truncated else text

    def structured(self) -> dict[str, Any]:
        return {
            "messages": list(self.messages),
            "isTruncated": self.is_truncated,
            "timestamp": self.timestamp_ms,
            "level": self.level,
            "systemMetadata": None,
        }


@dataclass
class Console:
    """``console.log`` and friends; lines also stream to ``on_line`` (action Progress)."""

    lines: list[LogLine] = field(default_factory=list)
    on_line: Callable[[LogLine], None] | None = None

    def _emit(self, level: str, args: tuple[Any, ...]) -> None:
        # Convex quotes top-level strings too: console.log("hi") -> "[LOG] 'hi'".
        messages = tuple(js_inspect(a, False) for a in args)
        truncated = sum(len(m) for m in messages) > MAX_LOG_LINE
        if truncated:
            messages = (" ".join(messages)[:MAX_LOG_LINE],)
        line = LogLine(level, messages, int(time.time() * 1000), truncated)
        self.lines.append(line)
        if self.on_line is not None:
            self.on_line(line)

    def log(self, *args: Any) -> None:
        self._emit("LOG", args)

    def info(self, *args: Any) -> None:
        self._emit("INFO", args)

    def warn(self, *args: Any) -> None:
        self._emit("WARN", args)

    def error(self, *args: Any) -> None:
        self._emit("ERROR", args)

    def debug(self, *args: Any) -> None:
        self._emit("DEBUG", args)


@dataclass
class QueryCtx:
    db: Reader
    auth: dict[str, Any] | None
    console: Console
    env: Callable[[str], str | None]
    env_all: Callable[[], dict[str, str]]


@dataclass
class MutationCtx(QueryCtx):
    db: Writer
    # ``ctx.scheduler.runAfter(delayMs, path, args)``: returns the ``_scheduled_functions`` id.
    schedule: Callable[[float, str, dict[str, Any]], str] = lambda _d, _p, _a: ""


@dataclass
class ActionCtx:
    auth: dict[str, Any] | None
    console: Console
    env: Callable[[str], str | None]
    run_query: Callable[[str, dict[str, Any]], Awaitable[Any]]
    run_mutation: Callable[[str, dict[str, Any]], Awaitable[Any]]
    run_action: Callable[[str, dict[str, Any]], Awaitable[Any]]
    # Actions schedule in a transaction of their own (not undone if the action fails).
    schedule: Callable[[float, str, dict[str, Any]], Awaitable[str]] | None = None


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes
