"""Pieces of the sync client: versions, query/request records and the Subscription handle."""

from __future__ import annotations

import asyncio
import base64
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.convex.errors import ConvexClientError, FunctionError, Timeout
from tui.convex.models import FunctionResult


class Reconnect(Exception):
    """Drop this socket and open a new one."""


def canonical_udf_path(path: str) -> str:
    """``module`` → ``module:default``; strip ``.js`` (JS ``canonicalizeUdfPath``)."""
    module, sep, name = path.rpartition(":")
    if not sep:
        module, name = path, "default"
    if module.endswith(".js"):
        module = module[:-3]
    return f"{module}:{name}"


def ts_to_int(encoded: object) -> int:
    """A sync ``ts``: base64 of the u64 little-endian nanoseconds (reference §10.4)."""
    if not isinstance(encoded, str):
        raise Reconnect(f"bad timestamp {encoded!r}")
    raw = base64.b64decode(encoded)
    if len(raw) != 8:
        raise Reconnect(f"bad timestamp {encoded!r}")
    return int.from_bytes(raw, "little")


@dataclass(frozen=True, slots=True)
class StateVersion:
    query_set: int = 0
    identity: int = 0
    ts: int = 0

    @classmethod
    def parse(cls, raw: object) -> StateVersion:
        if not isinstance(raw, dict):
            raise Reconnect("transition without a version")
        return cls(int(raw["querySet"]), int(raw["identity"]), ts_to_int(raw["ts"]))


@dataclass(eq=False)
class QueryRecord:
    query_id: int
    path: str
    args: Any  # encoded JSON object
    token: str
    subs: weakref.WeakSet[Subscription] = field(default_factory=weakref.WeakSet)
    generation: int = 0
    value_json: str | None = None
    value: Any = None
    error: FunctionError | None = None


@dataclass(eq=False)
class RequestRecord:
    request_id: int
    message: dict[str, Any]
    future: asyncio.Future[FunctionResult]
    started: float
    sent: bool = False
    ts: int | None = None  # commit ts once the MutationResponse arrived
    result: FunctionResult | None = None


FIRST_VALUE_S = 30.0  # how long a subscription waits for its first value before saying so


class SubscriptionOwner(Protocol):
    """What a `Subscription` asks of its client (`tui.convex.sync_client.SyncClient`)."""

    fatal_error: ConvexClientError | None
    last_error: str | None  # why the socket last failed (named when a first value times out)

    async def _register(self, sub: Subscription) -> QueryRecord: ...

    async def _release(self, query: QueryRecord, sub: Subscription | None) -> None: ...


class Subscription:
    """Iterate for each new value of one query: ``async for v in client.subscribe(...)``.

    The query is registered on first use (``__anext__``, ``async with`` or :meth:`start`).
    A failed run raises :class:`FunctionError` from ``__anext__`` but the subscription stays
    usable; iteration ends after :meth:`aclose`. Values are conflated: a slow consumer sees
    the latest one, never a stale backlog."""

    def __init__(self, owner: SubscriptionOwner, path: str, args: Mapping[str, Any] | None) -> None:
        self._owner = owner
        self.path = canonical_udf_path(path)
        self.args = dict(args or {})
        self._query: QueryRecord | None = None
        self._seen = 0
        self._event = asyncio.Event()
        self.closed = False

    @property
    def latest(self) -> Any:
        """The most recent value (None before the first one)."""
        return self._query.value if self._query is not None else None

    def _notify(self) -> None:
        self._event.set()

    async def start(self) -> Subscription:
        if self._query is None and not self.closed:
            self._query = await self._owner._register(self)
            if self._query.generation:
                self._event.set()
        return self

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Any:
        if self._query is None:
            await self.start()
        while True:
            if self.closed:
                raise StopAsyncIteration
            fatal = self._owner.fatal_error
            if fatal is not None:
                raise fatal
            query = self._query
            assert query is not None
            if query.generation != self._seen:
                self._seen = query.generation
                if query.error is not None:
                    raise query.error
                return query.value
            self._event.clear()
            if query.generation:
                await self._event.wait()  # later values: no change can take any time
                continue
            # The first value has a bound: a stalled or failing server is said, not waited on
            # for ever (issue 9, defect 8). The subscription stays usable after the error.
            try:
                async with asyncio.timeout(FIRST_VALUE_S):
                    await self._event.wait()
            except TimeoutError:
                reason = self._owner.last_error or "no answer"
                raise Timeout(
                    f"No value for {self.path} within {FIRST_VALUE_S:.0f} s ({reason})."
                ) from None

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            self._event.set()
            if self._query is not None:
                await self._owner._release(self._query, self)

    async def __aenter__(self) -> Subscription:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
