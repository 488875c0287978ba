"""Defect 2: with ~5 running containers the stats/events streams filled asyncio's default executor
and a confirmed `stop` waited silently, then fired later. Streams now run on their own threads:
with 8 running containers (9 streams, more than the 6 executor threads of a 2-CPU box) a stop from
the pane completes promptly, and the user is told it started."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from screens.app import make_app
from tests.docker_fixtures import ComposeProject
from tests.ui.conftest import status_screen, until
from tests.ui.fakes import settings
from tui.docker.client import DockerService
from tui.docker.streams import StreamThread

pytestmark = pytest.mark.docker


async def test_stop_is_prompt_while_nine_streams_run(
    docker_service: DockerService, sdk: Any, sandbox: Any, tmp_path: Path
) -> None:
    project = ComposeProject(sdk, name=f"i9-{uuid.uuid4().hex[:6]}")
    try:
        ids = [project.run(f"svc{i}") for i in range(8)]
        s = settings(url=sandbox.url, compose_project=project.name, project_dir=tmp_path)
        app = make_app(s, docker=docker_service, connect_convex=False)
        notes: list[str] = []
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.header_state.containers == "8/8 up", what="8/8 up")
            screen = status_screen(app)
            await until(pilot, lambda: len(screen._stats) == 8, what="8 stats", timeout=30)
            # The streams hold none of the default executor's threads.
            names = [t.name for t in threading.enumerate()]
            assert sum(n.startswith("stream stats") for n in names) == 8
            assert not any(n.startswith("asyncio_") for n in names if "stats" in n)
            # The default executor is free: a to_thread call answers at once.
            t0 = time.monotonic()
            await asyncio.to_thread(lambda: None)
            assert time.monotonic() - t0 < 1.0

            real_notify = app.notify

            def spy(message: str, **kw: Any) -> None:
                notes.append(str(message))
                real_notify(message, **kw)

            app.notify = spy  # type: ignore[method-assign]
            table = app.screen.query_one("#containers", DataTable)
            table.move_cursor(row=table.get_row_index(ids[3]))
            t0 = time.monotonic()
            await pilot.press("x", "y")
            await until(
                pilot, lambda: app.header_state.containers == "7/8 up", what="stopped", timeout=8
            )
            took = time.monotonic() - t0
            print(f"\nstop with 9 streams running: {took:.2f} s")
            assert took < 8
            assert any(n.startswith("stop ") for n in notes), notes  # it said it started
    finally:
        project.remove_all()


def test_stream_thread_stops_a_blocked_stream_and_reports_errors() -> None:
    gate = threading.Event()

    class Blocking:
        closed = False

        def __iter__(self) -> Any:
            yield 1
            gate.wait(10)  # a socket read that only close() ends

        def close(self) -> None:
            self.closed = True
            gate.set()

    source = Blocking()
    items: list[int] = []
    t = StreamThread("test", lambda: source, items.append).start()
    deadline = time.monotonic() + 5
    while not items and time.monotonic() < deadline:
        time.sleep(0.01)
    t.stop()
    t.join(5)
    assert items == [1] and source.closed and not t.is_alive()

    errors: list[BaseException] = []

    def boom() -> Any:
        raise RuntimeError("engine gone")

    t2 = StreamThread("boom", boom, items.append, errors.append).start()
    t2.join(5)
    assert [str(e) for e in errors] == ["engine gone"]
