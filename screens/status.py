"""Status pane: the three services (HTTP probes) and the deployment's containers (Docker).

Live without tight polling: the Docker events stream (its own thread) drives container
changes, one stats stream per running container (own threads) fills CPU/memory, and the HTTP
probe re-arms a one-shot timer after each result, backing off while the API is down.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from screens.bindings import to_bindings
from screens.messages import DockerUpdated, ProbesFinished, StatsReceived
from screens.status_live import LiveTotal
from screens.widgets.cells import cell, tone_colors
from screens.widgets.checks import checks_text
from screens.widgets.services_table import ServicesTable
from screens.widgets.tables import FittingTable
from tui.docker.models import ContainerInfo, ContainerStats
from tui.docker.streams import StreamThread
from tui.docker.watcher import ContainerChanged, Disconnected, Snapshot, WatchUpdate
from tui.doctor.checks import Check, check_services, config_checks, notices
from tui.status.early import EarlyWatch
from tui.status.keys import STATUS_KEYS
from tui.status.probes import ServiceProbes
from tui.status.services import selector_for
from tui.status.status_view import container_row, containers_summary

PROBE_OK_DELAY = 5.0
PROBE_MAX_DELAY = 30.0
CONTAINER_COLUMNS = (
    "name",
    "service",
    "state",
    "health",
    "uptime",
    "cpu",
    "memory",
    "restarts",
    "ports",
    "image",
)


class StatusScreen(LiveTotal):
    CSS_PATH = "../styles/status.tcss"
    AUTO_FOCUS = "#containers"  # one focus change on the first frame, not Textual's then ours
    BINDINGS = [
        *to_bindings(STATUS_KEYS),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="list.clear_filter"),
    ]

    def __init__(self) -> None:
        super().__init__(name="status", id="pane-status")
        self._probes: ServiceProbes | None = None
        self._probe_timer: Timer | None = None
        self._probe_delay = 1.0
        self._containers: dict[str, ContainerInfo] = {}
        self._stats: dict[str, ContainerStats] = {}
        self._stats_workers: dict[str, StreamThread[ContainerStats]] = {}
        self._watch: StreamThread[WatchUpdate] | EarlyWatch | None = None
        self._docker_message: str | None = None
        self._filter = ""
        self._filter_target = "containers"
        self._generation = 0  # bumps on profile switch: late results of the old target are dropped
        self._config_checks: list[Check] = []
        self._matched_by = ""  # the container rule that applied (from the last snapshot)
        self.notices: list[Check] = []  # the failing doctor checks shown above the services

    # ------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        notices = Static(id="notices", classes="-hidden")
        notices.border_title = "Doctor"
        notices.border_subtitle = "d: full report"
        yield notices
        services = ServicesTable(id="services", cursor_type="row", zebra_stripes=False)
        services.border_title = "Services"
        yield services
        # The filter box is mounted on first use (`/`): nothing on the first frame needs it.
        yield Static(id="docker-message", classes="-hidden")
        containers: FittingTable[Text] = FittingTable(id="containers", cursor_type="row")
        containers.border_title = "Containers"
        yield containers

    def on_mount(self) -> None:
        containers = self.query_one("#containers", DataTable)
        for label in CONTAINER_COLUMNS:
            containers.add_column(Text(label), key=label)  # a Text: no markup parse
        self.watch(self.app, "theme", lambda _: self._redraw(), init=False)
        self.watch(self.app, "context", lambda _: self.retarget(), init=False)
        self.watch(self.app, "convex_generation", self._convex_ready, init=True)
        self._start()

    def on_unmount(self) -> None:
        self._stop()

    # ------------------------------------------------------------ lifecycle

    def _start(self) -> None:
        ctx = self.host.context
        # The doctor's checks that need no network, now; the service checks follow each probe.
        self._config_checks = config_checks(ctx.settings)
        self._render_notices()
        self._render_services()
        self.query_one(
            "#containers", DataTable
        ).border_subtitle = f"matched by {selector_for(ctx.settings).describe()}"
        self._probe()
        if ctx.docker is None:
            self._show_docker_message(ctx.docker_error or "Docker support is not available.")
            self.host.update_header(containers="docker n/a")
        else:
            self.host.update_header(containers="…")
            self._watch_docker()

    def _stop(self) -> None:
        self._generation += 1
        if self._probe_timer is not None:
            self._probe_timer.stop()
            self._probe_timer = None
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        for cid in list(self._stats_workers):
            self._stop_stats(cid)
        self.workers.cancel_node(self)

    def retarget(self) -> None:
        """The App switched profile: drop everything about the old target and start over."""
        self._stop()
        self._probes = None
        self._probe_delay = 1.0
        self._containers.clear()
        self._stats.clear()
        self._docker_message = None
        self._matched_by = ""
        self.query_one("#docker-message", Static).add_class("-hidden")
        self.query_one("#services", DataTable).border_subtitle = ""  # the old target's total
        self._render_containers()
        self._start()

    # ------------------------------------------------------------ HTTP probes

    def _probe(self) -> None:
        self._probe_timer = None
        early = self.host.context.prober.ready()
        if early is not None:  # answered before this screen mounted: on its first frame
            self._probes_finished(ProbesFinished(early))
            return
        self._run_probe(self._generation)

    @work(group="probe", exclusive=True, exit_on_error=False, description="probe services")
    async def _run_probe(self, generation: int) -> None:
        probes = await self.host.context.prober.probe()
        if generation == self._generation:
            self.post_message(ProbesFinished(probes))

    @on(ProbesFinished)
    def _probes_finished(self, message: ProbesFinished) -> None:
        self._probes = api = message.probes
        up = api.api.reachable and api.api.error is None
        self.host.update_header(http="up" if up else "down", version=api.api.version)
        self._render_services()
        self._render_notices()
        # Re-arm after each result; back off while the API is down (no overlapping requests).
        self._probe_delay = PROBE_OK_DELAY if up else min(self._probe_delay * 2, PROBE_MAX_DELAY)
        self._probe_timer = self.set_timer(self._probe_delay, self._probe)

    def action_refresh(self) -> None:
        if self._probe_timer is not None:
            self._probe_timer.stop()
        self._probe_delay = 1.0
        self._probe()

    # ------------------------------------------------------------ Docker

    def _watch_docker(self) -> None:
        backend = self.host.context.docker
        assert backend is not None
        if self._watch is not None:
            self._watch.stop()
        selector = selector_for(self.host.context.settings)
        early = self.host.context.early
        watch = early.take_watch(selector) if early is not None else None
        if watch is not None:  # started before Textual: what it saw goes on this frame
            self._watch = watch
            for update in watch.attach(lambda u: self.post_message(DockerUpdated(u)),
                                       self._stream_failed):  # fmt: skip
                self._docker_updated(DockerUpdated(update))
            return
        # Its own thread, not a Textual thread worker (asyncio's default executor): long-lived
        # streams there would make a user's `stop` queue behind them (issue 9, defect 2).
        self._watch = StreamThread(
            "docker events",
            lambda: backend.watch(selector),
            lambda update: self.post_message(DockerUpdated(update)),
            self._stream_failed,
        ).start()

    def _stream_failed(self, exc: BaseException) -> None:
        self.app.call_from_thread(
            self.notify,
            f"Docker stream ended: {exc}",
            title="Error",
            severity="error",
            markup=False,
        )

    @on(DockerUpdated)
    def _docker_updated(self, message: DockerUpdated) -> None:
        update = message.update
        if isinstance(update, Disconnected):
            for cid in list(self._stats_workers):
                self._stop_stats(cid)
            self._containers.clear()
            self._stats.clear()
            self._show_docker_message(
                f"{update.error}\nHTTP probes keep running; retrying in {update.retry_in:.0f}s."
            )
            self.host.update_header(containers="docker down")
            self._render_containers()
            return
        if isinstance(update, Snapshot):
            self._containers = {c.id: c for c in update.containers}
            if update.selector is not None:  # which rule matched them
                self._matched_by = update.selector.describe()
                table = self.query_one("#containers", DataTable)
                table.border_subtitle = f"matched by {self._matched_by}"
            self.query_one("#docker-message", Static).add_class("-hidden")
            self._docker_message = None
        elif isinstance(update, ContainerChanged):
            cid = update.event.container_id
            if update.container is None:
                self._containers.pop(cid, None)
            else:
                self._containers[cid] = update.container
        self._sync_stats()
        self.host.update_header(containers=containers_summary(self._containers.values()))
        self._render_containers()

    def _render_notices(self) -> None:
        """Each failing doctor check as a notice line: the cause and the fix, in its words."""
        checks = list(self._config_checks)
        if self._probes is not None:
            checks.extend(check_services(self.host.context.settings, self._probes))
        self.notices = notices(checks, self.host.context.settings)
        widget = self.query_one("#notices", Static)
        widget.set_class(not self.notices, "-hidden")
        if self.notices:
            widget.update(checks_text(self.notices, self.app.get_css_variables(), fixes=True))

    def action_doctor(self) -> None:
        from screens.doctor import DoctorScreen

        self.app.push_screen(DoctorScreen(self.host.context.settings))

    def _show_docker_message(self, text: str) -> None:
        self._docker_message = text
        widget = self.query_one("#docker-message", Static)
        widget.update(Text(text))  # engine text: never markup
        widget.remove_class("-hidden")

    def _sync_stats(self) -> None:
        """One stats stream per running container; none for stopped ones."""
        running = {cid for cid, c in self._containers.items() if c.running}
        for cid in list(self._stats_workers):
            if cid not in running:
                self._stop_stats(cid)
        backend = self.host.context.docker
        if backend is None:
            return
        for cid in running - set(self._stats_workers):
            # A lost sample is harmless (the events stream reports the engine): no on_error.
            self._stats_workers[cid] = StreamThread(
                f"stats {self._containers[cid].name}",
                partial(backend.stats_stream, cid),
                lambda stats: self.post_message(StatsReceived(stats)),
            ).start()

    def _stop_stats(self, cid: str) -> None:
        thread = self._stats_workers.pop(cid, None)
        if thread is not None:
            thread.stop()  # closes the feed: wakes the thread blocked on the socket
        self._stats.pop(cid, None)

    @on(StatsReceived)
    def _stats_received(self, message: StatsReceived) -> None:
        cid = message.stats.container_id
        if cid not in self._stats_workers:
            return  # a late sample from a stream we already closed
        self._stats[cid] = message.stats
        info = self._containers.get(cid)
        table = self.query_one("#containers", DataTable)
        if info is None or cid not in table.rows:
            return
        row = container_row(info, message.stats, self._now())
        colors = tone_colors(self.app.get_css_variables())
        table.update_cell(cid, "cpu", cell(row.cpu, colors), update_width=True)
        table.update_cell(cid, "memory", cell(row.memory, colors), update_width=True)
        # Stats arrive about once a second per running container: keep its uptime current too.
        table.update_cell(cid, "uptime", cell(row.uptime, colors), update_width=True)

    # ------------------------------------------------------------ rendering

    def _now(self) -> datetime:
        clock = self.host.context.clock
        return clock() if clock else datetime.now(UTC)

    def _redraw(self) -> None:
        self._render_notices()
        self._render_services()
        self._render_containers()

    def _matches(self, *texts: str) -> bool:
        needle = self._filter.lower()
        return not needle or any(needle in t.lower() for t in texts)

    def _render_services(self) -> None:
        table = self.query_one("#services", ServicesTable)
        match = self._matches if self._filter_target == "services" else None
        table.show(self.host.context.settings, self._probes, match)

    def _render_containers(self) -> None:
        table = self.query_one("#containers", DataTable)
        colors = tone_colors(self.app.get_css_variables())
        selected = self._selected_container()
        table.clear()
        now = self._now()
        infos = sorted(self._containers.values(), key=lambda c: (c.service or "", c.name))
        shown = 0
        for info in infos:
            row = container_row(info, self._stats.get(info.id), now)
            if self._filter_target == "containers" and not self._matches(
                row.name, row.service, row.image, row.state[0]
            ):
                continue
            table.add_row(
                *(
                    cell(v, colors)
                    for v in (
                        row.name,
                        row.service,
                        row.state,
                        row.health,
                        row.uptime,
                        row.cpu,
                        row.memory,
                        row.restarts,
                        row.ports,
                        row.image,
                    )
                ),
                key=info.id,
            )
            shown += 1
        total = len(infos)
        table.border_title = f"Containers {shown}/{total}" if self._filter else "Containers"
        if selected is not None and selected.id in table.rows:
            table.move_cursor(row=table.get_row_index(selected.id), animate=False)
        if not total and self._docker_message is None and self.host.context.docker is not None:
            project = self.host.context.settings.compose_project
            self._show_empty_hint(project)
        elif self._docker_message is None:
            self.query_one("#docker-message", Static).add_class("-hidden")

    def _show_empty_hint(self, project: str | None) -> None:
        settings = self.host.context.settings
        where = self._matched_by or selector_for(settings).describe()
        widget = self.query_one("#docker-message", Static)
        if settings.in_process_sandbox:  # `convex-tui demo`: nothing to start, nothing wrong
            widget.update(
                Text(
                    "The demo's sandbox runs inside convex-tui: no containers. In a workspace, "
                    f"the deployment's containers show here (matched by {where})."
                )
            )
            widget.remove_class("-hidden")
            return
        # The command on a line of its own: a narrow pane never breaks it in two.
        widget.update(
            Text(f"No containers matched by {where}. Start them with:\n  docker compose up -d")
        )
        widget.remove_class("-hidden")

    # ------------------------------------------------------------ selection helpers

    def _selected_container(self) -> ContainerInfo | None:
        table = self.query_one("#containers", DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - cursor outside the rows after a clear
            return None
        return self._containers.get(str(key.value))

    # ------------------------------------------------------------ filter

    def action_filter(self) -> None:
        focused = self.focused
        self._filter_target = "services" if focused and focused.id == "services" else "containers"
        try:
            box = self.query_one("#filter", Input)
        except NoMatches:
            box = Input(id="filter")
            self.mount(box, before="#docker-message")
        box.remove_class("-hidden")
        box.placeholder = f"filter {self._filter_target} (esc clears)"
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter = event.value.strip()
        self._redraw()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one(f"#{self._filter_target}", DataTable).focus()

    def action_clear_filter(self) -> None:
        try:
            box = self.query_one("#filter", Input)
        except NoMatches:
            return  # never opened
        if box.has_class("-hidden"):
            return
        box.value = ""
        box.add_class("-hidden")
        self._filter = ""
        self._redraw()
        self.query_one(f"#{self._filter_target}", DataTable).focus()

    # ------------------------------------------------------------ worker errors (one place)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        if worker.group == "stats":
            return  # the events stream reports the engine's state; a lost sample is harmless
        if worker.group == "probe":
            # Keep probing: a crash in one probe must not stop the live view.
            self._probe_timer = self.set_timer(PROBE_MAX_DELAY, self._probe)
        self.notify(f"{worker.description}: {error}", title="Error", severity="error", markup=False)
