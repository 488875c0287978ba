"""Base of every pane: the header line above, the footer below, the pane's body between."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual import events, on
from textual.app import ComposeResult
from textual.screen import Screen

from screens.widgets.footer import ConsoleFooter
from screens.widgets.header import ConsoleHeader
from tui.safety.guard import WriteGuard, WriteKind

if TYPE_CHECKING:
    from pathlib import Path

    from tui.config import Settings
    from tui.config.secret import Secret
    from tui.convex.client import ConvexClient
    from tui.logs.containers import ContainerLogs, Emit

    FollowersFactory = Callable[[Emit], ContainerLogs]
    from tui.status.early import EarlyStart
    from tui.status.services import ContainerBackend, Prober


@dataclass(frozen=True)
class ConsoleContext:
    """Everything a pane may talk to, built once per profile by the App."""

    settings: Settings
    prober: Prober
    docker: ContainerBackend | None
    docker_error: str | None = None  # why `docker` is None
    clock: Callable[[], datetime] | None = None
    # The one write guard of this target: every client built for it consults this instance.
    guard: WriteGuard = field(default_factory=WriteGuard)
    # The Logs pane's container readers (threads on the engine's socket), built on first use;
    # None: no container logs here (no engine, or a test that does not script them).
    log_followers: FollowersFactory | None = None
    # What started before Textual was imported (the first target only): the Status pane adopts
    # its container watch, whose first snapshot is then on the pane's first frame.
    early: EarlyStart | None = None


@dataclass(frozen=True)
class PaneTarget:
    """What another pane asks a pane to open: `open_in("data", PaneTarget("document", id))`.

    kinds: "container" (Logs), "document" (Data), "table" (Data), "function" (Functions),
    "request" (Logs: a request id), "script" (Scripts)."""

    kind: str
    value: str


class ConsoleHost(Protocol):
    """What panes may ask of the App (a typed view, so screens never import `screens.app`)."""

    @property
    def context(self) -> ConsoleContext: ...

    def update_header(self, **changes: Any) -> None: ...

    def guard_write(self, what: str, kind: WriteKind = ...) -> bool: ...

    def show_logs(self, container: str) -> None: ...

    def open_in(self, pane: str, target: PaneTarget) -> None: ...

    def deployed(self) -> None: ...

    def use_admin_key(self, key: Secret, env_file: Path) -> None: ...

    @property
    def convex(self) -> ConvexClient | None: ...

    def switch_shown(self) -> None: ...


class PaneScreen(Screen[None]):
    """Subclasses implement `compose_body`."""

    # Suspended since its styles were last refreshed: the next resume restyles it.
    _stale_styles = False

    @on(events.ScreenSuspend)
    def _suspended(self) -> None:
        self._stale_styles = True

    @on(events.ScreenResume)
    def _resumed(self, event: events.ScreenResume) -> None:
        # Textual restyles every node of a screen on each resume, and a mode's first showing
        # resumes it twice (`_init_mode`, then `switch_mode`): three stylings of a tree that was
        # styled as it mounted, ~40% of a first visit (issue 19). A screen never suspended
        # since has nothing to catch up on (a class or focus change restyles its node at once).
        event.refresh_styles = self._stale_styles
        self._stale_styles = False
        # After the pane's own resume handlers (this class comes after theirs in the MRO):
        # the App may paint now (see ConsoleApp.delay_update).
        self.host.switch_shown()

    def _compositor_refresh(self) -> None:
        # A frame asked for while the App holds repaints (its start-up batch, a pane switch)
        # is rendered by Textual and then dropped by `App._display`: ~14 ms of the first
        # frame. It is left to the first frame after the hold instead.
        if self.app._batch_count and self is self.app.screen:
            self._repaint_required = True
            return
        super()._compositor_refresh()

    def compose(self) -> ComposeResult:
        yield ConsoleHeader()
        yield from self.compose_body()
        yield ConsoleFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def open_target(self, target: PaneTarget) -> None:
        """Another pane asks this one to show something (see `PaneTarget`); default: ignore."""

    @property
    def host(self) -> ConsoleHost:
        return cast("ConsoleHost", self.app)
