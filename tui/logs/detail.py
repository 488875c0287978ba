"""The execution detail behind `enter`: every row of one request, its executions' outcomes,
usage and the call tree built from `executionId`/`parentExecutionId` (`FunctionCallTree.tsx`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tui.convex.models import LogEntry
from tui.logs.record import FUNCTIONS, OUTCOME, Record, stamp

DOC_ID = r"\b[0-9a-hjkmnp-tv-z]{31,37}\b"  # Convex ids are Crockford base32 (ids.py)


@dataclass
class CallNode:
    execution_id: str
    function: str
    udf: str
    entry: LogEntry | None
    children: list[CallNode] = field(default_factory=list)


def call_tree(entries: Iterable[LogEntry]) -> list[CallNode]:
    """Roots of the request's executions (parents missing from the buffer become roots)."""
    nodes: dict[str, CallNode] = {}
    order: list[str] = []
    for e in entries:
        key = e.execution_id or f"?{id(e)}"
        node = nodes.get(key)
        if node is None:
            nodes[key] = CallNode(key, e.identifier, e.type_letter, None)
            order.append(key)
        if e.kind == "Completion":
            nodes[key].entry = e
    roots: list[CallNode] = []
    for key in order:
        node = nodes[key]
        entry = node.entry
        parent = entry.raw.get("parentExecutionId") if entry is not None else None
        if isinstance(parent, str) and parent in nodes and parent != key:
            nodes[parent].children.append(node)
        else:
            roots.append(node)
    return roots


def tree_lines(roots: list[CallNode], depth: int = 0) -> list[str]:
    out: list[str] = []
    for node in roots:
        e = node.entry
        if e is None:
            verdict = "running"
        elif e.error:
            verdict = "failed"
        else:
            verdict = "ok"
        ms = f" {e.execution_time * 1000:.0f} ms" if e and e.execution_time is not None else ""
        out.append(
            f"{'  ' * depth}{'└ ' if depth else ''}{node.udf} {node.function} · {verdict}{ms}"
        )
        out.extend(tree_lines(node.children, depth + 1))
    return out


@dataclass
class Detail:
    request_id: str
    rows: list[Record]  # every row of the request, in time order
    executions: list[LogEntry]  # Completions, in time order
    tree: list[CallNode]

    def text_lines(self) -> list[str]:
        """The detail as plain lines (raw text: the screen cleans and renders them)."""
        out = [f"request {self.request_id or '—'}"]
        for e in self.executions:
            out.append("")
            out.append(f"{e.type_letter} {e.identifier}  ·  execution {e.execution_id or '—'}")
            if e.execution_time is not None:
                out.append(f"  execution time  {e.execution_time * 1000:.1f} ms")
            out.append(f"  caller          {e.caller or '—'}   cached {e.cached}")
            out.append(f"  finished        {stamp(e.timestamp)}")
            identity = e.raw.get("identityType")
            if identity:
                out.append(f"  identity        {identity}")
            if e.error:
                out.append("  error")
                out.extend(f"    {ln}" for ln in e.error.splitlines())
            usage = e.raw.get("usageStats")
            if isinstance(usage, dict):
                nonzero = {k: v for k, v in usage.items() if v}
                out.append("  usage           " + (_compact(nonzero) if nonzero else "none"))
        out.append("")
        out.append("call tree")
        out.extend(f"  {ln}" for ln in tree_lines(self.tree) or ["—"])
        out.append("")
        out.append("log lines")
        for r in self.rows:
            if r.kind != OUTCOME:
                out.append(f"  {stamp(r.time)} [{r.level}] {r.function}: {r.text}")
        return out


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


def detail_for(row: Record, rows: Iterable[Record]) -> Detail | None:
    """The detail of the request ``row`` belongs to; None for rows without an execution."""
    if row.source != FUNCTIONS or row.entry is None:
        return None
    rid = row.request_id
    same = [r for r in rows if r.source == FUNCTIONS and (
        r.request_id == rid if rid else r.execution_id == row.execution_id)]  # fmt: skip
    if row not in same:
        same.append(row)
    seen: set[int] = set()
    entries: list[LogEntry] = []
    for r in same:
        e = r.entry
        if isinstance(e, LogEntry) and id(e) not in seen:
            seen.add(id(e))
            entries.append(e)
    executions = sorted((e for e in entries if e.kind == "Completion"), key=lambda e: e.timestamp)
    return Detail(rid, sorted(same, key=lambda r: r.time), executions, call_tree(entries))
