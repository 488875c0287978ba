"""Parsing and computing without an engine: inspect, stats, events, selection, log framing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tui.docker.models import (
    PortBinding,
    Selector,
    container_from_inspect,
    event_from_message,
    parse_docker_time,
    parse_ports,
    select,
    stats_from_frame,
)
from tui.docker.streams import STDERR, STDOUT, LogSplitter


def inspect_dict(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Id": "a" * 64,
        "Name": "/convex-backend-1",
        "Image": "sha256:" + "b" * 64,
        "RestartCount": 2,
        "State": {
            "Status": "running",
            "StartedAt": "2024-05-01T10:00:00.123456789Z",
            "FinishedAt": "0001-01-01T00:00:00Z",
            "ExitCode": 0,
            "Health": {"Status": "healthy"},
        },
        "Config": {
            "Image": "ghcr.io/get-convex/convex-backend:be8a4f39",
            "Labels": {
                "com.docker.compose.project": "convex",
                "com.docker.compose.service": "backend",
                "com.docker.compose.config-hash": "ignored",
                "org.opencontainers.image.source": "ignored",
            },
            "ExposedPorts": {"3210/tcp": {}, "3211/tcp": {}},
        },
        "HostConfig": {"PortBindings": {"3210/tcp": [{"HostIp": "", "HostPort": "3210"}]}},
        "NetworkSettings": {
            "Ports": {
                "3210/tcp": [
                    {"HostIp": "0.0.0.0", "HostPort": "3210"},
                    {"HostIp": "::", "HostPort": "3210"},
                ],
                "3211/tcp": [{"HostIp": "127.0.0.1", "HostPort": "3211"}],
                "9999/udp": None,
            }
        },
    }
    base.update(over)
    return base


def test_parse_docker_time() -> None:
    assert parse_docker_time("2024-05-01T10:00:00.123456789Z") == datetime(
        2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC
    )
    assert parse_docker_time("2024-05-01T12:00:00+02:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_docker_time("0001-01-01T00:00:00Z") is None
    assert parse_docker_time("") is None
    assert parse_docker_time("yesterday") is None


def test_container_from_inspect() -> None:
    info = container_from_inspect(inspect_dict())
    assert info.name == "convex-backend-1"
    assert info.short_id == "a" * 12
    assert (info.project, info.service) == ("convex", "backend")
    assert info.image.startswith("ghcr.io/get-convex/convex-backend")
    assert (info.state, info.health, info.restart_count) == ("running", "healthy", 2)
    assert info.is_convex and not info.is_postgres
    assert info.finished_at is None and info.exit_code is None
    assert set(info.labels) == {"com.docker.compose.project", "com.docker.compose.service"}
    assert info.ports_text == (
        "3210/tcp→0.0.0.0:3210, 3210/tcp→:::3210, 3211/tcp→127.0.0.1:3211, 9999/udp"
    )
    now = datetime(2024, 5, 1, 11, 0, 0, 123456, tzinfo=UTC)
    assert info.uptime(now) == timedelta(hours=1)
    as_json = json.loads(json.dumps(info.to_json(now)))
    assert as_json["uptime_seconds"] == 3600 and as_json["health"] == "healthy"
    assert as_json["ports"][0] == "3210/tcp→0.0.0.0:3210" and as_json["service"] == "backend"


def test_stopped_container_without_health() -> None:
    state = {"Status": "exited", "StartedAt": "2024-05-01T10:00:00Z", "ExitCode": 137}
    info = container_from_inspect(
        inspect_dict(State=state, NetworkSettings={"Ports": {}}, Config={"Image": "postgres:16"})
    )
    assert info.health is None and info.exit_code == 137 and info.uptime() is None
    assert info.is_postgres and info.service is None
    # Not running: what it publishes comes from HostConfig.
    assert [str(p) for p in info.ports] == ["3210/tcp→0.0.0.0:3210"]


def test_ports_fall_back_to_exposed() -> None:
    attrs = {"Config": {"ExposedPorts": {"6791/tcp": {}}}, "NetworkSettings": {"Ports": None}}
    assert parse_ports(attrs) == (PortBinding(6791, "tcp"),)


def test_stats_like_docker_stats_cgroup_v1() -> None:
    frame = {
        "read": "2024-05-01T10:00:01Z",
        "cpu_stats": {
            "cpu_usage": {"total_usage": 2_000_000_000, "percpu_usage": [1, 1, 1, 1]},
            "system_cpu_usage": 110_000_000_000,
        },
        "precpu_stats": {
            "cpu_usage": {"total_usage": 1_000_000_000},
            "system_cpu_usage": 100_000_000_000,
        },
        "memory_stats": {
            "usage": 300 * 2**20,
            "limit": 1000 * 2**20,
            "stats": {"total_inactive_file": 100 * 2**20},
        },
        "pids_stats": {"current": 7},
    }
    s = stats_from_frame("c1", frame)
    # 1e9 / 1e10 * 4 CPUs * 100 = 40 %
    assert s.cpu_percent is not None and abs(s.cpu_percent - 40.0) < 1e-9
    assert (s.mem_usage, s.mem_limit, s.pids) == (200 * 2**20, 1000 * 2**20, 7)
    assert abs(s.mem_percent - 20.0) < 1e-9
    assert not s.empty


def test_stats_cgroup_v2_first_sample_and_stopped() -> None:
    frame = {
        "cpu_stats": {"cpu_usage": {"total_usage": 5}, "system_cpu_usage": 10, "online_cpus": 2},
        "precpu_stats": {"cpu_usage": {}},
        "memory_stats": {"usage": 1000, "limit": 4000, "stats": {"inactive_file": 200}},
    }
    s = stats_from_frame("c1", frame)
    assert s.cpu_percent is None  # no previous sample yet
    assert (s.mem_usage, s.mem_percent) == (800, 20.0)
    stopped = stats_from_frame("c1", {"read": "0001-01-01T00:00:00Z", "memory_stats": {}})
    assert stopped.empty and stopped.read_at is None


def test_events() -> None:
    base = {
        "Type": "container",
        "Actor": {
            "ID": "c" * 64,
            "Attributes": {
                "name": "convex-backend-1",
                "image": "ghcr.io/get-convex/convex-backend:x",
                "com.docker.compose.project": "convex",
                "com.docker.compose.service": "backend",
                "exitCode": "137",
            },
        },
        "time": 1714557600,
        "timeNano": 1714557600_500000000,
    }
    health = event_from_message({**base, "Action": "health_status: unhealthy"})
    assert health is not None
    assert (health.action, health.detail, health.service) == (
        "health_status",
        "unhealthy",
        "backend",
    )
    assert health.time == datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)
    die = event_from_message({**base, "Action": "die"})
    assert die is not None and (die.action, die.detail) == ("die", "137")
    exec_ev = event_from_message({**base, "Action": "exec_start: sh -c true"})
    assert exec_ev is not None and exec_ev.detail == "sh -c true"
    assert event_from_message({**base, "Type": "network", "Action": "connect"}) is None


def test_selector_and_select() -> None:
    def c(name: str, image: str, project: str | None, service: str | None) -> Any:
        labels = {}
        if project:
            labels["com.docker.compose.project"] = project
        if service:
            labels["com.docker.compose.service"] = service
        cfg = {"Image": image, "Labels": labels}
        return container_from_inspect(inspect_dict(Id=name, Name=name, Config=cfg))

    items = [
        c("be", "ghcr.io/get-convex/convex-backend:1", "convex", "backend"),
        c("dash", "ghcr.io/get-convex/convex-dashboard:1", "convex", "dashboard"),
        c("pg", "postgres:17", "convex", "db"),
        c("other-pg", "postgres:17", "shop", "db"),
        c("other-web", "nginx", "shop", "web"),
        c("bare", "ghcr.io/get-convex/convex-backend:1", None, None),
        c("misc", "busybox", None, None),
    ]
    # No project, no directory: by Convex image (Postgres of their project rides along).
    assert [x.name for x in select(items, Selector())] == ["bare", "be", "dash", "pg"]
    assert [x.name for x in select(items, Selector("shop"))] == ["other-pg", "other-web"]
    assert [x.name for x in select(items, Selector("convex"))] == ["be", "dash", "pg"]


def _frames(data: bytes, cuts: list[int], sid: int) -> list[tuple[int, bytes]]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [(sid, data[a:b]) for a, b in zip(points, points[1:], strict=False)]


@given(
    lines=st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r")), max_size=8
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_log_splitter_is_chunking_independent(lines: list[str], cuts: list[int]) -> None:
    # Frames may split lines and UTF-8 characters anywhere; the lines must come out whole.
    data = "".join(f"{line}\n" for line in lines).encode()
    splitter = LogSplitter("c", timestamps=False)
    out = [ln for f in _frames(data, cuts, STDOUT) for ln in splitter.feed(f)]
    out += splitter.flush()
    assert [ln.text for ln in out] == lines
    assert all(ln.stream == "stdout" and ln.time is None for ln in out)


def test_log_splitter_timestamps_and_streams() -> None:
    splitter = LogSplitter("c", timestamps=True)
    out = splitter.feed((STDOUT, b"2024-05-01T10:00:00.000000001Z hello world\n2024-05-01T10"))
    out += splitter.feed((STDERR, b"2024-05-01T10:00:02Z oops\r\n"))
    out += splitter.feed((STDOUT, b":00:01Z \n2024-05-01T10:00:03Z no newline"))
    out += splitter.flush()
    got = [(ln.stream, ln.time and ln.time.second, ln.text) for ln in out]
    assert got == [
        ("stdout", 0, "hello world"),
        ("stderr", 2, "oops"),
        ("stdout", 1, ""),
        ("stdout", 3, "no newline"),
    ]


def test_selector_rules_never_by_service_name_alone(tmp_path: Path) -> None:
    def c(name: str, image: str, project: str, service: str, workdir: str) -> Any:
        labels = {
            "com.docker.compose.project": project,
            "com.docker.compose.service": service,
            "com.docker.compose.project.working_dir": workdir,
        }
        cfg = {"Image": image, "Labels": labels}
        return container_from_inspect(inspect_dict(Id=name, Name=name, Config=cfg))

    here, there = str(tmp_path), str(tmp_path / "other")
    items = [
        c("ours-be", "busybox", "ours", "backend", here),
        c("ours-pg", "postgres:17", "ours", "db", here),
        c("stranger-be", "busybox", "shop", "backend", there),
        c("img-be", "ghcr.io/get-convex/convex-backend:1", "img", "api", there),
    ]
    by_dir = Selector(project_dir=here)
    assert [x.name for x in select(items, by_dir)] == ["ours-be", "ours-pg"]
    assert by_dir.resolve(x.labels for x in items).rule == "working_dir"
    # No container in this directory: the Convex image rule; "backend" alone matches nothing.
    by_image = Selector(project_dir=str(tmp_path / "empty"))
    assert [x.name for x in select(items, by_image)] == ["img-be"]
    assert by_image.resolve(x.labels for x in items).describe() == (
        "Convex images (backend, dashboard)"
    )
    assert [x.name for x in select(items, Selector("shop", here))] == ["stranger-be"]
