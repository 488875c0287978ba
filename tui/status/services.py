"""What the console's screens talk to, behind small Protocols so tests can pass fakes.

Screens never see httpx or the docker SDK: they get a :class:`Prober` and a
:class:`ContainerBackend`, built once by the App from the settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

import httpx

from tui.config.secret import Secret
from tui.status.probes import CLIENT_HEADER, ServiceProbes, probe_api, probe_http

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.docker.models import ContainerStats, Selector
    from tui.docker.watcher import WatchUpdate


class Prober(Protocol):
    async def probe(self) -> ServiceProbes: ...

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
    """Probes API, site and dashboard with one shared ``httpx.AsyncClient`` (keep-alive)."""

    def __init__(
        self,
        api_url: str,
        site_url: str,
        dashboard_url: str,
        admin_key: Secret | None,
        *,
        timeout: float = 3.0,
    ) -> None:
        self.api_url = api_url
        self.site_url = site_url
        self.dashboard_url = dashboard_url
        self._admin_key = admin_key
        self._client = httpx.AsyncClient(timeout=timeout, headers=CLIENT_HEADER)

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceProber:
        return cls(settings.url, settings.site_url, settings.dashboard_url, settings.admin_key)

    async def probe(self) -> ServiceProbes:
        import asyncio

        api, site, dash = await asyncio.gather(
            probe_api(self._client, self.api_url, self._admin_key),
            probe_http(self._client, self.site_url),
            probe_http(self._client, self.dashboard_url),
        )
        return ServiceProbes(api, site, dash)

    async def aclose(self) -> None:
        await self._client.aclose()


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
