"""The Docker engine's HTTP API read with the standard library (tui.net.http over the unix
socket, or ``tcp://``): the queries and streams that show containers — version, list, inspect,
events, stats. No Docker SDK: importing it (requests, urllib3) costs 70-100 ms, more than
`convex-tui status` may take in all and more than the console's first frame can spare
(issue 19). Actions, exec and logs stay on the SDK (tui/docker/client.py).

Unversioned paths: the engine serves its newest API version on them, as `docker` does after
negotiating. Every failure is a :class:`~tui.docker.errors.DockerError`, worded as the SDK
path words it.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from tui.docker.errors import (
    ContainerNotFound,
    DockerError,
    DockerOperationFailed,
    classify_connection_error,
)
from tui.docker.models import (
    ContainerEvent,
    ContainerInfo,
    ContainerStats,
    EngineInfo,
    Selector,
    container_from_inspect,
    event_from_message,
    select_listed,
    stats_from_frame,
)
from tui.docker.streams import DockerStream
from tui.net.http import HttpSession, Reply, Stream

DEFAULT_BASE_URL = "unix:///var/run/docker.sock"
# Events that change what the status pane shows. exec_* (every healthcheck run) are left out.
STATE_ACTIONS = (
    "create",
    "start",
    "restart",
    "stop",
    "die",
    "kill",
    "oom",
    "pause",
    "unpause",
    "destroy",
    "rename",
    "health_status",
)


def resolve_base_url(base_url: str | None = None) -> str:
    """The configured URL, else ``DOCKER_HOST``, else the default socket."""
    return base_url or os.environ.get("DOCKER_HOST") or DEFAULT_BASE_URL


def _origin(base_url: str) -> str:
    if base_url.startswith("tcp://"):
        return "http://" + base_url[len("tcp://") :]
    return base_url


class EngineApi:
    """Blocking engine queries and streams. Thread-safe; share one instance."""

    def __init__(self, base_url: str | None = None, *, timeout: float = 30.0) -> None:
        self.base_url = resolve_base_url(base_url)
        self.timeout = timeout
        self._session = HttpSession(_origin(self.base_url), timeout=timeout, max_idle=8)

    def close(self) -> None:
        self._session.close()

    # ------------------------------------------------------------ plumbing

    def _error(self, exc: BaseException, operation: str) -> DockerError:
        if isinstance(exc, DockerError):
            return exc
        classified = classify_connection_error(exc, self.base_url)
        if classified is not None:
            return classified
        return DockerOperationFailed(operation, f"{type(exc).__name__}: {exc}"[:300])

    def _failed(self, status: int, body: bytes, operation: str, container: str) -> DockerError:
        if status == 404 and container:
            return ContainerNotFound(container)
        try:
            message = json.loads(body).get("message")
        except (ValueError, AttributeError):
            message = None
        text = str(message or body.decode("utf-8", "replace").strip() or f"HTTP {status}")
        return DockerOperationFailed(operation, " ".join(text.split())[:300])

    def _get(
        self, operation: str, path: str, params: dict[str, str] | None = None, container: str = ""
    ) -> Any:
        try:
            reply: Reply = self._session.request("GET", path, params=params)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise self._error(exc, operation) from exc
        if reply.status >= 400:
            raise self._failed(reply.status, reply.body, operation, container)
        try:
            return json.loads(reply.body)
        except ValueError as exc:
            raise DockerOperationFailed(operation, "the engine answered with invalid JSON") from exc

    def _stream(
        self, operation: str, path: str, params: dict[str, str], container: str = ""
    ) -> Stream:
        try:
            stream = self._session.stream("GET", path, params=params)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise self._error(exc, operation) from exc
        if stream.status >= 400:
            raise self._failed(stream.status, stream.read_all(), operation, container)
        return stream

    # ------------------------------------------------------------ queries

    def ping(self) -> EngineInfo:
        """Check the engine answers; raises DockerUnavailable / DockerPermissionDenied if not."""
        v = self._get("docker version", "/version")
        return EngineInfo(
            version=str(v.get("Version", "?")),
            api_version=str(v.get("ApiVersion", "?")),
            os=str(v.get("Os", "?")),
            arch=str(v.get("Arch", "?")),
        )

    def list_containers(
        self, selector: Selector | None = None, *, include_stopped: bool = True
    ) -> list[ContainerInfo]:
        """Containers of the deployment (see :class:`Selector`), inspected, sorted by service."""
        selector = selector or Selector()
        params = {"all": "1" if include_stopped else "0"}
        if selector.project:
            params["filters"] = json.dumps({"label": selector.label_filter()})
        rows = self._get("list containers", "/containers/json", params)
        out: list[ContainerInfo] = []
        for cid in chosen_ids(rows if isinstance(rows, list) else [], selector):
            try:
                out.append(self.inspect(cid))
            except ContainerNotFound:
                continue  # removed between list and inspect
        return sorted(out, key=lambda c: (c.project or "", c.service or "", c.name))

    def inspect(self, container: str) -> ContainerInfo:
        attrs = self._get(
            f"inspect {container}", f"/containers/{quote(container, safe='')}/json",
            container=container,
        )  # fmt: skip
        return container_from_inspect(attrs)

    # ------------------------------------------------------------ streams

    def events(
        self,
        selector: Selector | None = None,
        *,
        since: datetime | None = None,
        actions: Collection[str] = STATE_ACTIONS,
        convex_projects: Collection[str] = (),
    ) -> DockerStream[ContainerEvent]:
        """Container events of the deployment, as they happen. Blocks; close() to stop.

        The subscription is live when this returns (the engine answers once it is registered),
        so listing containers afterwards misses nothing. ``convex_projects`` (may be a set the
        caller keeps updating) lets Postgres events through when no project is configured. If
        the engine goes away the iteration raises :class:`DockerUnavailable`.
        """
        selector = selector or Selector()
        filters: dict[str, Any] = {"type": ["container"]}
        if actions:
            filters["event"] = list(actions)
        if selector.project:
            filters["label"] = selector.label_filter()
        params = {"filters": json.dumps(filters)}
        if since is not None:
            params["since"] = f"{since.timestamp():.0f}"
        stream = self._stream("subscribe to events", "/events", params)

        def parse(line: bytes) -> Iterable[ContainerEvent]:
            msg = _json(line)
            ev = event_from_message(msg) if isinstance(msg, dict) else None
            if ev is not None and selector.matches(ev.labels, ev.image, convex_projects):
                return (ev,)
            return ()

        def on_end() -> None:
            # The events stream only ends when the engine closes it: find out why.
            self.ping()
            raise DockerOperationFailed("events", "the engine closed the events stream")

        return DockerStream(_Lines(stream), parse, lambda e: self._error(e, "events"),
                            on_end=on_end)  # fmt: skip

    def stats_stream(self, container: str) -> DockerStream[ContainerStats]:
        """One :class:`ContainerStats` per second, like `docker stats`. Close() to stop.

        The first sample has ``cpu_percent=None`` (no previous sample to compare with).
        """
        path = f"/containers/{quote(container, safe='')}/stats"
        stream = self._stream(f"stats of {container}", path, {"stream": "1"}, container)

        def parse(line: bytes) -> Iterable[ContainerStats]:
            frame = _json(line)
            return (stats_from_frame(container, frame),) if isinstance(frame, dict) else ()

        return DockerStream(_Lines(stream), parse, lambda e: self._error(e, "stats"))


def chosen_ids(rows: list[dict[str, Any]], selector: Selector) -> list[str]:
    """Pre-select on the cheap list data (`GET /containers/json`), so that only the chosen
    containers are inspected: Postgres rides along with its Convex project."""
    return [str(r["Id"]) for r in select_listed(rows, selector)]


def _json(line: bytes) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None


class _Lines:
    """A stream's lines as the raw iterator DockerStream reads (``next`` and ``close``)."""

    def __init__(self, stream: Stream) -> None:
        self._stream = stream
        self._lines: Iterator[bytes] = stream.lines()

    def __next__(self) -> bytes:
        return next(self._lines)

    def close(self) -> None:
        self._stream.close()
