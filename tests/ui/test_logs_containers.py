"""The Logs pane's containers with scripted readers (no engine): followed on open, one that
appears later is picked up, `o` opens at once and enter applies (a priority binding: the list's
own enter would toggle), the demo and a console without an engine say n/a."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import SelectionList

import screens.logs_containers as logs_containers
from screens.app import make_app
from screens.logs import LogsScreen
from screens.logs_dialogs import ContainersScreen
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, FakeProber, settings
from tui.docker.models import Selector
from tui.logs.record import ContainerLine


class Scripted:
    """Readers over a scripted deployment: `names` is what the engine lists."""

    names: list[str] = []
    selectors: list[Selector] = []

    def __init__(self, emit: Any) -> None:
        self.emit = emit
        self.started: list[str] = []

    def list(self, selector: Selector, timeout: float = 10.0) -> list[str]:
        Scripted.selectors.append(selector)
        return list(Scripted.names)

    def start(self, name: str) -> None:
        self.started.append(name)
        self.emit([ContainerLine(1.0 + len(self.started), name, f"hello from {name}", "stdout")])

    def stop(self, name: str) -> None: ...

    def close(self) -> None: ...


@pytest.fixture(autouse=True)
def scripted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.logs.store.default_path", lambda: tmp_path / "f.json")
    Scripted.names = ["app-backend-1"]
    Scripted.selectors = []


def app_with(**kw: Any) -> Any:
    s = settings(compose_project="app", **kw)
    return make_app(s, prober=FakeProber(), docker=FakeDocker(), connect_convex=False,
                    log_followers=Scripted)  # fmt: skip


def bar(screen: LogsScreen) -> str:
    return str(screen.query_one("#logs-bar").render())


async def open_logs(pilot: Any) -> LogsScreen:
    await pilot.press("2")
    screen = pilot.app.screen
    assert isinstance(screen, LogsScreen)
    return screen


async def test_followed_on_open_and_a_new_one_is_picked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs_containers, "RELIST_S", 0.05)
    async with app_with().run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        await until(pilot, lambda: "containers app-backend-1" in bar(screen), what="followed")
        assert Scripted.selectors[0].project == "app"  # the Status pane's rule
        await until(pilot, lambda: any("hello from app-backend-1" in r.text
                                       for r in screen.view.visible), what="its line")  # fmt: skip
        Scripted.names = ["app-backend-1", "app-dashboard-1"]
        await until(pilot, lambda: "app-dashboard-1" in bar(screen), what="the new one")


async def test_o_opens_at_once_and_enter_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    async with app_with().run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        await until(pilot, lambda: screen.containers == {"app-backend-1"}, what="followed")
        await pilot.press("o")
        dialog = pilot.app.screen
        assert isinstance(dialog, ContainersScreen)  # no wait for a listing
        choices = dialog.query_one("#containers", SelectionList)
        assert choices.selected == ["app-backend-1"]
        assert "enter: follow app-backend-1" in str(dialog.query_one("#chosen").render())
        await pilot.press("space")
        assert "enter: follow none" in str(dialog.query_one("#chosen").render())
        await pilot.press("enter")
        await until(pilot, lambda: pilot.app.screen is screen, what="closed")
        assert screen.containers == set() and "containers off (o)" in bar(screen)
        assert choices.selected == []  # the list's own enter (toggle) never ran


async def test_the_demo_and_a_console_without_an_engine_say_n_a() -> None:
    demo = dataclasses.replace(settings(), in_process_sandbox=True)
    app = make_app(demo, prober=FakeProber(), docker=FakeDocker(), connect_convex=False,
                   log_followers=Scripted)  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        assert "containers n/a" in bar(screen)
        await pilot.press("o")
        assert pilot.app.screen is screen  # a notice instead of the chooser
        assert not Scripted.selectors
    app = make_app(settings(), prober=FakeProber(), docker=FakeDocker(), connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        assert "containers n/a" in bar(screen)
