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


def nothing_to_run(has_package_json: bool, in_process_sandbox: bool) -> bool:
    """`convex-tui demo` without --project: the built-in demo app, no workspace to run scripts
    of (a deploy from there would push a directory that is not a Convex app)."""
    return in_process_sandbox and not has_package_json


def demo_explainer(root: str) -> str:
    """What the Scripts pane does in a workspace, said where the demo has none to show."""
    return (
        "In a workspace, this pane lists package.json's scripts: the seed's first "
        "(deploy:functions, dev:backend, convex:start, convex:stop, convex:status, convex:logs), "
        "then typecheck and test scripts, run with the package manager its lockfile names. "
        "enter runs the selected script and streams its output here; ctrl+c cancels it; h shows "
        "past runs. D deploys the functions from any pane (it asks first, showing the exact "
        "command); b starts or stops dev:backend, which redeploys on every save.\n\n"
        f"This demo runs the built-in demo app in an in-process sandbox, and {root} has no "
        "package.json: there is nothing to run or deploy here. To see this pane at work:\n\n"
        "  convex-tui demo --project ~/my-app\n"
        "      pushes ~/my-app/convex to the sandbox; its scripts show here\n"
        "  convex-tui\n"
        "      in a workspace: the console on the workspace's own deployment"
    )
