"""The one write guard: every write of every client and headless command asks it first.

Writes are Convex mutations and actions, data edits, env changes, clearing a table, Docker
start/stop/restart/exec, scripts and deploys. The guard decides from two facts:

- read-only (``--read-only``, the console's lock, or a protected profile not unlocked): refuse;
- protected target: allowed only once unlocked (``--unlock PROFILE`` headless, a typed
  confirmation in the console); `needs_typed_confirmation` tells the console to ask for the name.

Function calls are special: whether `tasks:foo` writes is known only to the backend, so in
read-only mode the Convex client sends every call to ``/api/query`` (`functions_as_query`) and
the backend itself refuses a mutation or action — zero writes, and queries still work.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

# The backend's answer to a mutation/action sent to /api/query (crates/udf/src/validation.rs).
_DEFINED_AS = re.compile(r"but it is defined as (Mutation|Action)\b")

# Distinct exit status of a headless command whose write was refused.
EXIT_REFUSED = 4


class WriteKind(enum.StrEnum):
    MUTATION = "mutation"
    ACTION = "action"
    DATA_EDIT = "data edit"
    CLEAR_TABLE = "clear table"
    ENV_CHANGE = "env change"
    CONTAINER = "container action"
    SCRIPT = "script"
    DEPLOY = "deploy"


@dataclass(frozen=True)
class WriteRequest:
    kind: WriteKind
    what: str  # human words: "stop container convex-backend-1", "set env FOO"
    command: str = ""  # the exact equivalent command, shown before confirming


class WriteRefused(Exception):
    """A write the guard refused; nothing was sent."""

    exit_status = EXIT_REFUSED

    def __init__(self, request: WriteRequest, reason: str) -> None:
        self.request = request
        self.reason = reason
        super().__init__(f"{request.what}: refused — {reason}")


Listener = Callable[["WriteGuard"], None]


class WriteGuard:
    """One per target (profile); shared by every client built for it."""

    def __init__(
        self,
        *,
        profile: str = "default",
        read_only: bool = False,
        protected: bool = False,
        unlocked: bool = False,
    ) -> None:
        self.profile = profile
        self.protected = protected
        self._read_only = read_only
        self._unlocked = unlocked
        self._listeners: list[Listener] = []
        self.refused: list[WriteRequest] = []  # what was refused, newest last (tests, audit)

    @classmethod
    def for_target(
        cls, *, profile: str, read_only: bool, protected: bool, unlock: str | None = None
    ) -> WriteGuard:
        """Headless commands: a protected profile is writable only with ``--unlock PROFILE``."""
        unlocked = bool(protected and unlock and unlock == profile)
        return cls(
            profile=profile,
            read_only=read_only and not unlocked,
            protected=protected,
            unlocked=unlocked,
        )

    # ------------------------------------------------------------ state

    @property
    def read_only(self) -> bool:
        return self._read_only or (self.protected and not self._unlocked)

    @property
    def functions_as_query(self) -> bool:
        """Send every function call to /api/query, so the backend refuses writes itself."""
        return self.read_only

    @property
    def needs_typed_confirmation(self) -> bool:
        return self.protected

    def lock(self) -> None:
        self._read_only = True
        self._unlocked = False
        self._changed()

    def unlock(self) -> None:
        """Allow writes (the console asks first; for a protected target, the typed name)."""
        self._read_only = False
        self._unlocked = True
        self._changed()

    def on_change(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    # ------------------------------------------------------------ decisions

    def why_refused(self, request: WriteRequest) -> str | None:
        if self.protected and not self._unlocked:
            return (
                f"profile {self.profile!r} is protected "
                f"(headless: add --unlock {self.profile}; console: ctrl+e and type its name)"
            )
        if self._read_only:
            return "read-only mode (unlock with ctrl+e in the console; drop --read-only)"
        return None

    def check(self, request: WriteRequest) -> None:
        """Raise `WriteRefused` unless the write may go; call before sending anything."""
        reason = self.why_refused(request)
        if reason is not None:
            self.refused.append(request)
            raise WriteRefused(request, reason)

    def refusal_for(self, path: str, backend_message: str) -> WriteRefused | None:
        """The refusal behind a read-only call the backend turned down as a write.

        In read-only mode function calls go to ``/api/query``; the backend answers a mutation
        or action with "Trying to execute X as Query, but it is defined as Mutation." (nothing
        ran). That is the guard's refusal, said in its words; `None` for any other error."""
        match = _DEFINED_AS.search(backend_message)
        if match is None or not self.read_only:
            return None
        kind = WriteKind.MUTATION if match.group(1) == "Mutation" else WriteKind.ACTION
        request = WriteRequest(kind, f"run {kind.value} {path}")
        self.refused.append(request)
        return WriteRefused(request, self.why_refused(request) or "read-only mode")

    def allows(self, request: WriteRequest) -> bool:
        return self.why_refused(request) is None


class GuardedTarget(Protocol):
    """What the guard needs of a resolved target (`tui.config.Settings` has it)."""

    @property
    def profile(self) -> str: ...

    @property
    def read_only(self) -> bool: ...

    @property
    def protected(self) -> bool: ...


def guard_for(settings: GuardedTarget, unlock: str | None = None) -> WriteGuard:
    """The guard of a resolved target; ``unlock`` is the headless ``--unlock PROFILE``."""
    return WriteGuard.for_target(
        profile=settings.profile,
        read_only=settings.read_only,
        protected=settings.protected,
        unlock=unlock,
    )
