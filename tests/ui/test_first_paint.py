"""What the first frame needs and what waits for it (issue 19): the first probe may answer
before anything is drawn, and the Convex client (httpx, websockets) starts only once the API row
is on screen."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import screens.app as app_module
from screens.app import make_app
from screens.widgets.services_table import ServicesTable
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, fixed_clock, settings
from tui.sandbox.server import SandboxThread
from tui.status.probes import ServiceProbes
from tui.status.services import ServiceProber


class GatedProber(FakeProber):
    """Answers only when the test opens the gate: the first frame is drawn before it."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def probe(self) -> ServiceProbes:
        await self.gate.wait()
        return await super().probe()


def _connecting(app: Any) -> bool:
    return any(w.group == "convex-client" for w in app.workers)


async def test_convex_client_waits_for_the_api_row(
    sandbox: SandboxThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "FIRST_PAINT_S", 30.0)  # only the API row may start it
    prober = GatedProber()
    s = settings(url=sandbox.url)
    app = make_app(s, prober=prober, docker=FakeDocker(), clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.is_mounted, what="mounted")
        await pilot.pause(0.3)  # frames are drawn, the probe has not answered
        assert not _connecting(app) and app.convex is None, "the client waits for the API row"
        prober.gate.set()
        await until(pilot, lambda: app.header_state.http == "up", what="API row up")
        await until(pilot, lambda: app.convex is not None, what="client after the API row")


async def test_client_starts_anyway_when_the_probe_never_answers() -> None:
    prober = GatedProber()  # never opened: a stalled first probe must not keep the client off
    app = make_app(settings(), prober=prober, docker=FakeDocker(), clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.convex is not None, timeout=10, what="client by the bound")


def _row_text(table: ServicesTable, y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


async def test_services_columns_fit_before_the_table_is_idle() -> None:
    """Textual's DataTable measures auto-width columns on its next idle, and a frame drawn
    before that keeps label-wide columns in its caches (seen when the early probe's answer
    came with the first frame). The table sizes its columns itself."""
    app = make_app(settings(), prober=FakeProber(), docker=FakeDocker(), clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await until(pilot, lambda: app.screen.query_one("#services", ServicesTable))
        await until(pilot, lambda: table.row_count == 3, what="rows")
        probes = await FakeProber().probe()
        table.show(settings(), probes)  # and draw at once, before any idle
        header, api = _row_text(table, 0), _row_text(table, 1)
        assert "admin key" in header and "detail" in header
        assert "valid …9f3c" in api and "1.27.0 · convex-self-hosted" in api, api
        assert "127.0.0.1:3210" in api


async def test_a_started_prober_answers_the_first_probe(sandbox: SandboxThread) -> None:
    """`ServiceProber.start()` (what `convex-tui console` calls before loading Textual): the
    first `probe()` returns that round's answer; later ones probe again."""
    s = settings(url=sandbox.url)
    prober = ServiceProber(s.url, s.site_url, "", None).start()
    try:
        first: Any = await prober.probe()
        assert first.api.reachable and first.api.version and first.api.key_state == "missing"
        again = await prober.probe()
        assert again.api.reachable and again is not first
    finally:
        await prober.aclose()
