"""One row of the Logs pane: a function log line, an execution outcome, a deployment event,
a container line or a marker. Text is kept raw (untrusted); it is cleaned once, lazily, when a
row is shown, searched or exported, so ingesting a fast container costs little per line."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from tui.safety.text import clean, clean_line

FUNCTIONS, EVENTS = "functions", "events"
# kinds
LOG, OUTCOME, EVENT, CONTAINER, MARKER = "log", "outcome", "event", "container", "marker"
_SGR = re.compile(r"\x1b\[[0-9;:]*m")


@dataclass(slots=True, eq=False)
class Record:
    time: float  # seconds since the epoch; rows are merged by it
    source: str  # "functions", "events" or a container name
    kind: str
    text: str  # raw, untrusted
    level: str = ""  # LOG/INFO/WARN/ERROR/DEBUG; SUCCESS/FAILURE on outcomes; stdout/stderr
    function: str = ""  # identifier, e.g. "messages:send"
    udf: str = ""  # Q, M, A or H
    request_id: str = ""
    execution_id: str = ""
    success: bool | None = None  # of the execution, when known
    entry: Any = None  # the LogEntry (functions) or audit document (events), for the detail
    shown: bool = False  # in the filtered view (kept in step by LogView)
    _display: str | None = field(default=None, repr=False)

    @property
    def display(self) -> str:
        """The text made inert: containers keep SGR colours, everything else is stripped."""
        if self._display is None:
            self._display = clean(self.text, keep_sgr=self.kind == CONTAINER)
        return self._display

    @property
    def plain(self) -> str:
        """What filters search and `.log` exports contain: the display text without colours."""
        d = self.display
        return _SGR.sub("", d) if self.kind == CONTAINER and "\x1b" in d else d

    @property
    def tag(self) -> str:
        if self.kind == MARKER:
            return f"· {self.source}"
        if self.source == FUNCTIONS:  # the server's words: made inert like the text
            return clean_line(f"{self.udf or '?'} {self.function}")
        if self.source == EVENTS:
            return "event"
        return self.source

    @property
    def level_text(self) -> str:
        """The level as shown: a function log line's level is the server's word too."""
        return clean_line(self.level)

    @property
    def norm_level(self) -> str:
        """The level facet's view: INFO covers LOG, ERROR covers a failed execution."""
        return {"LOG": "INFO", "FAILURE": "ERROR"}.get(self.level, self.level)

    def search_text(self) -> str:
        # Like the dashboard's free text: request id, function, message, error.
        return f"{self.function} {self.request_id} {self.plain}" if self.function else self.plain

    def to_json(self) -> dict[str, Any]:
        """Exact values for `.jsonl` (JSON escapes controls; nothing is sanitized)."""
        out: dict[str, Any] = {
            "time": self.time,
            "source": self.source,
            "kind": self.kind,
            "level": self.level,
            "message": self.text,
        }
        for key, value in (
            ("function", self.function),
            ("udfType", self.udf),
            ("requestId", self.request_id),
            ("executionId", self.execution_id),
        ):
            if value:
                out[key] = value
        if self.success is not None:
            out["success"] = self.success
        return out


class ContainerLine(Record):
    """A container's line: the one kind of row that arrives by the hundred thousand, so it is
    built with five stores instead of fourteen (the fields a container line never has are
    class constants; they are never assigned on a row)."""

    __slots__ = ()
    kind = CONTAINER
    function = ""
    udf = ""
    request_id = ""
    execution_id = ""
    success = None
    entry = None

    def __init__(self, time: float, source: str, text: str, level: str) -> None:
        self.time = time
        self.source = source
        self.text = text
        self.level = level
        self.shown = False
        self._display = None


def stamp(when: float, *, millis: bool = True) -> str:
    t = time.localtime(when)
    base = time.strftime("%H:%M:%S", t)
    return f"{base}.{int((when % 1) * 1000):03d}" if millis else base


def marker(source: str, text: str, when: float | None = None, *, trouble: bool = False) -> Record:
    """A line the console itself adds: a restart, a reconnect, an engine that stopped
    (``trouble``: shown as a warning until the matching "resumed" marker)."""
    when = when if when is not None else time.time()
    return Record(when, source, MARKER, text, level="WARN" if trouble else "INFO")
