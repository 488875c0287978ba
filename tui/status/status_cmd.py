"""`convex-tui status [--json]`: the status pane's facts once, for scripts. Exit 1 if the API is down.

Blocking, on the standard library: the probes (tui.net.http) and the engine API over its socket
(tui.docker.engine) at once on two threads; no httpx, asyncio or Docker SDK import (issue 19).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tui.safety.text import safe_stream, show_url
from tui.status.probes import probe_services
from tui.status.services import selector_for
from tui.status.status_view import container_row, report, service_rows

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.docker.models import ContainerInfo
    from tui.status.probes import ServiceProbes

DOCKER_TIMEOUT = 10.0


def _containers(settings: Settings) -> tuple[list[ContainerInfo] | None, str | None]:
    from tui.docker.engine import EngineApi
    from tui.docker.errors import DockerError

    engine = EngineApi(timeout=DOCKER_TIMEOUT)
    try:
        return engine.list_containers(selector_for(settings)), None
    except DockerError as exc:
        return None, str(exc)
    finally:
        engine.close()


def gather(settings: Settings) -> tuple[ServiceProbes, list[ContainerInfo] | None, str | None]:
    """The services' probes and the deployment's containers, at once (a thread each)."""
    from tui.net.background import Background

    docker = Background(_containers, settings)
    probes = probe_services(settings.url, settings.site_url, settings.dashboard_url,
                            settings.admin_key)  # fmt: skip
    containers, docker_error = docker.result()
    return probes, containers, docker_error


def status_main(args: argparse.Namespace, settings: Settings) -> int:
    probes, containers, docker_error = gather(settings)
    now = datetime.now(UTC)
    data = report(settings, probes, containers, docker_error, now)
    data["containers_matched_by"] = matched_by(settings, containers)
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2))
    else:
        # Container names, errors and URLs come from outside: the sanitizer sees every byte.
        print(
            render_text(settings, probes, containers, docker_error, now),
            file=safe_stream(sys.stdout, settings.admin_key),
        )
    return 0 if data["api_up"] else 1


def matched_by(settings: Settings, containers: list[ContainerInfo] | None) -> str:
    """Which rule chose the containers: compose project, working dir or Convex images."""
    return selector_for(settings).resolve(c.labels for c in containers or []).describe()


def render_text(
    settings: Settings,
    probes: ServiceProbes,
    containers: list[ContainerInfo] | None,
    docker_error: str | None,
    now: datetime,
) -> str:
    lines = [f"profile {settings.profile}: {show_url(settings.url)}", "", "SERVICES"]
    for row in service_rows(settings, probes):
        lines.append(
            f"  {row.name:<10} {row.state[0]:<6} {row.latency:>7}  {row.local_url}"
            f"  {row.detail[0]}" + (f"  key: {row.admin_key[0]}" if row.key == "api" else "")
        )
        if row.external_url:
            lines.append(f"  {'':<10} external {row.external_url}")
    lines += ["", f"CONTAINERS (matched by {matched_by(settings, containers)})"]
    if containers is None:
        lines.append(f"  {docker_error}")
    elif not containers:
        lines.append("  none found")
    for info in containers or []:
        r = container_row(info, None, now)
        lines.append(
            f"  {r.name:<28} {r.service:<10} {r.state[0]:<12} {r.health[0]:<9} "
            f"up {r.uptime:<8} restarts {r.restarts:<3} {r.ports}"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    from tui.config import load_settings

    sys.exit(status_main(argparse.Namespace(json="--json" in sys.argv), load_settings()))
