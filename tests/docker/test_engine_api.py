"""tui/docker/engine.py against a scripted engine on a unix socket: what a real dockerd does
only when it is stopped (tests/docker/test_dockerd_restart.py does that to the shared engine,
marked docker_restart). Events end when the engine goes away, and the stream says why; an
engine error answer is the engine's message; a stream closed from another thread just ends."""

from __future__ import annotations

import json
import os
import socketserver
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tui.docker.engine import EngineApi
from tui.docker.errors import ContainerNotFound, DockerOperationFailed, DockerUnavailable
from tui.docker.models import Selector

EVENT = {
    "Type": "container", "Action": "start", "time": 1, "timeNano": 1_000_000_000,
    "Actor": {"ID": "c1", "Attributes": {"name": "convex-backend-1", "image": "convex-backend",
                                         "com.docker.compose.project": "convex"}},
}  # fmt: skip


class Engine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    events_then: str = "close"  # after one event: "close" the connection, or "hold" it open


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Engine

    def address_string(self) -> str:
        return "engine"

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/version":
            self._json(200, {"Version": "27.0-fake", "ApiVersion": "1.46"})
        elif self.path.startswith("/containers/json"):
            self._json(200, [])
        elif self.path.startswith("/containers/nope/json"):
            self._json(404, {"message": "No such container: nope"})
        elif self.path.startswith("/containers/bad/json"):
            self._json(500, {"message": "engine \x1b[31mexploded\x1b[0m"})
        elif self.path.startswith("/events"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            line = json.dumps(EVENT).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            self.wfile.flush()
            if self.server.events_then == "hold":
                time.sleep(30)
            # "close": the engine stops: the connection ends without the final chunk.
            self.close_connection = True
        else:
            self._json(404, {"message": "page not found"})


@pytest.fixture
def engine() -> Iterator[tuple[Engine, str]]:
    with tempfile.TemporaryDirectory(prefix="ctui-") as d:
        path = os.path.join(d, "docker.sock")
        server = Engine(path, Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server, path
        server.shutdown()
        server.server_close()


def test_queries_and_error_answers(engine: tuple[Engine, str]) -> None:
    _, path = engine
    api = EngineApi(f"unix://{path}", timeout=5)
    assert api.ping().version == "27.0-fake"
    assert api.list_containers(Selector(project="convex")) == []
    with pytest.raises(ContainerNotFound):
        api.inspect("nope")
    with pytest.raises(DockerOperationFailed, match="inspect bad failed: engine"):
        api.inspect("bad")
    api.close()


def test_events_end_with_the_engine_and_say_why(engine: tuple[Engine, str]) -> None:
    server, path = engine
    api = EngineApi(f"unix://{path}", timeout=5)
    stream = api.events(Selector(project="convex"))
    first = next(stream)
    assert (first.action, first.container_id) == ("start", "c1")
    server.shutdown()  # the engine is gone: the stream ends and the ping that follows fails
    server.server_close()
    Path(path).unlink()
    with pytest.raises(DockerUnavailable, match="no socket"):
        next(stream)
    api.close()


def test_a_stream_closed_from_another_thread_just_ends(engine: tuple[Engine, str]) -> None:
    server, path = engine
    server.events_then = "hold"
    api = EngineApi(f"unix://{path}", timeout=5)
    stream = api.events()
    assert next(stream).action == "start"
    closer = threading.Timer(0.2, stream.close)
    closer.start()
    started = time.monotonic()
    assert list(stream) == []  # woken from the blocked read, no error
    assert time.monotonic() - started < 5
    api.close()
