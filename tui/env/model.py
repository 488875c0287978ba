"""The deployment's environment variables as the Env pane shows them: masked until revealed.

Writes go through `ConvexClient.set_env` (already guarded); this module only plans them and
says in words (and as the equivalent CLI command) what each does — values never in the command.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from tui.safety.text import clean_line

MASK = "••••••••"  # fixed width: the mask does not even reveal the length


def shown_value(value: str, revealed: bool, width: int | None = 80) -> str:
    return clean_line(value, width) if revealed else MASK


@dataclass(frozen=True)
class EnvChange:
    """One set (value) or remove (value None)."""

    name: str
    value: str | None

    @property
    def removes(self) -> bool:
        return self.value is None

    def describe(self) -> str:
        return f"remove {self.name}" if self.removes else f"set {self.name}"

    def command(self) -> str:
        """The equivalent CLI command; the value is never written out."""
        name = shlex.quote(self.name)
        if self.removes:
            return f"npx convex env remove {name}"
        return f"npx convex env set {name} '<value>'"


def plan_text(changes: list[EnvChange]) -> str:
    return "\n".join(c.command() for c in changes)


def as_request(changes: list[EnvChange]) -> dict[str, str | None]:
    return {c.name: c.value for c in changes}
