"""What a deploy changed: index diffs from the Convex CLI's output, function changes from the
function lists before and after (the CLI does not print those)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SGR = re.compile(r"\x1b\[[0-9;:]*m")
_ADDED = re.compile(r"^\s*\[\+\]\s*(\S+)")
_REMOVED = re.compile(r"^\s*\[-\]\s*(\S+)")


@dataclass(frozen=True)
class DeploySummary:
    ok: bool
    added_indexes: tuple[str, ...] = ()
    removed_indexes: tuple[str, ...] = ()
    functions_added: tuple[str, ...] = ()
    functions_removed: tuple[str, ...] = ()
    functions_known: bool = False  # both lists were fetched
    error: str = ""  # the CLI's last error line

    def text(self) -> str:
        if not self.ok:
            return f"deploy failed: {self.error}" if self.error else "deploy failed"
        # Short (it sits in the header line): only the counts that are not zero.
        counts = [
            f"{sign}{len(items)} {what}"
            for sign, items, what in (
                ("+", self.functions_added, "fn"),
                ("-", self.functions_removed, "fn"),
                ("+", self.added_indexes, "idx"),
                ("-", self.removed_indexes, "idx"),
            )
            if items
        ]
        if counts:
            return "deployed " + " ".join(counts)
        return "deployed, no changes" if self.functions_known else "deployed"

    def details(self) -> str:
        """The long form, for the notification: which functions and indexes."""
        lines = [self.text()]
        for label, items in (
            ("functions added", self.functions_added),
            ("functions removed", self.functions_removed),
            ("indexes added", self.added_indexes),
            ("indexes removed", self.removed_indexes),
        ):
            if items:
                shown = ", ".join(items[:6]) + (f" … (+{len(items) - 6})" if len(items) > 6 else "")
                lines.append(f"{label}: {shown}")
        return "\n".join(lines)


def parse_output(lines: Iterable[str], ok: bool) -> DeploySummary:
    added: list[str] = []
    removed: list[str] = []
    error = ""
    for raw in lines:
        line = _SGR.sub("", raw)
        if m := _ADDED.match(line):
            added.append(m.group(1))
        elif m := _REMOVED.match(line):
            removed.append(m.group(1))
        stripped = line.strip()
        if stripped.startswith(("✖", "Error", "error")) or "error TS" in stripped:
            error = stripped[:200]
    return DeploySummary(ok, tuple(added), tuple(removed), error=error)


def with_functions(
    summary: DeploySummary, before: Iterable[str] | None, after: Iterable[str] | None
) -> DeploySummary:
    if before is None or after is None:
        return summary
    old, new = set(before), set(after)
    return DeploySummary(
        summary.ok,
        summary.added_indexes,
        summary.removed_indexes,
        tuple(sorted(new - old)),
        tuple(sorted(old - new)),
        True,
        summary.error,
    )
