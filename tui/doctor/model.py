"""What a doctor check is: shared by the checks, the deployment env check and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    status: Status
    message: str
    fix: str = ""
    details: dict[str, str] = field(default_factory=dict)
