"""The container half of the Logs pane: which of the deployment's containers are followed (all
of them, by the Status pane's rule, until the user chooses with `o`), their reader threads,
the chooser and the bar's words for it. `LogsScreen` builds on this class."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.timer import Timer
from textual.worker import get_current_worker

from screens.logs_dialogs import ContainersScreen
from screens.pane import PaneScreen
from tui.logs.following import ContainerChoice
from tui.logs.inbox import Inbox
from tui.logs.record import Record, marker

if TYPE_CHECKING:
    from tui.logs.containers import ContainerLogs

RELIST_S = 15.0  # while following automatically, containers that appear are picked up this fast


class LogContainers(PaneScreen):
    inbox: Inbox

    def _init_containers(self) -> None:
        self.followers: ContainerLogs | None = None  # created on first use
        self.choice = ContainerChoice()
        self._relist: Timer | None = None

    def _render_bar(self) -> None:  # the pane's bar shows `containers_label`
        raise NotImplementedError

    def _emit_container(self, rows: list[Record]) -> None:  # any thread: into the inbox
        raise NotImplementedError

    def _show_now(self, rows: list[Record]) -> None:  # UI thread: shown in this turn
        raise NotImplementedError

    # ------------------------------------------------------------ state

    @property
    def containers(self) -> set[str]:
        """The containers followed now."""
        return set(self.choice.followed)

    @property
    def known_containers(self) -> list[str]:
        return list(self.choice.listed or ())

    def containers_unavailable(self) -> str | None:
        """Why this pane shows no container logs, or None when it can."""
        ctx = self.host.context
        if ctx.settings.in_process_sandbox:
            return "The demo's sandbox runs inside convex-tui: it has no containers."
        if ctx.docker is None:
            return ctx.docker_error or "Docker is not available."
        if ctx.log_followers is None:
            return "Container logs are not available here."
        return None

    def containers_label(self) -> str:
        if self.containers_unavailable() is not None:
            return "containers n/a"
        return self.choice.describe()

    def _readers(self) -> ContainerLogs:
        if self.followers is None:
            factory = self.host.context.log_followers
            assert factory is not None  # checked by containers_unavailable
            self.followers = factory(self._emit_container)
        return self.followers

    # ------------------------------------------------------------ start / stop

    def start_containers(self) -> None:
        """On open and after a profile switch: list the deployment's containers and follow
        them (their last lines first, then live)."""
        if self.containers_unavailable() is None:
            self._list_containers()

    def stop_containers(self, reason: str = "no longer followed") -> None:
        if self._relist is not None:
            self._relist.stop()
            self._relist = None
        self.workers.cancel_group(self, "containers")
        for name in sorted(self.choice.followed):
            self._stop_one(name, reason)
        self.choice = ContainerChoice()

    def close_containers(self) -> None:
        if self._relist is not None:
            self._relist.stop()
        if self.followers is not None:
            self.followers.close()
            self.followers = None

    def follow_container(self, name: str) -> None:
        """Follow one more container (the Status pane's `l`), keeping the others."""
        if self.containers_unavailable() is not None:
            return
        self.choice.add(name)
        self._apply_choice()

    def unfollow_container(self, name: str) -> None:
        if name in self.choice.followed:
            self.choice.choose(self.choice.chosen - {name})
            self._apply_choice()

    def _apply_choice(self) -> None:
        start, stop = self.choice.changes()
        for name in stop:
            self._stop_one(name, "no longer followed")
        for name in start:
            self._readers().start(name)
            self.choice.followed.add(name)
        self._render_bar()

    def _stop_one(self, name: str, reason: str) -> None:
        if self.followers is not None:
            self.followers.stop(name)
        self.choice.followed.discard(name)
        self._show_now([marker(name, f"{name}: {reason}")])

    # ------------------------------------------------------------ listing

    @work(thread=True, group="containers", exclusive=True, exit_on_error=False,
          description="list containers")  # fmt: skip
    def _list_containers(self) -> None:
        from tui.docker.models import Selector

        settings = self.host.context.settings
        selector = Selector(settings.compose_project, str(settings.project_dir))
        names: list[str] | None = None
        problem = ""
        try:
            names = self._readers().list(selector)
        except Exception as exc:  # noqa: BLE001 - the engine's error is shown to the user
            problem = f"could not list them: {exc}"
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._listed, names, problem)

    def _listed(self, names: list[str] | None, problem: str) -> None:
        if names is None:
            self.choice.on_list_failed(problem)
        else:
            self.choice.on_listed(names)
            self._apply_choice()
        self._render_bar()
        dialog = self.app.screen
        if isinstance(dialog, ContainersScreen):  # `o` is open: offer what was found
            dialog.offer(names or [], self._chooser_note())
        if self.choice.auto and self._relist is None:
            self._relist = self.set_timer(RELIST_S, self._relist_now)

    def _relist_now(self) -> None:
        self._relist = None
        if self.choice.auto and self.containers_unavailable() is None:
            self._list_containers()

    # ------------------------------------------------------------ the chooser (`o`)

    def action_containers(self) -> None:
        """Opens at once with what is known (keys typed right after `o` go to the dialog);
        a fresh listing fills it in."""
        why = self.containers_unavailable()
        if why is not None:
            self.notify(why, severity="warning", markup=False)
            return
        names = sorted(set(self.choice.listed or ()) | self.choice.followed)

        def done(result: Any) -> None:
            if isinstance(result, set):
                self.choice.choose(result)
                self._apply_choice()

        note = self._chooser_note() if self.choice.listed is not None else "Listing containers…"
        self.app.push_screen(ContainersScreen(names, set(self.choice.followed), note), done)
        self._list_containers()

    def _chooser_note(self) -> str:
        if self.choice.problem:
            return self.choice.problem.capitalize()
        if not self.choice.listed and not self.choice.followed:
            return "No containers of this deployment (docker compose up -d starts them)."
        return ""
