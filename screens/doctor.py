"""The doctor's full report in a modal: every check of `convex-tui doctor`, cause and fix.

The checks run in a thread worker (they probe the services and ask Docker, both blocking);
`r` runs them again.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from screens.widgets.checks import checks_text, summary
from tui.config import Settings
from tui.doctor.checks import Check


def _all_checks(settings: Settings) -> list[Check]:
    from tui.doctor.checks import run_checks
    from tui.doctor.report import default_docker_lister

    return run_checks(settings, default_docker_lister)


class DoctorScreen(ModalScreen[None]):
    CSS_PATH = "../styles/doctor.tcss"
    BINDINGS = [
        Binding("escape,q,d", "close", "Close", id="doctor.close"),
        Binding("r", "rerun", "Run again", id="doctor.rerun"),
    ]

    def __init__(
        self, settings: Settings, run: Callable[[Settings], list[Check]] | None = None
    ) -> None:
        """``run``: the checks to run (default: all of `convex-tui doctor`'s)."""
        super().__init__()
        self.settings = settings
        self.run_checks = run or _all_checks
        self.checks: list[Check] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="doctor"):
            yield Static(
                Content.styled(f"Doctor — profile {self.settings.profile}", "bold"),
                id="doctor-title",
            )
            with VerticalScroll(id="doctor-body"):
                yield Static(id="report")
            yield Static(
                Content.styled(
                    "Same checks as `convex-tui doctor`. r: run again · esc: close", "$text-muted"
                ),
                id="doctor-hint",
            )

    def on_mount(self) -> None:
        self.action_rerun()

    def action_rerun(self) -> None:
        self.query_one("#report", Static).update(
            Content("Running the checks (services, admin key, env files, Docker)…")
        )
        self._run()

    @work(thread=True, exclusive=True, exit_on_error=False, description="doctor checks")
    def _run(self) -> None:
        checks = self.run_checks(self.settings)
        self.app.call_from_thread(self._show, checks)

    def _show(self, checks: list[Check]) -> None:
        self.checks = checks
        report = checks_text(checks, self.app.get_css_variables(), fixes=True)
        self.query_one("#report", Static).update(Group(report, Text(), Text(summary(checks))))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#report", Static).update(
                Content(f"The checks failed: {type(error).__name__}: {error}")
            )

    def action_close(self) -> None:
        self.dismiss(None)
