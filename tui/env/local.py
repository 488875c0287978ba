"""The local side of the Env pane: variables from `.env.convex.local` & co. with file:line, the
doctor's relationship checks, and the env files against the deployment for the variables the
functions read (with the change that "apply to deployment" would send).

The relationship and drift logic is the doctor's (`tui.doctor`); this module only arranges it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tui.doctor.checks import Check, check_relationships
from tui.doctor.deployment_env import drift_checks, is_secret, local_function_values
from tui.env.model import EnvChange

if TYPE_CHECKING:
    from tui.config import Settings

DiffState = Literal["same", "missing", "differs"]


@dataclass(frozen=True)
class LocalVar:
    name: str
    value: str
    where: str  # "file:line"
    shadowed: tuple[str, ...] = ()  # later files that also set it (lower precedence)


@dataclass(frozen=True)
class DiffRow:
    name: str
    where: str
    state: DiffState
    secret: bool


def local_variables(settings: Settings) -> list[LocalVar]:
    """Every variable in the env files, first file wins (their precedence), with file:line."""
    found: dict[str, LocalVar] = {}
    for env_file in settings.env_files:
        for name, value in env_file.values.items():
            where = f"{env_file.path.name}:{env_file.lines.get(name, 0)}"
            if name in found:
                prev = found[name]
                found[name] = LocalVar(prev.name, prev.value, prev.where, (*prev.shadowed, where))
            else:
                found[name] = LocalVar(name, value, where)
    return sorted(found.values(), key=lambda v: v.name)


def relationship_checks(settings: Settings) -> list[Check]:
    return list(check_relationships(settings))


def diff(settings: Settings, deployed: dict[str, str]) -> list[DiffRow]:
    rows = []
    for name, (value, where) in sorted(local_function_values(settings).items()):
        current = deployed.get(name)
        state: DiffState = "same" if current == value else (
            "missing" if current is None else "differs"
        )  # fmt: skip
        rows.append(DiffRow(name, where, state, is_secret(name)))
    return rows


def apply_plan(settings: Settings, deployed: dict[str, str]) -> list[EnvChange]:
    """What "apply to deployment" sends: the env files' values where the deployment differs."""
    local = local_function_values(settings)
    return [
        EnvChange(row.name, local[row.name][0])
        for row in diff(settings, deployed)
        if row.state != "same"
    ]


def drift(settings: Settings, deployed: dict[str, str]) -> list[Check]:
    return list(drift_checks(settings, deployed))
