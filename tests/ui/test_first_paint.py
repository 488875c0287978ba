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


async def test_an_early_answer_is_on_the_first_frame(sandbox: SandboxThread) -> None:
    """The console starts probing before it imports Textual: when that answer is in by the
    time the Status pane mounts, the pane shows it as it mounts (no worker, no second frame)."""
    s = settings(url=sandbox.url)
    prober = ServiceProber.from_settings(s).start()
    early = prober._early
    assert early is not None
    early.result(timeout=10)  # bounded: the sandbox answers on loopback
    asked: list[str] = []
    real_probe = prober.probe

    async def counted() -> ServiceProbes:
        asked.append("probe")
        return await real_probe()

    prober.probe = counted  # type: ignore[method-assign]
    app = make_app(s, prober=prober, docker=FakeDocker(), clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.is_mounted, what="mounted")
        assert app.header_state.http == "up", "the answer in hand is on the first frame"
        assert asked == [], "shown from ready(), not from a probe worker a frame later"
        table = app.screen.query_one("#services", ServicesTable)
        assert "up" in _row_text(table, 1)


async def test_an_early_answer_starts_the_client_after_the_first_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a real start the probe's answer is in the header before the App mounts (tmux:
    ~0.6 s to "ws connected"): the client then starts right after the first frame, not at
    the FIRST_PAINT_S fallback (it waited a second, and the panes were warmed only then)."""
    import dataclasses

    monkeypatch.setattr(app_module, "FIRST_PAINT_S", 60.0)  # only the first frame may start it
    app = make_app(settings(), prober=GatedProber(), docker=FakeDocker(), clock=fixed_clock)
    app.header_state = dataclasses.replace(app.header_state, http="up")  # answered already
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.convex is not None, timeout=10, what="the client")


async def test_the_panes_are_read_while_the_first_screen_is_up(sandbox: SandboxThread) -> None:
    """Once the client is up, every pane's module is imported and its stylesheet read in the
    background: the first switch to a pane costs its compose only (issue 19)."""
    from screens.modes import PANE_CLASSES, pane_css_paths

    app = make_app(settings(url=sandbox.url), prober=FakeProber(), docker=FakeDocker(),
                   clock=fixed_clock)  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.convex is not None, what="the client")
        await until(pilot, lambda: not [w for w in app.workers if w.group == "prewarm"],
                    what="the panes read", timeout=30)  # fmt: skip
        assert type(app.screen).__name__ == "StatusScreen", "nothing was switched to"
        for pane, name in PANE_CLASSES.items():
            module = __import__(f"screens.{pane}", fromlist=[name])
            for path in pane_css_paths(getattr(module, name)):
                assert app.stylesheet.has_source(str(path), ""), f"{pane}: {path} not read"


async def test_a_pane_switch_paints_once_the_pane_has_resumed() -> None:
    """Textual holds repaints for a while on each mode switch; the console ends the hold as
    soon as the pane has resumed (its handlers run), whatever the bound."""
    app = make_app(settings(), prober=FakeProber(), docker=FakeDocker(), clock=fixed_clock,
                   connect_convex=False)  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.is_mounted and not app._batch_count, what="idle")
        real = app.delay_update
        app.delay_update = lambda delay=0.05: real(delay=60.0)  # type: ignore[method-assign]
        await pilot.press("6")  # scripts: no client needed
        await until(pilot, lambda: type(app.screen).__name__ == "ScriptsScreen", what="switched")
        await until(pilot, lambda: not app._batch_count, what="the hold released", timeout=5)
        await pilot.press("1")
        await until(pilot, lambda: type(app.screen).__name__ == "StatusScreen", what="back")
        await until(pilot, lambda: not app._batch_count, what="released again", timeout=5)


async def test_background_warm_up_waits_for_the_keys_to_pause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client's import and the panes' reading hold the GIL beside the key that is being
    painted: they wait until the keys pause (KEY_QUIET_S), FIRST_PAINT_S at most."""
    import time

    monkeypatch.setattr(app_module, "FIRST_PAINT_S", 60.0)
    app = make_app(settings(), prober=GatedProber(), docker=FakeDocker(), clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app._last_key = time.monotonic() + 3600  # keys keep coming
        app._start_first_client()
        assert app._client_timer is not None and not _connecting(app), "deferred for the keys"
        app._warm_by = time.monotonic() - 1  # past the bound: starts whatever the keys do
        app._start_first_client()
        assert app._client_timer is None
        await until(pilot, lambda: app.convex is not None, what="the client")
        started = time.monotonic()
        await app.keys_quiet(0.2)  # keys keep coming: returns at the bound
        assert time.monotonic() - started >= 0.2
        app._last_key = 0.0
        started = time.monotonic()
        await app.keys_quiet(30)  # no key for long: returns at once
        assert time.monotonic() - started < 5
