"""Which containers the Logs pane follows, without Textual.

Until the user chooses with `o`, every container of the deployment is followed (the pane is
never empty when a container has something to say), including ones that appear later. Once
the user has chosen, exactly the chosen ones are, whatever appears.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

UNLISTED = "…"


@dataclass
class ContainerChoice:
    auto: bool = True
    chosen: frozenset[str] = frozenset()
    listed: tuple[str, ...] | None = None  # the deployment's containers, once listed
    problem: str = ""  # why the last listing failed
    followed: set[str] = field(default_factory=set)  # what the readers are following now
    pinned: set[str] = field(default_factory=set)  # asked for by name (`l`): kept while auto

    def on_listed(self, names: Iterable[str]) -> frozenset[str]:
        """The deployment's containers were listed: what should be followed now."""
        self.listed = tuple(names)
        self.problem = ""
        if self.auto:
            self.chosen = frozenset(self.listed) | self.pinned
        return self.chosen

    def on_list_failed(self, problem: str) -> None:
        self.problem = problem

    def choose(self, names: Iterable[str]) -> frozenset[str]:
        """The user's choice (`o`): from now on exactly these."""
        self.auto = False
        self.pinned.clear()
        self.chosen = frozenset(names)
        return self.chosen

    def add(self, name: str) -> None:
        """One more (the Status pane's `l`), without giving up following the others."""
        self.pinned.add(name)
        self.chosen = self.chosen | {name}

    def changes(self) -> tuple[list[str], list[str]]:
        """(to start, to stop) for the readers to match the choice."""
        return sorted(self.chosen - self.followed), sorted(self.followed - self.chosen)

    def describe(self) -> str:
        """The bar's words for it."""
        if self.followed:
            return "containers " + ", ".join(sorted(self.followed))
        if self.problem:
            return f"containers: {self.problem} (o)"
        if self.listed is None:
            return f"containers {UNLISTED}"
        if not self.auto:
            return "containers off (o)"
        return "no containers of this deployment (o)"
