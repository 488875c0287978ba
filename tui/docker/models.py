"""Frozen models of what the engine reports, built from the Engine API's JSON.

The parsers take plain dicts (inspect, stats, events) so they can be tested without an engine.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
CONVEX_IMAGE_RE = re.compile(r"convex-(backend|dashboard)")
POSTGRES_IMAGE_RE = re.compile(r"(^|/)postgres(ql)?([:@]|$)|postgis|pgvector|timescale")

# Labels worth keeping on a ContainerInfo: compose bookkeeping the pane may show.
KEPT_LABELS = (
    PROJECT_LABEL,
    SERVICE_LABEL,
    "com.docker.compose.container-number",
    "com.docker.compose.project.working_dir",
    "com.docker.compose.project.config_files",
    "com.docker.compose.version",
)

Health = Literal["healthy", "unhealthy", "starting"]
_NEVER = "0001-01-01T00:00:00Z"


def parse_docker_time(value: str | None) -> datetime | None:
    """RFC 3339 with nanoseconds (``2024-05-01T10:00:00.123456789Z``) → aware datetime.

    Docker's zero time means "never" and becomes ``None``.
    """
    if not value or value.startswith("0001-01-01"):
        return None
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", value)
    if m is None:
        return None
    base, frac, tz = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    parsed = datetime.fromisoformat(base + ("+00:00" if tz == "Z" else tz))
    return parsed.replace(microsecond=micro).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class PortBinding:
    container_port: int
    protocol: str
    host_ip: str | None = None
    host_port: int | None = None

    def __str__(self) -> str:
        inner = f"{self.container_port}/{self.protocol}"
        if self.host_port is None:
            return inner
        return f"{inner}→{self.host_ip or '0.0.0.0'}:{self.host_port}"


def parse_ports(attrs: Mapping[str, Any]) -> tuple[PortBinding, ...]:
    """Published ports of a container, falling back to configured bindings and exposed ports.

    A stopped container has no ``NetworkSettings.Ports``; its ``HostConfig.PortBindings`` still
    say what it publishes when it runs.
    """
    live = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    configured = (attrs.get("HostConfig") or {}).get("PortBindings") or {}
    exposed = (attrs.get("Config") or {}).get("ExposedPorts") or {}
    source: Mapping[str, Any] = live or configured or dict.fromkeys(exposed)
    out: set[PortBinding] = set()
    for key, bindings in source.items():
        port_s, _, proto = key.partition("/")
        try:
            port = int(port_s)
        except ValueError:
            continue
        if not bindings:
            out.add(PortBinding(port, proto or "tcp"))
            continue
        for b in bindings:
            host_port = b.get("HostPort") or None
            out.add(
                PortBinding(
                    port,
                    proto or "tcp",
                    b.get("HostIp") or None,
                    int(host_port) if host_port and host_port.isdigit() else None,
                )
            )
    return tuple(sorted(out, key=lambda p: (p.container_port, p.protocol, p.host_ip or "")))


def is_postgres_image(image: str) -> bool:
    return bool(POSTGRES_IMAGE_RE.search(image.lower()))


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    id: str
    name: str
    image: str
    state: str  # created, running, paused, restarting, removing, exited, dead
    health: Health | None
    started_at: datetime | None
    finished_at: datetime | None
    restart_count: int
    exit_code: int | None
    ports: tuple[PortBinding, ...]
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def project(self) -> str | None:
        return self.labels.get(PROJECT_LABEL)

    @property
    def service(self) -> str | None:
        return self.labels.get(SERVICE_LABEL)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def is_postgres(self) -> bool:
        return is_postgres_image(self.image) or (self.service or "").startswith("postgres")

    @property
    def is_convex(self) -> bool:
        """A Convex image: a service *named* backend in a stranger's stack is not one."""
        return bool(CONVEX_IMAGE_RE.search(self.image))

    def uptime(self, now: datetime | None = None) -> timedelta | None:
        if not self.running or self.started_at is None:
            return None
        return max((now or datetime.now(UTC)) - self.started_at, timedelta(0))

    @property
    def ports_text(self) -> str:
        return ", ".join(str(p) for p in self.ports)

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        """Plain JSON-able facts (for ``convex-tui status --json``)."""
        uptime = self.uptime(now)
        return {
            "id": self.id,
            "name": self.name,
            "project": self.project,
            "service": self.service,
            "image": self.image,
            "state": self.state,
            "health": self.health,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "uptime_seconds": round(uptime.total_seconds()) if uptime is not None else None,
            "restart_count": self.restart_count,
            "exit_code": self.exit_code,
            "ports": [str(p) for p in self.ports],
            "is_postgres": self.is_postgres,
        }


def container_from_inspect(attrs: Mapping[str, Any]) -> ContainerInfo:
    """Build a :class:`ContainerInfo` from ``GET /containers/{id}/json``."""
    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    labels = config.get("Labels") or {}
    health_status = (state.get("Health") or {}).get("Status")
    health: Health | None = (
        health_status if health_status in ("healthy", "unhealthy", "starting") else None
    )
    status = str(state.get("Status") or "unknown")
    return ContainerInfo(
        id=str(attrs["Id"]),
        name=str(attrs.get("Name") or "").lstrip("/"),
        image=str(config.get("Image") or attrs.get("Image") or ""),
        state=status,
        health=health,
        started_at=parse_docker_time(state.get("StartedAt")),
        finished_at=parse_docker_time(state.get("FinishedAt")),
        restart_count=int(attrs.get("RestartCount") or 0),
        exit_code=None if status in ("running", "created") else state.get("ExitCode"),
        ports=parse_ports(attrs),
        labels={k: str(labels[k]) for k in KEPT_LABELS if k in labels},
    )


@dataclass(frozen=True, slots=True)
class ContainerStats:
    container_id: str
    read_at: datetime | None
    cpu_percent: float | None  # None on the first sample of a stream (no previous sample)
    mem_usage: int  # bytes, page cache excluded like `docker stats`
    mem_limit: int
    mem_percent: float
    pids: int | None

    @property
    def empty(self) -> bool:
        """A stopped container's frame: the engine sends zeros."""
        return self.mem_limit == 0 and self.cpu_percent in (None, 0.0)


def _num(d: Mapping[str, Any] | None, *path: str) -> int:
    cur: Any = d
    for key in path:
        if not isinstance(cur, Mapping):
            return 0
        cur = cur.get(key)
    return int(cur) if isinstance(cur, int | float) else 0


def stats_from_frame(container_id: str, frame: Mapping[str, Any]) -> ContainerStats:
    """Compute what `docker stats` shows (Linux rules) from one stats frame."""
    cpu, pre = frame.get("cpu_stats") or {}, frame.get("precpu_stats") or {}
    cpu_delta = _num(cpu, "cpu_usage", "total_usage") - _num(pre, "cpu_usage", "total_usage")
    sys_delta = _num(cpu, "system_cpu_usage") - _num(pre, "system_cpu_usage")
    online = _num(cpu, "online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or [])
    cpu_percent: float | None
    if not _num(pre, "system_cpu_usage"):
        cpu_percent = None
    elif sys_delta > 0 and cpu_delta >= 0:
        cpu_percent = cpu_delta / sys_delta * max(online, 1) * 100.0
    else:
        cpu_percent = 0.0
    mem = frame.get("memory_stats") or {}
    usage = _num(mem, "usage")
    mstats = mem.get("stats") or {}
    # cgroup v1 reports total_inactive_file, v2 inactive_file; docker CLI subtracts either.
    inactive = _num(mstats, "total_inactive_file") or _num(mstats, "inactive_file")
    if 0 < inactive < usage:
        usage -= inactive
    limit = _num(mem, "limit")
    pids = (frame.get("pids_stats") or {}).get("current")
    return ContainerStats(
        container_id=container_id,
        read_at=parse_docker_time(frame.get("read")),
        cpu_percent=cpu_percent,
        mem_usage=usage,
        mem_limit=limit,
        mem_percent=usage / limit * 100.0 if limit else 0.0,
        pids=int(pids) if isinstance(pids, int) else None,
    )


@dataclass(frozen=True, slots=True)
class ContainerEvent:
    container_id: str
    action: str  # start, die, stop, restart, health_status, destroy, ...
    detail: str | None  # "healthy" for health_status, the exit code for die
    time: datetime
    time_nano: int
    name: str
    image: str
    labels: Mapping[str, str]

    @property
    def project(self) -> str | None:
        return self.labels.get(PROJECT_LABEL)

    @property
    def service(self) -> str | None:
        return self.labels.get(SERVICE_LABEL)


def event_from_message(msg: Mapping[str, Any]) -> ContainerEvent | None:
    """Parse one ``/events`` message; ``None`` for non-container events."""
    if (msg.get("Type") or "container") != "container":
        return None
    actor = msg.get("Actor") or {}
    attrs = {str(k): str(v) for k, v in (actor.get("Attributes") or {}).items()}
    raw_action = str(msg.get("Action") or msg.get("status") or "")
    action, _, rest = raw_action.partition(":")
    detail = rest.strip() or None
    if action == "die" and detail is None:
        detail = attrs.get("exitCode")
    time_nano = int(msg.get("timeNano") or int(msg.get("time") or 0) * 1_000_000_000)
    return ContainerEvent(
        container_id=str(actor.get("ID") or msg.get("id") or ""),
        action=action.strip(),
        detail=detail,
        time=datetime.fromtimestamp(time_nano / 1e9, UTC),
        time_nano=time_nano,
        name=attrs.get("name", ""),
        image=attrs.get("image", str(msg.get("from") or "")),
        labels={k: v for k, v in attrs.items() if k in KEPT_LABELS},
    )


@dataclass(frozen=True, slots=True)
class LogLine:
    container_id: str
    stream: Literal["stdout", "stderr"]
    time: datetime | None
    text: str


WORKING_DIR_LABEL = "com.docker.compose.project.working_dir"
MatchRule = Literal["project", "working_dir", "image"]


def _same_dir(label: str | None, directory: str) -> bool:
    return bool(label) and os.path.realpath(str(label)) == os.path.realpath(directory)


@dataclass(frozen=True, slots=True)
class Selector:
    """Which containers belong to the deployment — never decided by a service name alone.

    1. a configured compose project: the containers labelled ``com.docker.compose.project=<p>``;
    2. else the compose working directory label equal to the project directory;
    3. else the Convex images (``convex-backend``, ``convex-dashboard``), plus the Postgres
       containers of their compose projects.

    ``rule`` is the one that applies, decided by `resolve` from the containers there are
    (rule 2 applies only when some container has that working directory); unresolved,
    `matches` lets through anything rules 2 or 3 could select (the events stream, which is
    subscribed before the list, is then filtered again with the resolved selector).
    """

    project: str | None = None
    project_dir: str | None = None
    rule: MatchRule | None = None

    def label_filter(self) -> list[str]:
        return [f"{PROJECT_LABEL}={self.project}"] if self.project else []

    def resolve(self, labels: Iterable[Mapping[str, str]]) -> Selector:
        if self.rule is not None:
            return self
        if self.project:
            rule: MatchRule = "project"
        elif self.project_dir and any(
            _same_dir(x.get(WORKING_DIR_LABEL), self.project_dir) for x in labels
        ):
            rule = "working_dir"
        else:
            rule = "image"
        return Selector(self.project, self.project_dir, rule)

    def describe(self) -> str:
        """Which rule matched, in words for the Status pane and the doctor."""
        rule = self.rule or ("project" if self.project else None)
        if rule == "project":
            return f"compose project {self.project}"
        if rule == "working_dir":
            return f"compose working dir {self.project_dir}"
        if rule == "image":
            return "Convex images (backend, dashboard)"
        return "compose working dir, else Convex images"

    def matches(
        self, labels: Mapping[str, str], image: str, convex_projects: Iterable[str] = ()
    ) -> bool:
        project = labels.get(PROJECT_LABEL)
        if self.project:
            return project == self.project
        by_dir = bool(self.project_dir) and _same_dir(
            labels.get(WORKING_DIR_LABEL), str(self.project_dir)
        )
        if self.rule == "working_dir" or (self.rule is None and by_dir):
            return by_dir
        if CONVEX_IMAGE_RE.search(image):
            return True
        postgres = is_postgres_image(image) or (labels.get(SERVICE_LABEL) or "").startswith(
            "postgres"
        )
        return postgres and project is not None and project in set(convex_projects)


def select_listed(rows: Iterable[Mapping[str, Any]], selector: Selector) -> list[Mapping[str, Any]]:
    """`select` over the engine's ``/containers/json`` rows (labels and image, not inspected)."""
    items = list(rows)

    def labels(row: Mapping[str, Any]) -> dict[str, str]:
        return dict(row.get("Labels") or {})

    selector = selector.resolve(labels(r) for r in items)
    convex_projects = {
        labels(r).get(PROJECT_LABEL, "")
        for r in items
        if selector.matches(labels(r), str(r.get("Image") or ""))
    } - {""}
    return [
        r for r in items if selector.matches(labels(r), str(r.get("Image") or ""), convex_projects)
    ]


def select(containers: Iterable[ContainerInfo], selector: Selector) -> list[ContainerInfo]:
    """Apply ``selector`` (two passes: Postgres rides along with its Convex project)."""
    items = list(containers)
    selector = selector.resolve(c.labels for c in items)
    convex_projects = {
        c.project
        for c in items
        if c.project and selector.matches(c.labels, c.image) and c.is_convex
    }
    chosen = [c for c in items if selector.matches(c.labels, c.image, convex_projects)]
    return sorted(chosen, key=lambda c: (c.project or "", c.service or "", c.name))


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """What `docker version` says about the engine."""

    version: str
    api_version: str
    os: str
    arch: str
