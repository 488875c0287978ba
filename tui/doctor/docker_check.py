"""The doctor's Docker check: is the engine reachable, and which compose containers are there."""

from __future__ import annotations

from tui.config.model import Settings
from tui.doctor.checks import Status


def list_compose_containers(settings: Settings) -> tuple[Status, str, list[str]]:
    from tui.docker import DockerError, DockerUnavailable, connect, discover

    try:
        client = connect(timeout=3)
    except DockerUnavailable as exc:
        return "warn", exc.message, []
    except DockerError as exc:
        return "warn", exc.message, []
    try:
        containers = discover(client, settings.compose_project)
    except DockerError as exc:
        return "warn", exc.message, []
    finally:
        client.close()
    names = [c.name for c in containers]
    if not names:
        where = (
            f"project {settings.compose_project!r}" if settings.compose_project else "any project"
        )
        return "warn", f"Docker is up, but no Convex containers were found ({where})", []
    return "ok", f"{len(names)} container(s): {', '.join(names)}", names
