"""A blocking, typed wrapper around the docker SDK's low-level API client.

Every call may block (socket I/O): run it in a thread worker. Every failure is a
:class:`~tui.docker.errors.DockerError`. The SDK client is built lazily and dropped when the
engine goes away, so the next call negotiates the API version again with whatever engine answers
then: one ``DockerService`` survives ``dockerd`` being stopped and started again.
"""

from __future__ import annotations

import os
import re
import struct
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from tui.config.secret import Secret
from tui.docker.errors import (
    ContainerNotFound,
    DockerError,
    DockerOperationFailed,
    DockerPermissionDenied,
    DockerUnavailable,
    translate,
)
from tui.docker.models import (
    ContainerEvent,
    ContainerInfo,
    ContainerStats,
    EngineInfo,
    LogLine,
    Selector,
    container_from_inspect,
    event_from_message,
    select_listed,
    stats_from_frame,
)
from tui.docker.streams import STDOUT, DockerStream, LogSplitter
from tui.safety.guard import WriteGuard, WriteKind, WriteRequest

if TYPE_CHECKING:
    from docker import APIClient

    from tui.docker.watcher import ProjectWatcher

T = TypeVar("T")

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
ADMIN_KEY_SCRIPT = "./generate_admin_key.sh"
ADMIN_KEY_WORKDIR = "/convex"
ADMIN_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]+\|[0-9a-fA-F]{16,}$")


def resolve_base_url(base_url: str | None = None) -> str:
    """The configured URL, else ``DOCKER_HOST``, else the default socket."""
    return base_url or os.environ.get("DOCKER_HOST") or DEFAULT_BASE_URL


class DockerService:
    """Blocking Docker operations for the console. Thread-safe; share one instance."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = 30.0,
        max_pool_size: int = 32,
        guard: WriteGuard | None = None,
    ) -> None:
        # start/stop/restart/exec ask the one write guard first (tui.safety.guard).
        self.guard = guard or WriteGuard()
        self.base_url = resolve_base_url(base_url)
        self._timeout = timeout
        self._max_pool_size = max_pool_size
        self._lock = threading.Lock()
        self._api_client: APIClient | None = None

    # -- plumbing ------------------------------------------------------------------------------

    def _api(self) -> APIClient:
        with self._lock:
            if self._api_client is None:
                import docker  # deferred: the SDK pulls in requests/urllib3 (~100 ms)

                # version="auto" asks the engine (GET /version) which API it speaks.
                self._api_client = docker.APIClient(
                    base_url=self.base_url,
                    version="auto",
                    timeout=int(self._timeout),
                    max_pool_size=self._max_pool_size,
                )
            return self._api_client

    def _drop_client(self) -> None:
        with self._lock:
            api, self._api_client = self._api_client, None
        if api is not None:
            try:
                api.close()
            except Exception:  # noqa: BLE001 - closing a dead client is best effort
                pass

    def _error(self, exc: BaseException, operation: str, container: str = "") -> DockerError:
        err = translate(exc, self.base_url, operation, container)
        if isinstance(err, (DockerUnavailable, DockerPermissionDenied)):
            self._drop_client()
        return err

    def _call(self, operation: str, fn: Callable[[APIClient], T], container: str = "") -> T:
        try:
            return fn(self._api())
        except Exception as exc:
            raise self._error(exc, operation, container) from exc

    def close(self) -> None:
        self._drop_client()

    # -- queries ---------------------------------------------------------------------------------

    def ping(self) -> EngineInfo:
        """Check the engine answers; raises DockerUnavailable / DockerPermissionDenied if not."""
        v = self._call("docker version", lambda api: api.version())
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
        filters: dict[str, Any] = {}
        if selector.project:
            filters["label"] = selector.label_filter()
        rows = self._call(
            "list containers", lambda api: api.containers(all=include_stopped, filters=filters)
        )

        # Pre-select on the cheap list data, then inspect only the chosen ones.
        chosen = select_listed(rows, selector)
        out: list[ContainerInfo] = []
        for row in chosen:
            try:
                out.append(self.inspect(str(row["Id"])))
            except ContainerNotFound:
                continue  # removed between list and inspect
        return sorted(out, key=lambda c: (c.project or "", c.service or "", c.name))

    def inspect(self, container: str) -> ContainerInfo:
        attrs = self._call(
            f"inspect {container}", lambda api: api.inspect_container(container), container
        )
        return container_from_inspect(attrs)

    # -- actions -------------------------------------------------------------------------------

    def _check_write(self, what: str, command: str) -> None:
        self.guard.check(WriteRequest(WriteKind.CONTAINER, what, command))

    def start(self, container: str) -> None:
        self._check_write(f"start container {container}", f"docker start {container}")
        self._call(f"start {container}", lambda api: api.start(container), container)

    def stop(self, container: str, timeout: int = 10) -> None:
        """Stop (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
        self._check_write(f"stop container {container}", f"docker stop {container}")
        self._call(f"stop {container}", lambda api: api.stop(container, timeout=timeout), container)

    def restart(self, container: str, timeout: int = 10) -> None:
        self._check_write(f"restart container {container}", f"docker restart {container}")
        self._call(
            f"restart {container}", lambda api: api.restart(container, timeout=timeout), container
        )

    def exec_generate_admin_key(self, container: str) -> Secret:
        """Run the backend image's ``generate_admin_key.sh`` and return the key it prints.

        The script prints the key as the last line of stdout (chatter goes to stderr).
        """
        op = f"generate admin key in {container}"
        self._check_write(op, f"docker exec {container} ./generate_admin_key.sh")

        def run(api: APIClient) -> tuple[int, bytes, bytes]:
            ex = api.exec_create(
                container,
                [ADMIN_KEY_SCRIPT],
                stdout=True,
                stderr=True,
                workdir=ADMIN_KEY_WORKDIR,
            )
            out, err = api.exec_start(ex["Id"], demux=True)
            code = api.exec_inspect(ex["Id"]).get("ExitCode")
            return int(code if code is not None else -1), out or b"", err or b""

        code, out, err = self._call(op, run, container)
        stderr_tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        if code != 0:
            raise DockerOperationFailed(
                op,
                f"exit status {code}: {' / '.join(stderr_tail) or 'no output'} "
                "(is this the Convex backend container?)",
            )
        lines = [ln.strip() for ln in out.decode("utf-8", "replace").splitlines() if ln.strip()]
        if not lines or not ADMIN_KEY_RE.match(lines[-1]):
            raise DockerOperationFailed(op, "the script did not print an admin key")
        return Secret(lines[-1])

    # -- streams -----------------------------------------------------------------------------------

    def events(
        self,
        selector: Selector | None = None,
        *,
        since: datetime | None = None,
        actions: Collection[str] = STATE_ACTIONS,
        convex_projects: Collection[str] = (),
    ) -> DockerStream[ContainerEvent]:
        """Container events of the deployment, as they happen. Blocks; close() to stop.

        The subscription is live when this returns, so listing containers afterwards misses
        nothing. ``convex_projects`` (may be a set the caller keeps updating) lets Postgres
        events through when no project is configured. If the engine goes away the iteration
        raises :class:`DockerUnavailable`.
        """
        selector = selector or Selector()
        filters: dict[str, Any] = {"type": ["container"]}
        if actions:
            filters["event"] = list(actions)
        if selector.project:
            filters["label"] = selector.label_filter()
        raw = self._call(
            "subscribe to events",
            lambda api: api.events(since=since, filters=filters, decode=True),
        )

        def parse(msg: Any) -> Iterable[ContainerEvent]:
            ev = event_from_message(msg) if isinstance(msg, dict) else None
            if ev is not None and selector.matches(ev.labels, ev.image, convex_projects):
                return (ev,)
            return ()

        def on_end() -> None:
            # The events stream only ends when the engine closes it: find out why.
            self.ping()
            raise DockerOperationFailed("events", "the engine closed the events stream")

        return DockerStream(raw, parse, lambda e: self._error(e, "events"), on_end=on_end)

    def stats_stream(self, container: str) -> DockerStream[ContainerStats]:
        """One :class:`ContainerStats` per second, like `docker stats`. Close() to stop.

        The first sample has ``cpu_percent=None`` (no previous sample to compare with).
        """

        def open_stream(api: APIClient) -> Any:
            import docker.types

            # The SDK's stats() returns a bare generator that cannot be cancelled from another
            # thread; this is the same request wrapped like its events()/logs() streams.
            url = api._url("/containers/{0}/stats", container)
            response = api._get(url, params={"stream": True}, stream=True)
            api._raise_for_status(response)
            return docker.types.CancellableStream(
                api._stream_helper(response, decode=True), response
            )

        raw = self._call(f"stats of {container}", open_stream, container)

        def parse(frame: Any) -> Iterable[ContainerStats]:
            return (stats_from_frame(container, frame),) if isinstance(frame, dict) else ()

        return DockerStream(raw, parse, lambda e: self._error(e, "stats", container))

    def logs_stream(
        self,
        container: str,
        *,
        tail: int | None = 200,
        since: datetime | None = None,
        follow: bool = True,
        timestamps: bool = True,
    ) -> DockerStream[LogLine]:
        """Log lines (stdout and stderr, told apart), oldest first. Close() to stop.

        With ``follow`` the stream ends when the container stops.
        """

        def open_stream(api: APIClient) -> Any:
            import docker.types

            tty = bool(api.inspect_container(container)["Config"].get("Tty"))
            params: dict[str, Any] = {
                "stdout": 1,
                "stderr": 1,
                "follow": int(follow),
                "timestamps": int(timestamps),
                "tail": "all" if tail is None else max(tail, 0),
            }
            if since is not None:
                params["since"] = f"{since.timestamp():.6f}"
            # The SDK's logs() merges stdout and stderr; read the frames ourselves to keep them
            # apart (the Logs pane colours stderr).
            url = api._url("/containers/{0}/logs", container)
            response = api._get(url, params=params, stream=True)
            sock = api._get_raw_response_socket(response)  # also raises for 4xx/5xx
            api._disable_socket_timeout(sock)  # a quiet container must not time the stream out
            return docker.types.CancellableStream(_log_frames(response.raw, tty), response)

        raw = self._call(f"logs of {container}", open_stream, container)
        splitter = LogSplitter(container, timestamps)
        return DockerStream(
            raw,
            splitter.feed,
            lambda e: self._error(e, "logs", container),
            flush=splitter.flush,
        )

    def watch(self, selector: Selector | None = None) -> ProjectWatcher:
        """A self-healing feed of snapshots and changes; see :class:`ProjectWatcher`."""
        from tui.docker.watcher import ProjectWatcher

        return ProjectWatcher(self, selector or Selector())


def _log_frames(raw: Any, tty: bool) -> Iterator[tuple[int, bytes]]:
    """``(stream id, bytes)`` frames of a logs response body (urllib3 undoes the chunking).

    Without a TTY the engine multiplexes: an 8-byte header (stream id, 3 zero bytes, big-endian
    length) before each payload. With a TTY it is one raw stdout byte stream.
    """
    if tty:
        while data := raw.read1(65536):
            yield STDOUT, data
        return
    while len(header := raw.read(8)) == 8:
        stream_id, length = struct.unpack(">BxxxL", header)
        payload = raw.read(length)
        if len(payload) < length:
            return
        yield stream_id, payload
