"""The function-log ring behind ``/api/stream_function_logs`` (reference §7)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.convex import values
from tui.sandbox.context import LogLine
from tui.sandbox.db import Tracker

if TYPE_CHECKING:
    from tui.sandbox.outcome import Identity, Outcome
    from tui.sandbox.registry import FunctionDef

MAX_ENTRIES = 1000
STRUCTURED_CLIENTS = ("npm-cli", "dashboard")


@dataclass(frozen=True)
class LogEntry:
    timestamp: float  # seconds; strictly increasing across the ring
    fields: dict[str, Any]  # every field except logLines
    lines: tuple[LogLine, ...]

    def render(self, structured: bool) -> dict[str, Any]:
        lines = [ln.structured() if structured else ln.plain() for ln in self.lines]
        return {**self.fields, "timestamp": self.timestamp, "logLines": lines}


def wants_structured(client: str | None) -> bool:
    """Only the CLI and the dashboard get structured log lines."""
    if not client:
        return False
    name = client.rsplit("-", 1)[0] if "-" in client else client
    return name in STRUCTURED_CLIENTS


class LogRing:
    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=size)
        self._changed = asyncio.Event()
        self._last = 0.0
        self.waiting = 0  # polls held now (tests wait for one instead of sleeping)

    def record(
        self,
        fn: FunctionDef,
        outcome: Outcome,
        tracker: Tracker,
        lines: tuple[LogLine, ...],
        caller: str,
        started: float,
        execution_id: str,
        parent: str | None,
        identity: Identity,
    ) -> None:
        """One execution's Completion entry (an action's lines went out as Progress)."""
        error = None
        if not outcome.success and outcome.error_message:
            error = outcome.error_message.split("\n", 1)[-1]
        return_bytes = None
        if outcome.success:
            return_bytes = float(len(repr(values.encode(outcome.value))))
        fields = completion_fields(
            fn.udf_type, fn.identifier, caller, started, outcome.request_id, execution_id,
            parent, identity, error, None, return_bytes, tracker,
        )  # fmt: skip
        self.push(time.time(), fields, () if fn.kind == "action" else lines)

    def push(self, timestamp: float, fields: dict[str, Any], lines: tuple[LogLine, ...]) -> None:
        # Cursors compare timestamps, so two entries must never share one.
        ts = max(timestamp, self._last + 1e-6)
        self._last = ts
        self._entries.append(LogEntry(ts, fields, lines))
        self._changed.set()
        self._changed = asyncio.Event()

    def after(self, cursor_ms: float) -> list[LogEntry]:
        return [e for e in self._entries if e.timestamp * 1000 > cursor_ms]

    async def wait_after(self, cursor_ms: float, timeout: float) -> list[LogEntry]:
        """Entries newer than the cursor, waiting up to ``timeout`` seconds for the first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            entries = self.after(cursor_ms)
            remaining = deadline - loop.time()
            if entries or remaining <= 0:
                return entries
            event = self._changed
            self.waiting += 1
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await event.wait()
            finally:
                self.waiting -= 1


def completion_fields(
    udf_type: str,
    identifier: str,
    caller: str,
    started: float,
    rid: str,
    execution_id: str,
    parent: str | None,
    identity: Identity,
    error: str | None,
    success: Any,
    return_bytes: float | None,
    tracker: Tracker | None = None,
) -> dict[str, Any]:
    elapsed = time.time() - started
    t = tracker or Tracker()
    return {
        "kind": "Completion",
        "udfType": udf_type,
        "componentPath": None,
        "identifier": identifier,
        "cachedResult": False,
        "caller": caller,
        "parentExecutionId": parent,
        "executionTime": elapsed,
        "userExecutionTime": elapsed,
        "success": success,
        "error": error,
        "requestId": rid,
        "executionId": execution_id,
        "usageStats": {
            "databaseReadBytes": t.bytes_read,
            "databaseWriteBytes": t.bytes_written,
            "databaseIoReadBytes": t.bytes_read,
            "databaseIoWriteBytes": t.bytes_written,
            "databaseReadDocuments": t.rows_read,
            "databaseWriteDocuments": t.rows_written,
            "storageReadBytes": 0,
            "storageWriteBytes": 0,
            "vectorIndexReadBytes": 0,
            "vectorIndexWriteBytes": 0,
            "textIndexQueryBytes": 0,
            "textIndexWriteQueryBytes": 0,
            "vectorIndexReadQueryBytes": 0,
            "vectorIndexWriteQueryBytes": 0,
            "networkEgressBytes": 0,
            "memoryUsedMb": 0.0,
        },
        "returnBytes": return_bytes,
        "occInfo": None,
        "willRetry": False,
        "executionTimestamp": started,
        "identityType": identity.identity_type,
        "environment": "isolate",
    }
