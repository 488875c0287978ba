"""The doctor's Docker check: is the engine reachable, and which compose containers are there."""

from __future__ import annotations

from tui.config.model import Settings
from tui.doctor.checks import NO_CONTAINERS, Status


def list_compose_containers(settings: Settings) -> tuple[Status, str, list[str]]:
    from tui.docker import DockerError, DockerService
    from tui.status.services import selector_for

    service = DockerService(timeout=3)
    try:
        engine = service.ping()
        selector = selector_for(settings)
        containers = service.list_containers(selector)
        selector = selector.resolve(c.labels for c in containers)
    except DockerError as exc:
        return "warn", str(exc), []
    finally:
        service.close()
    names = [c.name for c in containers]
    if not names:
        return (
            "warn",
            f"Docker {engine.version} is up, but {NO_CONTAINERS} (by {selector.describe()})",
            [],
        )
    up = sum(c.state == "running" for c in containers)
    return "ok", f"{up}/{len(names)} up: {', '.join(names)} (by {selector.describe()})", names
