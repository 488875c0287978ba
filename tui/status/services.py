"""What the console's screens talk to, behind small Protocols so tests can pass fakes.

Screens never see HTTP or Docker objects: they get a :class:`Prober` and a
:class:`ContainerBackend`, built once by the App from the settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from tui.config.secret import Secret
from tui.status.probes import ServiceProbes, Sessions, probe_services

if TYPE_CHECKING:
    from concurrent.futures import Future

    from tui.config import Settings
    from tui.docker.models import ContainerStats, Selector
    from tui.docker.watcher import WatchUpdate


class Prober(Protocol):
    async def probe(self) -> ServiceProbes: ...

    def ready(self) -> ServiceProbes | None:
        """An answer already in hand (the early round, once it is done), without waiting."""
        ...

    async def aclose(self) -> None: ...


class Watch(Protocol):
    """A blocking feed of container updates; ``stop()`` may be called from any thread."""

    def __iter__(self) -> Iterator[WatchUpdate]: ...

    def stop(self) -> None: ...


class StatsFeed(Protocol):
    def __iter__(self) -> Iterator[ContainerStats]: ...

    def close(self) -> None: ...


class ContainerBackend(Protocol):
    """The blocking Docker operations the status pane uses (see `tui.docker.client`)."""

    def watch(self, selector: Selector | None = None) -> Watch: ...

    def stats_stream(self, container: str) -> StatsFeed: ...

    def start(self, container: str) -> None: ...

    def stop(self, container: str, timeout: int = 10) -> None: ...

    def restart(self, container: str, timeout: int = 10) -> None: ...

    def exec_generate_admin_key(self, container: str) -> Secret: ...

    def close(self) -> None: ...


class ServiceProber:
    """Probes API, site and dashboard on the standard library (keep-alive sessions), in its own
    small thread pool — never asyncio's default executor, where Docker calls may queue.

    :meth:`start` sends the first round at once, from any thread: the console calls it before
    importing Textual, so the answer is there by the first frame (issue 19)."""

    def __init__(
        self,
        api_url: str,
        site_url: str,
        dashboard_url: str,
        admin_key: Secret | None,
        *,
        timeout: float = 3.0,
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.api_url = api_url
        self.site_url = site_url
        self.dashboard_url = dashboard_url
        self._admin_key = admin_key
        self._sessions = Sessions(timeout)
        # A round: the caller's thread (API), site, dashboard, the instance name.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="probe")
        self._early: Future[ServiceProbes] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceProber:
        return cls(settings.url, settings.site_url, settings.dashboard_url, settings.admin_key)

    def probe_blocking(self) -> ServiceProbes:
        return probe_services(
            self.api_url, self.site_url, self.dashboard_url, self._admin_key,
            sessions=self._sessions, pool=self._pool,
        )  # fmt: skip

    def start(self) -> ServiceProber:
        """Send the first round now; the next :meth:`probe` returns its answer."""
        if self._early is None:
            self._early = self._pool.submit(self.probe_blocking)
        return self

    def ready(self) -> ServiceProbes | None:
        """The early round's answer when it has arrived: the first frame can show it, instead
        of the frame after (a worker, a message, a repaint: ~40 ms of first paint)."""
        early = self._early
        if early is None or not early.done() or early.exception() is not None:
            return None
        self._early = None
        return early.result()

    async def probe(self) -> ServiceProbes:
        import asyncio

        early, self._early = self._early, None
        if early is not None:
            return await asyncio.wrap_future(early)
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.probe_blocking)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._sessions.close()

    async def aclose(self) -> None:
        self.close()


def selector_for(settings: Settings) -> Selector:
    """This deployment's containers: its compose project, else its directory, else images."""
    from tui.docker.models import Selector

    return Selector(project=settings.compose_project, project_dir=str(settings.project_dir))


def first_backend(names_and_services: Iterable[tuple[str, str | None]]) -> str | None:
    """The container to run ``generate_admin_key.sh`` in when none is selected."""
    for name, service in names_and_services:
        if service == "backend":
            return name
    return None
