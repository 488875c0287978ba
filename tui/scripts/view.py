"""What the Scripts pane says about a run (pure; shared with a headless twin)."""

from __future__ import annotations

from datetime import datetime

from tui.scripts.runner import ProcessRun, RunState, fmt_seconds
from tui.status.status_view import Cell


def state_cell(run: ProcessRun | None) -> Cell:
    if run is None:
        return ("", "muted")
    if run.state is RunState.RUNNING:
        return (f"running {fmt_seconds(run.elapsed)}", "warn")
    took = fmt_seconds(run.elapsed)
    if run.state is RunState.CANCELLED:
        return (f"cancelled · {took}", "muted")
    if run.error:
        return ("could not start", "bad")
    tone = "ok" if run.exit_status == 0 else "bad"
    return (f"exit {run.exit_status} · {took}", tone)  # type: ignore[return-value]


def status_line(run: ProcessRun) -> str:
    started = datetime.fromtimestamp(run.started_at).strftime("%H:%M:%S")
    text, _ = state_cell(run)
    if run.error:
        text = run.error
    return f"{run.name} · started {started} · {text}"
