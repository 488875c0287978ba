"""Rows of the Env pane (pure): deployment variables, env-file variables, and the checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.config.model import ADMIN_KEY_VARS
from tui.config.secret import Secret
from tui.env.auth import readiness
from tui.env.local import DiffRow, diff, local_variables, relationship_checks
from tui.env.model import MASK, shown_value
from tui.safety.text import clean_line
from tui.status.status_view import Cell

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.doctor.checks import Check

STATE_WORDS = {
    "same": ("same as the deployment", "ok"),
    "missing": ("missing on the deployment", "warn"),
    "differs": ("differs from the deployment", "warn"),
}
CHECK_TONES = {"ok": "ok", "warn": "warn", "fail": "bad"}


@dataclass(frozen=True)
class VarRow:
    key: str
    name: str
    value: Cell
    files: Cell  # where the env files set it, and how it compares


@dataclass(frozen=True)
class LocalRow:
    key: str
    name: str
    where: str
    value: Cell
    deployment: Cell


def deployment_rows(
    settings: Settings, deployed: dict[str, str], revealed: set[str]
) -> list[VarRow]:
    by_name: dict[str, DiffRow] = {r.name: r for r in diff(settings, deployed)}
    rows = []
    for name, value in sorted(deployed.items()):
        d = by_name.get(name)
        files: Cell = ("—", "muted")
        if d is not None:
            word, tone = STATE_WORDS[d.state]
            files = (f"{d.where} · {word}", tone)  # type: ignore[assignment]
        rows.append(VarRow(name, clean_line(name, 80),
                           (shown_value(value, name in revealed), "plain" if name in revealed else "muted"),
                           files))  # fmt: skip
    return rows


def local_rows(
    settings: Settings, deployed: dict[str, str] | None, revealed: set[str]
) -> list[LocalRow]:
    """``deployed`` None: the deployment's variables are not known (not connected, an error)."""
    states = {r.name: r.state for r in diff(settings, deployed or {})}
    read = {r.name for r in diff(settings, {})}
    rows = []
    for var in local_variables(settings):
        key = f"local:{var.name}"
        if var.name in ADMIN_KEY_VARS:
            # The admin key is never shown, revealed or not: its fingerprint only.
            value: Cell = (Secret(var.value).fingerprint if key in revealed else MASK, "muted")
        else:
            value = (
                shown_value(var.value, key in revealed),
                "plain" if key in revealed else "muted",
            )
        state = states.get(var.name)
        dep: Cell = ("not read by functions", "muted")
        if deployed is None and var.name in read:
            dep = ("deployment not read yet", "muted")
        elif state is not None:
            word, tone = STATE_WORDS[state]
            dep = (word, tone)  # type: ignore[assignment]
        where = var.where + (f" (also {', '.join(var.shadowed)})" if var.shadowed else "")
        rows.append(LocalRow(key, clean_line(var.name, 80), where, value, dep))
    return rows


def checks(
    settings: Settings, deployed: dict[str, str] | None, schema: dict[str, Any] | None
) -> list[Check]:
    from tui.doctor.checks import check_env_files

    # A file that could not be read (or a line that could not) first: its variables are
    # missing from the table above, and this says why.
    out = [c for c in check_env_files(settings) if c.status == "fail"]
    out += relationship_checks(settings)
    if deployed is not None:
        out += readiness(schema, deployed, Path(settings.project_dir))
    return out


def check_cells(check: Check) -> tuple[Cell, str, str]:
    symbol = {"ok": "✔ ok", "warn": "! warn", "fail": "✘ fail"}[check.status]
    detail = clean_line(check.message, 200)
    fix = clean_line(check.fix, 200) if check.status != "ok" else ""
    return (
        (symbol, CHECK_TONES[check.status]),
        clean_line(check.title, 40),
        (  # type: ignore[return-value]
            f"{detail} — fix: {fix}" if fix else detail
        ),
    )
