"""The status view model: what a row says, independent of Textual."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.ui.fakes import settings
from tui.status.probes import NOT_CONFIGURED, Sessions, probe_http
from tui.status.status_view import service_rows


@pytest.fixture
def served() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that answers 200 to anything and records the paths asked."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", paths
    server.shutdown()
    server.server_close()


def test_an_unconfigured_service_is_not_probed_and_reads_n_a(
    served: tuple[str, list[str]],
) -> None:
    url, paths = served
    sessions = Sessions(timeout=5)
    probe = probe_http(sessions, "")
    assert (probe.reachable, probe.error) == (False, NOT_CONFIGURED)
    assert paths == []
    answered = probe_http(sessions, url)
    assert answered.reachable and answered.status == 200 and paths == ["/"]
    sessions.close()


def test_demo_dashboard_row() -> None:
    s = dataclasses.replace(settings(), dashboard_url="")
    rows = {r.key: r for r in service_rows(s, None)}
    dash = rows["dashboard"]
    assert dash.state == ("n/a", "muted")
    assert dash.local_url == "—" and "not part of" in dash.detail[0]
    assert rows["site"].state == ("probing…", "muted")  # configured ones still wait for a probe
