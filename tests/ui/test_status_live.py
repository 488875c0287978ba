"""The status pane's live document total: a real subscription over the sync socket."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
from textual.message import Message
from textual.widgets import DataTable

from screens.app import make_app
from screens.messages import DocumentTotal
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, settings
from tui.config import Secret
from tui.status.live import TOTAL_DOCUMENTS


def subtitle(app: Any) -> str:
    return str(app.screen.query_one("#services", DataTable).border_subtitle or "")


def total_documents(sandbox: Any) -> int:
    resp = httpx.post(
        f"{sandbox.url}/api/query",
        json={"path": "_system/frontend/tableSize:sizeOfAllTables", "args": {}},
        headers={"Authorization": f"Convex {sandbox.admin_key}"},
    )
    return int(resp.json()["value"])


async def test_total_follows_another_clients_mutation(sandbox: Any) -> None:
    s = dataclasses.replace(settings(url=sandbox.url), admin_key=Secret(sandbox.admin_key))
    app = make_app(s, docker=FakeDocker())
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.header_state.socket == "connected", what="ws connected")
        before = total_documents(sandbox)
        await until(pilot, lambda: subtitle(app) == f"{before:,} documents · live", what="total")

        async with httpx.AsyncClient() as other:  # another client writes; no poll on our side
            resp = await other.post(
                f"{sandbox.url}/api/mutation",
                json={"path": "tasks:create", "args": {"title": "seen live"}},
            )
            assert resp.json()["status"] == "success"
        await until(
            pilot, lambda: subtitle(app) == f"{before + 1:,} documents · live", what="total + 1"
        )


async def test_no_total_without_a_key_that_may_read_system_tables(sandbox: Any) -> None:
    s = dataclasses.replace(settings(url=sandbox.url), admin_key=None)
    app = make_app(s, docker=FakeDocker())
    seen: list[Message] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await until(pilot, lambda: app.header_state.http == "up", what="api probed")
        # The system query is refused without an admin key: the pane is told, and stays calm.
        await until(
            pilot,
            lambda: any(isinstance(m, DocumentTotal) for m in seen),
            what="live total answered",
        )
        assert {m.total for m in seen if isinstance(m, DocumentTotal)} == {None}
        assert subtitle(app) == ""


async def test_a_profile_switch_drops_the_old_targets_total(sandbox: Any) -> None:
    """Switched to a target that is down, the pane does not keep saying the old one's count
    is live (seen in tmux: '72 documents · live' under a dead API)."""
    s = dataclasses.replace(settings(url=sandbox.url), admin_key=Secret(sandbox.admin_key))
    dead = dataclasses.replace(settings(url="http://127.0.0.1:9", profile="dead"), admin_key=None)
    app = make_app(s, docker=FakeDocker(), settings_loader=lambda _name: dead)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: subtitle(app).endswith("documents · live"), what="total")
        app.apply_profile("dead")
        await until(pilot, lambda: app.header_state.url == "http://127.0.0.1:9", what="switched")
        await until(pilot, lambda: subtitle(app) == "", what="the old total gone")


async def test_a_hidden_pane_holds_no_subscription_and_is_current_on_return(sandbox: Any) -> None:
    """On another pane the total's query is closed (each commit would cost the console a
    transition while the Logs pane paints); back on Status it is live and up to date."""
    s = dataclasses.replace(settings(url=sandbox.url), admin_key=Secret(sandbox.admin_key))
    app = make_app(s, docker=FakeDocker())
    async with app.run_test(size=(120, 40)) as pilot:
        before = total_documents(sandbox)
        await until(pilot, lambda: subtitle(app) == f"{before:,} documents · live", what="total")
        assert app.convex is not None
        sync = app.convex.sync
        assert TOTAL_DOCUMENTS in sync.subscribed
        await pilot.press("2")
        await until(pilot, lambda: TOTAL_DOCUMENTS not in sync.subscribed, what="closed")
        async with httpx.AsyncClient() as other:
            resp = await other.post(
                f"{sandbox.url}/api/mutation",
                json={"path": "tasks:create", "args": {"title": "while hidden"}},
            )
            assert resp.json()["status"] == "success"
        await pilot.press("1")
        await until(pilot, lambda: TOTAL_DOCUMENTS in sync.subscribed, what="reopened")
        await until(
            pilot, lambda: subtitle(app) == f"{before + 1:,} documents · live", what="total + 1"
        )
