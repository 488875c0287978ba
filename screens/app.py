"""The Textual console: a thin App that builds clients from settings and installs the panes.

The only module under `tui/` that imports Textual. Entry points for the CLI:
`run_console(settings)` (the demo's is in screens/demo.py); tests build the App with `make_app(...)`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from screens.bindings import to_bindings
from screens.deploy import ProcessHost
from screens.keys_first import KeysFirst
from screens.modes import pane_screen, prewarm_panes, without_reparse
from screens.painting import Painting
from screens.pane import ConsoleContext, PaneScreen, PaneTarget
from screens.status import StatusScreen
from tui.config import CliOverrides, Settings, load_settings
from tui.config.secret import Secret
from tui.keys import APP_KEYS, PANES, display_keys, unknown_ids
from tui.safety.guard import WriteKind, WriteRequest, guard_for
from tui.safety.text import clean, clean_line, scrub_secret, show_url
from tui.status.early import EarlyStart, start_early
from tui.status.services import ContainerBackend, Prober, ServiceProber
from tui.status.status_view import HeaderState

FIRST_PAINT_S = 1.0  # the Convex client starts after the first probe's answer, or this late
FIRST_FRAME_S = 0.1  # a first frame is written to the terminal by then

if TYPE_CHECKING:
    from screens.pane import FollowersFactory
    from tui.logs.containers import ContainerLogs, Emit


def _console_commands() -> type[Provider]:
    # Imported on first use of the palette: keeps textual.command off the startup path.
    from screens.commands import ConsoleCommands

    return ConsoleCommands


ContextFactory = Callable[[Settings], ConsoleContext]
SettingsLoader = Callable[[str], Settings]


def default_context(settings: Settings, early: EarlyStart | None = None) -> ConsoleContext:
    """Real clients for a target: the prober (standard library) and one Docker service (engine
    API over its socket; the SDK only for actions and logs), already at work (`start_early`:
    the first target's were started before Textual was imported, and are adopted as they are)."""
    if early is None or early.settings is not settings:
        early = start_early(settings)
    followers = None if early.docker is None else _log_followers(early.docker.base_url)
    return ConsoleContext(settings, early.prober, early.docker, early.docker_error,
                          guard=early.guard, log_followers=followers, early=early)  # fmt: skip


def _log_followers(base_url: str) -> FollowersFactory:
    """The Logs pane's container readers on this engine (imported when the pane first asks)."""

    def make(emit: Emit) -> ContainerLogs:
        from tui.logs.containers import followers_from_env

        return followers_from_env(emit, base_url)

    return make


def default_loader(base: Settings) -> SettingsLoader:
    """Switching profile: the settings file's profile wins over the first run's --url flags."""

    def load(name: str) -> Settings:
        return load_settings(CliOverrides(profile=name, config_path=base.settings_file))

    return load


class ConsoleApp(ProcessHost, KeysFirst, Painting):  # deploys and scripts' children; the frames
    TITLE = "convex-tui"
    # The Status pane is the first mode itself: no default screen shown, suspended and switched
    # from at start (two more screen resumes, each re-composing the footer: issue 19).
    DEFAULT_MODE = "status"
    CSS_PATH = "../styles/app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = to_bindings(APP_KEYS)  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {_console_commands}

    header_state: reactive[HeaderState] = reactive(HeaderState, init=False)
    read_only: reactive[bool] = reactive(False, init=False)
    # Every pane watches this and retargets when the profile changes (attributes down).
    context: reactive[ConsoleContext] = reactive(cast("ConsoleContext", None), init=False)
    # Bumped each time a Convex client for the current target is ready (`self.convex`).
    convex_generation: reactive[int] = reactive(0, init=False)
    # Bumped after every deploy: panes showing functions, schema or tables watch it and refresh.
    deploy_generation: reactive[int] = reactive(0, init=False)

    def __init__(
        self,
        settings: Settings,
        *,
        context_factory: ContextFactory = default_context,
        settings_loader: SettingsLoader | None = None,
        connect_convex: bool = True,
    ) -> None:
        self._context_factory = context_factory
        self._settings_loader = settings_loader or default_loader(settings)
        self._connect_convex = connect_convex
        self._client_timer: Timer | None = None
        self._prewarmed = False  # the panes are imported once the first screen is up
        self.convex: Any = None  # tui.convex.client.ConvexClient once connected (lazy import)
        super().__init__()
        self.set_theme_before_css(settings.theme)
        self.set_reactive(ConsoleApp.context, context_factory(settings))
        self.set_reactive(ConsoleApp.read_only, settings.read_only)
        self.set_reactive(ConsoleApp.header_state, self._base_header(settings))
        self.add_mode("status", partial(without_reparse, self, StatusScreen))
        for pane, _title, _what in PANES[1:]:
            self.add_mode(pane, partial(without_reparse, self, partial(pane_screen, pane)))

    # ------------------------------------------------------------ start / stop

    def on_mount(self) -> None:
        self.take_terminal()
        settings = self.context.settings
        self.set_keymap(settings.keymap)
        bad = unknown_ids(settings.keymap)
        if bad:
            self.notify(
                f"[keymap] names unknown binding ids: {', '.join(bad)}",
                severity="warning",
                markup=False,
            )
        for problem in settings.problems:
            self.notify(problem, title="settings", severity="warning", timeout=8, markup=False)
        self._apply_frame()
        # The Convex client (httpx, websockets: ~80 ms to import and build, the import holding
        # the GIL even in a thread) starts once the first probe's answer is on screen, or after
        # FIRST_PAINT_S at the latest: nothing on the first frame needs it (issue 19).
        self._client_timer = self.set_timer(FIRST_PAINT_S, self._start_first_client)
        if self.header_state.http != "unknown":
            # The early probe answered before the App mounted (the usual case): the client
            # starts as soon as the first frame is on the terminal, not FIRST_PAINT_S later (the
            # panes have their data and are warm a second sooner). Not at once: its import would
            # hold the GIL while Textual's writer thread sends that frame.
            self.set_timer(FIRST_FRAME_S, self._start_first_client)

    async def on_unmount(self) -> None:
        self.leave_terminal()
        await self._close_context(self.context, self.convex)

    async def _close_context(self, ctx: ConsoleContext, convex: Any) -> None:
        await ctx.prober.aclose()
        if ctx.early is not None:
            ctx.early.close()
        if ctx.docker is not None:
            ctx.docker.close()
        if convex is not None:
            await convex.close()

    def _start_first_client(self) -> None:
        if self._client_timer is None or self.keys_defer(self._start_first_client, FIRST_PAINT_S):
            return  # not wanted any more, or keys are coming (they go first)
        self._client_timer.stop()
        self._client_timer = None
        if self._connect_convex:
            self._start_convex_client()

    def _start_convex_client(self) -> None:
        self.run_worker(
            self._connect(self.context),
            group="convex-client",
            description="convex client",
            exit_on_error=False,
        )

    async def _connect(self, ctx: ConsoleContext) -> None:
        # Import and build off the event loop (websockets, httpx and its TLS context: ~80 ms).
        module = await asyncio.to_thread(importlib.import_module, "tui.convex.client")
        client = await asyncio.to_thread(
            module.ConvexClient, ctx.settings.url, ctx.settings.admin_key, guard=ctx.guard
        )
        if ctx is not self.context:  # the profile changed while importing
            await client.close()
            return
        self.convex = client
        client.on_state(lambda state: self.update_header(socket=state.ws_state))
        self.update_header(socket=client.state.ws_state)
        self.convex_generation += 1
        if not self._prewarmed:
            self._prewarmed = True
            quiet = partial(self.keys_quiet, FIRST_PAINT_S)
            self.run_worker(prewarm_panes(self, quiet), group="prewarm", exit_on_error=False,
                            description="import the panes")  # fmt: skip

    # ------------------------------------------------------------ header / frame

    def _base_header(self, settings: Settings) -> HeaderState:
        return HeaderState(
            profile=settings.profile,
            url=settings.url,
            read_only=settings.read_only,
            protected=settings.protected,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The App's own workers (client connect/close); panes handle theirs."""
        if event.state != WorkerState.ERROR or event.worker.node is not self:
            return
        if event.worker.group == "convex-client":
            self.update_header(socket="error")
        error = event.worker.error
        self.notify(
            f"{event.worker.description}: {error}", title="Error", severity="error", markup=False
        )

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast goes through the one sanitizer (container stderr, server errors, file
        names): no escape sequence and no admin key reaches the terminal, whoever calls this."""
        context = getattr(self, "context", None)
        key = context.settings.admin_key if context is not None else None
        message = scrub_secret(clean(message), key.reveal() if key else None)
        title = scrub_secret(clean_line(title, 80), key.reveal() if key else None)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def get_key_display(self, binding: Binding) -> str:
        """Keys in plain ASCII (`enter`, `up`, `^r`), as the help screen shows them: Textual's
        glyphs (`⏎`, `↑`) have no agreed cell width, and a terminal that draws one two cells
        wide shifts the footer by a cell."""
        return binding.key_display or display_keys(binding.key)

    def update_header(self, **changes: Any) -> None:
        self.header_state = dataclasses.replace(self.header_state, **changes)
        if "http" in changes and self._client_timer is not None:
            self.call_after_refresh(self._start_first_client)  # the API row is painted first

    def watch_read_only(self, value: bool) -> None:
        # The console's lock drives the one guard that every client consults.
        guard = self.context.guard
        if value and not guard.read_only:
            guard.lock()
        elif not value and guard.read_only:
            guard.unlock()
        self.update_header(read_only=value)

    def _apply_frame(self) -> None:
        # A protected target tints the frame of every pane (styles/app.tcss).
        self.set_class(self.context.settings.protected, "-protected")

    # ------------------------------------------------------------ read-only

    def guard_write(self, what: str, kind: WriteKind = WriteKind.CONTAINER) -> bool:
        """Ask the one guard (the same decision the clients make); say why when it refuses."""
        reason = self.context.guard.why_refused(WriteRequest(kind, what))
        if reason is None:
            return True
        self.notify(
            f"{what}: refused — {reason}", title="read-only", severity="warning", markup=False
        )
        return False

    def action_toggle_read_only(self) -> None:
        if not self.read_only:
            self.read_only = True
            self.notify("Read-only: write actions now refuse.", markup=False)
            return
        settings = self.context.settings
        protected = settings.protected

        def unlocked(ok: bool | None) -> None:
            if ok:
                self.read_only = False
                self.notify(
                    f"Writes unlocked for {settings.profile}.", severity="warning", markup=False
                )

        from screens.confirm import ConfirmScreen

        self.push_screen(
            ConfirmScreen(
                f"Unlock writes on {settings.profile}?",
                f"{show_url(settings.url)} is marked protected."
                if protected
                else show_url(settings.url),
                typed=settings.profile if protected else None,
                danger=True,
            ),
            unlocked,
        )

    # ------------------------------------------------------------ panes

    def action_pane(self, pane: str) -> None:
        if pane != self.current_mode:
            self.switch_mode(pane)

    def show_logs(self, container: str) -> None:
        self.open_in("logs", PaneTarget("container", container))

    def open_in(self, pane: str, target: PaneTarget) -> None:
        """Switch to ``pane`` and ask it to open ``target`` (an id, a function, a container)."""
        self.switch_mode(pane)
        screen = self.screen
        if isinstance(screen, PaneScreen):
            screen.open_target(target)

    def deployed(self) -> None:
        self.deploy_generation += 1

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.context.settings.keymap, self.current_mode))

    def action_back_or_quit(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()
        else:
            self.exit(0)

    # ------------------------------------------------------------ profiles

    def action_switch_profile(self) -> None:
        settings = self.context.settings
        profiles = [
            (name, p.url or "", p.protected) for name, p in sorted(settings.profiles.items())
        ]
        if settings.profile not in settings.profiles:
            profiles.insert(0, (settings.profile, settings.url, settings.protected))

        def picked(name: str | None) -> None:
            if name and name != settings.profile:
                self.apply_profile(name)

        from screens.profile_picker import ProfilePickerScreen

        self.push_screen(ProfilePickerScreen(profiles, settings.profile), picked)

    def apply_profile(self, name: str) -> None:
        try:
            settings = self._settings_loader(name)
        except Exception as exc:  # noqa: BLE001 - a bad profile must not crash the console
            self.notify(f"Cannot load profile {name}: {exc}", severity="error", markup=False)
            return
        self._retarget(settings)
        self.notify(f"Profile {settings.profile}: {show_url(settings.url)}", markup=False)

    def _retarget(self, settings: Settings, *, keep_lock: bool = False) -> None:
        """New settings: close the old clients, build new ones; panes watch `context`."""
        old, old_convex, self.convex = self.context, self.convex, None
        self.run_worker(
            self._close_context(old, old_convex),
            group="close",
            description="close old clients",
            exit_on_error=False,  # a client failing to close must not take the console down
        )
        read_only = self.read_only if keep_lock else settings.read_only
        self.header_state = self._base_header(settings)
        context = self._context_factory(settings)
        if keep_lock and read_only != context.guard.read_only:
            context.guard.lock() if read_only else context.guard.unlock()
        self.context = context  # panes watch this and retarget
        self.read_only = read_only  # after the new context: the lock drives *its* guard
        self.update_header(read_only=read_only)
        self._apply_frame()
        if self._client_timer is not None:  # the first client had not started yet
            self._client_timer.stop()
            self._client_timer = None
        if self._connect_convex:
            self._start_convex_client()

    def use_admin_key(self, key: Secret, env_file: Path) -> None:
        """A key just saved to ``env_file``: used at once (settings reloaded, clients rebuilt)."""
        from tui.config.envfiles import read_env_file

        settings = self.context.settings
        shadowed = settings.admin_key_source is not None and (
            settings.admin_key_source.startswith(("--admin-key", "env "))
        )
        files = tuple(
            read_env_file(ef.path) if ef.path.resolve() == env_file.resolve() else ef
            for ef in settings.env_files
        )
        self._retarget(
            dataclasses.replace(
                settings, admin_key=key, admin_key_source=f"{env_file}", env_files=files
            ),
            keep_lock=True,
        )
        if shadowed:
            self.notify(
                f"Using key {key.fingerprint} now; next start, {settings.admin_key_source} "
                "still wins over the file — update or unset it.",
                severity="warning",
                timeout=10,
                markup=False,
            )


def make_app(
    settings: Settings,
    *,
    prober: Prober | None = None,
    docker: ContainerBackend | None = None,
    docker_error: str | None = None,
    clock: Callable[[], Any] | None = None,
    settings_loader: SettingsLoader | None = None,
    connect_convex: bool = True,
    log_followers: FollowersFactory | None = None,
) -> ConsoleApp:
    """The App as the CLI builds it, with optional injected clients (tests, snapshots).
    Injected or not, container logs come only from ``log_followers`` when it is given."""
    if (
        prober is None
        and docker is None
        and docker_error is None
        and clock is None
        and log_followers is None
    ):
        return ConsoleApp(settings, settings_loader=settings_loader, connect_convex=connect_convex)

    def factory(s: Settings) -> ConsoleContext:
        return ConsoleContext(
            s,
            prober if prober is not None else ServiceProber.from_settings(s),
            docker,
            docker_error,
            clock,
            guard=guard_for(s),
            log_followers=log_followers,
        )

    return ConsoleApp(
        settings,
        context_factory=factory,
        settings_loader=settings_loader,
        connect_convex=connect_convex,
    )


def run_console(settings: Settings, early: EarlyStart | None = None) -> int:
    """Run the console; ``early``: the first target's probe and container watch, already at
    work (see screens/main.py)."""
    first: list[EarlyStart | None] = [early]

    def context(s: Settings) -> ConsoleContext:
        return default_context(s, first.pop() if first else None)

    app = ConsoleApp(settings, context_factory=context)
    # What import and start-up built lives for the whole session: moved out of the collector's
    # reach, it is never traversed again. Without this, a full collection fell on the first
    # visible frame (~35 ms of first paint, issue 19).
    import gc

    gc.freeze()
    gc.enable()
    result = app.run()
    return int(result or app.return_code or 0)


def _main(argv: list[str] | None = None) -> int:
    """`python -m screens.app [flags]`: the console alone (what `convex-tui serve` runs per session)."""
    import os

    from tui.cli import build_parser, settings_from_args

    args = build_parser().parse_args(argv)
    # `serve` hands the URL over in the environment: it may carry the key, so never in argv.
    served_url = os.environ.pop("CONVEX_TUI_SERVE_URL", None)
    if served_url and args.url is None:
        args.url = served_url
    return run_console(settings_from_args(args))


if __name__ == "__main__":
    sys.exit(_main())
