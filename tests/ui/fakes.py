"""Deterministic fakes behind the `tui.status.services` Protocols: fixed data, fixed time, no threads
left behind (every blocking iterator ends when stopped)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tui.config import Settings
from tui.config.secret import Secret
from tui.config.settings_file import Profile
from tui.docker.errors import DockerUnavailable
from tui.docker.models import ContainerInfo, ContainerStats, EngineInfo, PortBinding, Selector
from tui.docker.watcher import Disconnected, Snapshot, WatchUpdate
from tui.status.probes import ApiProbe, HttpProbe, ServiceProbes

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
KEY = "convex-self-hosted|01" + "ab" * 40 + "9f3c"


def fixed_clock() -> datetime:
    return NOW


def settings(
    *,
    profile: str = "local",
    url: str = "http://127.0.0.1:3210",
    read_only: bool = False,
    protected: bool = False,
    project_dir: Path = Path("/tmp/convex-demo"),
    profiles: dict[str, Profile] | None = None,
    keymap: dict[str, str] | None = None,
    compose_project: str | None = "convex",
    in_process_sandbox: bool = False,
) -> Settings:
    return Settings(
        profile=profile,
        url=url,
        url_source="test",
        admin_key=Secret(KEY),
        admin_key_source="test",
        site_url="http://127.0.0.1:3211",
        dashboard_url="http://127.0.0.1:6791",
        external_api_url="https://convex-api--main--me.coder.example.com",
        external_site_url=None,
        compose_project=compose_project,
        project_dir=project_dir,
        env_files=(),
        workspace={},
        protected=protected,
        read_only=read_only or protected,
        theme=None,
        keymap=keymap or {},
        profiles=profiles or {},
        settings_file=Path("/nonexistent/config.toml"),
        settings_file_exists=False,
        in_process_sandbox=in_process_sandbox,
    )


class FakeProber:
    def __init__(self, up: bool = True) -> None:
        self.up = up
        self.calls = 0
        self.probed = threading.Event()

    def ready(self) -> ServiceProbes | None:
        return None

    async def probe(self) -> ServiceProbes:
        self.calls += 1
        self.probed.set()
        if not self.up:
            err = "connection refused or host unreachable: http://127.0.0.1:3210"
            return ServiceProbes(
                ApiProbe("http://127.0.0.1:3210", False, None, None, None, "unknown", "", err),
                HttpProbe("http://127.0.0.1:3211", False, None, None, "connection refused"),
                HttpProbe("http://127.0.0.1:6791", False, None, None, "connection refused"),
            )
        return ServiceProbes(
            ApiProbe(
                "http://127.0.0.1:3210",
                True,
                4.2,
                "1.27.0",
                "convex-self-hosted",
                "valid",
                "ok",
                None,
            ),
            HttpProbe("http://127.0.0.1:3211", True, 404, 2.9, None),
            HttpProbe("http://127.0.0.1:6791", True, 200, 7.5, None),
        )

    async def aclose(self) -> None:
        return None


def container(
    name: str,
    service: str,
    *,
    image: str = "ghcr.io/get-convex/convex-backend:latest",
    state: str = "running",
    health: str | None = "healthy",
    cid: str | None = None,
    ports: tuple[PortBinding, ...] = (),
    restarts: int = 0,
) -> ContainerInfo:
    return ContainerInfo(
        id=cid or (name.encode().hex() + "0" * 64)[:64],
        name=name,
        image=image,
        state=state,
        health=health,  # type: ignore[arg-type]
        started_at=NOW - timedelta(hours=3, minutes=7),
        finished_at=None,
        restart_count=restarts,
        exit_code=None if state == "running" else 137,
        ports=ports,
        labels={
            "com.docker.compose.project": "convex",
            "com.docker.compose.service": service,
        },
    )


def demo_containers() -> tuple[ContainerInfo, ...]:
    return (
        container(
            "convex-backend-1",
            "backend",
            ports=(
                PortBinding(3210, "tcp", "0.0.0.0", 3210),
                PortBinding(3211, "tcp", "0.0.0.0", 3211),
            ),
        ),
        container(
            "convex-dashboard-1",
            "dashboard",
            image="ghcr.io/get-convex/convex-dashboard:latest",
            health=None,
            ports=(PortBinding(6791, "tcp", "0.0.0.0", 6791),),
        ),
        container(
            "convex-postgres-1",
            "postgres",
            image="postgres:16",
            state="exited",
            health=None,
            restarts=2,
        ),
    )


@dataclass
class FakeWatch:
    updates: queue.Queue[WatchUpdate | None]

    def __iter__(self) -> Iterator[WatchUpdate]:
        while True:
            item = self.updates.get()
            if item is None:
                return
            yield item

    def stop(self) -> None:
        self.updates.put(None)


@dataclass
class FakeStats:
    cid: str
    stopped: threading.Event = field(default_factory=threading.Event)

    def __iter__(self) -> Iterator[ContainerStats]:
        yield ContainerStats(self.cid, NOW, 1.5, 48 * 1024 * 1024, 2 << 30, 2.3, 12)
        self.stopped.wait()

    def close(self) -> None:
        self.stopped.set()


class FakeDocker:
    """Feeds a scripted sequence of watch updates; records the operations asked of it."""

    def __init__(self, containers: tuple[ContainerInfo, ...] | None = None, down: bool = False):
        self.containers = demo_containers() if containers is None else containers
        self.down = down
        self.ops: list[tuple[str, str]] = []
        self.watches: list[FakeWatch] = []
        self.selectors: list[Selector | None] = []

    def push(self, update: WatchUpdate) -> None:
        self.watches[-1].updates.put(update)

    def watch(self, selector: Selector | None = None) -> FakeWatch:
        self.selectors.append(selector)
        w = FakeWatch(queue.Queue())
        if self.down:
            w.updates.put(
                Disconnected(DockerUnavailable("unix:///var/run/docker.sock", "no socket"), 4.0)
            )
        else:
            w.updates.put(Snapshot(EngineInfo("27.5.1", "1.47", "linux", "amd64"), self.containers))
        self.watches.append(w)
        return w

    def stats_stream(self, container: str) -> FakeStats:
        return FakeStats(container)

    def start(self, container: str) -> None:
        self.ops.append(("start", container))

    def stop(self, container: str, timeout: int = 10) -> None:
        self.ops.append(("stop", container))

    def restart(self, container: str, timeout: int = 10) -> None:
        self.ops.append(("restart", container))

    def exec_generate_admin_key(self, container: str) -> Secret:
        self.ops.append(("generate", container))
        return Secret("convex-self-hosted|01" + "cd" * 40 + "7e1a")

    def close(self) -> None:
        for w in self.watches:
            w.stop()


class FakeContainerLogs:
    """The Logs pane's container readers over FakeDocker's containers: following a container
    records it and sends nothing (`log_followers=FakeContainerLogs`)."""

    def __init__(self, emit: Any) -> None:
        self.emit = emit
        self.following: set[str] = set()

    def list(self, selector: Any, timeout: float = 10.0) -> list[str]:
        return []  # the tests that use it follow by hand (the Status pane's `l`)

    def start(self, name: str) -> None:
        self.following.add(name)

    def stop(self, name: str) -> None:
        self.following.discard(name)

    def close(self) -> None:
        self.following.clear()
