"""The doctor's Docker check: is the engine reachable, and which compose containers are there."""

from __future__ import annotations

from tui.config.model import Settings
from tui.doctor.checks import NO_CONTAINERS, Status


def list_compose_containers(settings: Settings) -> tuple[Status, str, list[str]]:
    from tui.docker import DockerError, DockerService, Selector

    service = DockerService(timeout=3)
    try:
        engine = service.ping()
        containers = service.list_containers(Selector(project=settings.compose_project))
    except DockerError as exc:
        return "warn", str(exc), []
    finally:
        service.close()
    names = [c.name for c in containers]
    if not names:
        where = (
            f"project {settings.compose_project!r}" if settings.compose_project else "any project"
        )
        return (
            "warn",
            f"Docker {engine.version} is up, but {NO_CONTAINERS} ({where})",
            [],
        )
    up = sum(c.state == "running" for c in containers)
    return "ok", f"{up}/{len(names)} up: {', '.join(names)}", names
