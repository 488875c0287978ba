"""What a function call returns: its value and its log lines. Apart from the other models
(tui/convex/models.py re-exports these) because every dataclass costs its creation at import
time (~0.5 ms each), and `convex-tui run` needs these alone (issue 19)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tui.convex.values import Value

LOG_LEVELS = ("LOG", "INFO", "WARN", "ERROR", "DEBUG")
_PLAIN_LINE = re.compile(r"^\[(LOG|INFO|WARN|ERROR|DEBUG)\] ?(.*)$", re.DOTALL)
_TRUNCATED = " (truncated due to length)"


@dataclass(frozen=True, slots=True)
class LogLine:
    """One console line from a function. ``timestamp`` (s) is known only for structured lines."""

    level: str
    message: str
    timestamp: float | None = None
    truncated: bool = False

    def __str__(self) -> str:
        suffix = _TRUNCATED if self.truncated else ""
        return f"[{self.level}] {self.message}{suffix}"

    @classmethod
    def parse(cls, raw: object) -> LogLine:
        """Normalise a plain (``"[LOG] 'hi'"``) or structured (npm-cli/dashboard) line."""
        if isinstance(raw, Mapping):
            messages = raw.get("messages") or []
            ts = raw.get("timestamp")
            level = str(raw.get("level") or "LOG").upper()
            return cls(
                level=level,
                message=" ".join(str(m) for m in messages),
                timestamp=float(ts) / 1000.0 if isinstance(ts, int | float) else None,
                truncated=bool(raw.get("isTruncated")),
            )
        text = str(raw)
        truncated = text.endswith(_TRUNCATED)
        if truncated:
            text = text[: -len(_TRUNCATED)]
        match = _PLAIN_LINE.match(text)
        if match:
            return cls(level=match.group(1), message=match.group(2), truncated=truncated)
        return cls(level="LOG", message=text, truncated=truncated)


def parse_log_lines(raw: object) -> tuple[LogLine, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(LogLine.parse(item) for item in raw)


@dataclass(frozen=True, slots=True)
class FunctionResult:
    value: Value
    log_lines: tuple[LogLine, ...]
    duration_ms: float
    request_id: str | None
