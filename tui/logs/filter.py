"""The filter model shared by the Logs pane and `convex-tui logs`: a text or regex query (a
leading `!` inverts it) and the dashboard's facets (`filterLogs.ts`): success/failure, level
(INFO also matches LOG, ERROR also matches a failed execution), function, source, request id."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tui.logs.record import FUNCTIONS, Record

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
STATUSES = ("success", "failure")


@dataclass(frozen=True)
class LogFilter:
    query: str = ""  # plain text or regex; "!" first inverts
    status: str = ""  # "", "success" or "failure"
    levels: frozenset[str] = frozenset()  # empty: every level
    functions: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()  # "functions", "events", container names
    request_id: str = ""
    narrow: bool = True  # False: the query only highlights, n/N step through matches

    @property
    def active(self) -> bool:
        return self != LogFilter(narrow=self.narrow)

    def with_(self, **changes: Any) -> LogFilter:
        return replace(self, **changes)

    def compile(self) -> Matcher:
        return Matcher(self)

    def describe(self) -> str:
        """A short summary for the header line of the pane (untrusted parts cleaned by callers)."""
        parts = []
        if self.query:
            parts.append(f"/{self.query}")
        if self.status:
            parts.append(self.status)
        if self.levels:
            parts.append("level " + ",".join(sorted(self.levels)))
        if self.functions:
            parts.append("fn " + ",".join(sorted(self.functions)))
        if self.sources:
            parts.append("src " + ",".join(sorted(self.sources)))
        if self.request_id:
            parts.append(f"req {self.request_id}")
        return " · ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "status": self.status,
            "levels": sorted(self.levels),
            "functions": sorted(self.functions),
            "sources": sorted(self.sources),
            "requestId": self.request_id,
            "narrow": self.narrow,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> LogFilter:
        def strs(key: str) -> frozenset[str]:
            value = raw.get(key)
            return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()

        status = str(raw.get("status") or "")
        return cls(
            query=str(raw.get("query") or ""),
            status=status if status in STATUSES else "",
            levels=frozenset(lv for lv in strs("levels") if lv in LEVELS),
            functions=strs("functions"),
            sources=strs("sources"),
            request_id=str(raw.get("requestId") or ""),
            narrow=bool(raw.get("narrow", True)),
        )


def compile_query(query: str) -> tuple[re.Pattern[str] | None, bool]:
    """(pattern, inverted). A query that is not a valid regex is searched as plain text."""
    inverted = query.startswith("!")
    body = query[1:] if inverted else query
    if not body:
        return None, inverted
    try:
        return re.compile(body, re.IGNORECASE), inverted
    except re.error:
        return re.compile(re.escape(body), re.IGNORECASE), inverted


@dataclass
class Matcher:
    filter: LogFilter
    pattern: re.Pattern[str] | None = field(init=False)
    inverted: bool = field(init=False)

    everything: bool = field(init=False)  # every row is in the view (no per-row test)

    def __post_init__(self) -> None:
        self.pattern, self.inverted = compile_query(self.filter.query)
        f = self.filter
        facets = f.status or f.levels or f.functions or f.sources or f.request_id
        self.everything = not facets and (self.pattern is None or not f.narrow)

    def facets(self, r: Record) -> bool:
        f = self.filter
        if f.sources and r.source not in f.sources:
            return False
        if f.request_id and r.request_id != f.request_id:
            return False
        if f.functions and r.function not in f.functions:
            return False
        if f.status:
            if r.source != FUNCTIONS or r.success is None:
                return False
            if r.success != (f.status == "success"):
                return False
        return not (f.levels and r.norm_level not in f.levels)

    def query(self, r: Record) -> bool:
        if self.pattern is None:
            return True
        found = self.pattern.search(r.search_text()) is not None
        return found != self.inverted

    def __call__(self, r: Record) -> bool:
        """Is the row in the view?"""
        if not self.facets(r):
            return False
        return self.query(r) if self.filter.narrow else True

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Where the query matches in ``text`` (nothing to highlight when inverted)."""
        if self.pattern is None or self.inverted:
            return
        for m in self.pattern.finditer(text):
            if m.end() > m.start():
                yield m.start(), m.end()
