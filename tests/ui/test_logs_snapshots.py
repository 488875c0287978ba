"""SVG snapshots of the Logs pane at 120x40 and 80x24: function rows (lines and outcomes, a
failure), a deployment event, container rows with their colours, a marker, a filter with
highlighted matches, a paused view; and the execution detail. Fixed rows, fixed time zone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from screens.app import ConsoleApp, make_app
from screens.logs import LogsScreen
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, fixed_clock, settings
from tui.convex.models import LogEntry
from tui.logs.filter import LogFilter
from tui.logs.functions import records_from_entry
from tui.logs.record import CONTAINER, EVENT, EVENTS, Record, marker

T0 = 1_767_261_600.0  # 2026-01-01 10:00:00 UTC


class ScriptedFollowers:
    """Stands in for the engine: the rows a followed container would send."""

    def __init__(self, emit: Any) -> None:
        self.emit = emit

    def list(self, selector: Any, timeout: float = 10.0) -> list[str]:
        return ["convex-backend-1"]  # the deployment's one container: followed on open

    def start(self, name: str) -> None:
        self.emit([
            Record(T0 + 0.5, name, CONTAINER, "\x1b[32mINFO\x1b[0m backend listening on 3210", "stdout"),
            Record(T0 + 4.2, name, CONTAINER, "\x1b[33mWARN\x1b[0m slow query 250ms", "stderr"),
        ])  # fmt: skip

    def stop(self, name: str) -> None: ...

    def close(self) -> None: ...


def entry(i: int, ident: str, udf: str, lines: list[tuple[str, str]], error: str | None = None,
          parent: str | None = None, rid: str = "") -> LogEntry:  # fmt: skip
    ts = T0 + i
    return LogEntry.from_json({
        "kind": "Completion", "udfType": udf, "identifier": ident, "timestamp": ts,
        "logLines": [{"messages": [m], "level": lv, "timestamp": int((ts - 0.01) * 1000),
                      "isTruncated": False} for lv, m in lines],
        "requestId": rid or f"req{i:013d}", "executionId": f"exec-{i}",
        "parentExecutionId": parent, "executionTime": 0.004 * (i + 1), "error": error,
        "caller": "HttpApi", "usageStats": {"databaseWriteDocuments": 1},
    })  # fmt: skip


def rows() -> list[Record]:
    entries = [
        entry(1, "tasks:create", "Mutation", [("INFO", "'Created task' 'k17abc'")]),
        entry(2, "tasks:list", "Query", []),
        entry(3, "debug:fail", "Query", [("ERROR", "'About to throw on purpose'")],
              error="Uncaught Error: Something went wrong\n    at handler (debug.js:20)"),
        entry(5, "rag:searchWithRAG", "Action", [("LOG", "'searching' '[b]cats[/b]'")]),
    ]  # fmt: skip
    out = [r for e in entries for r in records_from_entry(e)]
    out.append(
        Record(
            T0 + 3.5,
            EVENTS,
            EVENT,
            'update_environment_variable {"variable_name": "OPENAI_KEY"}',
            "INFO",
        )
    )
    out.append(
        marker(
            "functions",
            "function log stream lost: connection refused — reconnecting",
            T0 + 6,
            trouble=True,
        )
    )
    return out  # fmt: skip


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr("tui.logs.store.default_path", lambda: tmp_path / "f.json")
    yield
    monkeypatch.undo()
    time.tzset()


def build() -> ConsoleApp:
    return make_app(settings(), prober=FakeProber(), docker=FakeDocker(), clock=fixed_clock,
                    connect_convex=False, log_followers=ScriptedFollowers)  # fmt: skip


def shown(*keys: str, log_filter: LogFilter | None = None) -> Any:
    async def run_before(pilot: Any) -> None:
        await pilot.press("2")
        screen = pilot.app.screen
        assert isinstance(screen, LogsScreen)
        screen.inbox.put(rows())
        if log_filter is not None:
            screen.set_filter(log_filter)
        await until(pilot, lambda: len(screen.view.buffer) == 11, what="rows")
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_logs_pane(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(build(), terminal_size=size, run_before=shown())


def test_logs_filter_highlights_and_paused(snap_compare: Any) -> None:
    f = LogFilter(query="task|fail", narrow=False)
    assert snap_compare(build(), terminal_size=(120, 40), run_before=shown("n", log_filter=f))


def test_logs_detail(snap_compare: Any) -> None:
    run = shown("up", "up", "up", "up", "up", "up", "enter")
    assert snap_compare(build(), terminal_size=(120, 40), run_before=run)
