"""The Logs pane with Pilot against a real sandbox: function logs stream in (structured, as the
dashboard reads them), filters, facets, follow/pause, detail with the call tree, export, the
drop counter, remembered filters, hostile text made inert."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import Input, SelectionList

from screens.app import ConsoleApp, make_app
from screens.logs import LogsScreen
from screens.logs_dialogs import DetailScreen, ExportScreen, FacetsScreen
from tests.ui.conftest import until
from tests.ui.fakes import FakeDocker, settings
from tui.config import Secret
from tui.logs.filter import LogFilter
from tui.logs.record import CONTAINER, FUNCTIONS, LOG, Record, stamp


@pytest.fixture(autouse=True)
def filter_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "log-filters.json"
    monkeypatch.setattr("tui.logs.store.default_path", lambda: path)
    return path


def app_for(sandbox: Any, **kw: Any) -> ConsoleApp:
    s = dataclasses.replace(settings(url=sandbox.url), admin_key=Secret(sandbox.admin_key))
    return make_app(s, docker=FakeDocker(), **kw)


def call(sandbox: Any, kind: str, path: str, args: dict[str, Any]) -> dict[str, Any]:
    resp = httpx.post(
        f"{sandbox.url}/api/{kind}",
        json={"path": path, "args": args, "format": "json"},
        headers={"Authorization": f"Convex {sandbox.admin_key}"},
        timeout=10,
    )
    return dict(resp.json())


def set_env(sandbox: Any, name: str) -> None:
    httpx.post(
        f"{sandbox.url}/api/update_environment_variables",
        json={"changes": [{"name": name, "value": "1"}]},
        headers={"Authorization": f"Convex {sandbox.admin_key}"},
        timeout=10,
    ).raise_for_status()


async def open_logs(pilot: Any) -> LogsScreen:
    app = pilot.app
    await until(pilot, lambda: app.header_state.http == "up", what="api probed")
    await pilot.press("2")
    screen = app.screen
    assert isinstance(screen, LogsScreen)
    await until(pilot, lambda: app.convex is not None, what="client")
    return screen


def texts(screen: LogsScreen) -> list[str]:
    return [r.text for r in screen.view.visible]


def screen_text(screen: LogsScreen) -> str:
    lines = screen.lines
    return "\n".join(
        "".join(seg.text for seg in lines.render_line(y)) for y in range(lines.size.height)
    )


async def created(pilot: Any, screen: LogsScreen, sandbox: Any, title: str) -> None:
    assert call(sandbox, "mutation", "tasks:create", {"title": title})["status"] == "success"
    await until(pilot, lambda: any(title in t for t in texts(screen)), what=f"line of {title}")


async def test_mutation_line_appears_structured_and_the_filter_narrows_and_inverts(
    sandbox: Any,
) -> None:
    tag = uuid.uuid4().hex[:8]
    app = app_for(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        await created(pilot, screen, sandbox, f"flt-{tag}")
        row = next(r for r in screen.view.visible if f"flt-{tag}" in r.text)
        assert row.level == "INFO" and row.function == "tasks:processTask"  # structured lines
        await pilot.press("slash", *f"flt-{tag}", "enter")
        assert screen.view.visible and all(
            f"flt-{tag}" in r.search_text() for r in screen.view.visible
        )
        assert f"1/{len(screen.view.visible)} matches" in str(
            screen.query_one("#logs-bar").render()
        ) or "matches" in str(screen.query_one("#logs-bar").render())
        assert f"flt-{tag}" in screen_text(screen)
        await pilot.press("slash", "home", "!", "enter")  # "!" first inverts
        assert screen.view.filter.query == f"!flt-{tag}"
        assert not any(f"flt-{tag}" in r.search_text() for r in screen.view.visible)
        await pilot.press("escape")
        assert screen.view.filter.query == "" and not screen.query_one("#filter").display


async def test_highlight_mode_steps_through_matches_with_n_and_N(sandbox: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    app = app_for(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        for i in range(3):
            await created(pilot, screen, sandbox, f"hl-{tag}-{i}")
        screen.set_filter(LogFilter(query=f"hl-{tag}", narrow=False))
        await pilot.pause()
        total = len(screen.view.visible)
        assert screen.view.match_count() == 3  # processTask logs the title
        assert total > 3  # other rows stay: the query only highlights
        await pilot.press("n")
        first = screen.lines.cursor
        assert f"hl-{tag}" in screen.view.visible[first].search_text()
        await pilot.press("n")
        assert screen.lines.cursor > first
        await pilot.press("N")
        assert screen.lines.cursor == first
        assert "matches" in str(screen.query_one("#logs-bar").render())
        assert not screen.view.follow  # stepping through matches pauses following


async def test_facets_dialog_applies_status_level_function_and_request(sandbox: Any) -> None:
    app = app_for(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        assert call(sandbox, "query", "debug:fail", {})["status"] == "error"
        await created(pilot, screen, sandbox, f"fct-{uuid.uuid4().hex[:6]}")
        await until(pilot, lambda: any(r.function == "debug:fail" for r in screen.view.visible))
        await pilot.press("f")
        dialog = app.screen
        assert isinstance(dialog, FacetsScreen)
        dialog.query_one("#status", SelectionList).select("failure")
        await pilot.press("ctrl+s")
        assert screen.view.filter.status == "failure"
        assert screen.view.visible and all(r.success is False for r in screen.view.visible)
        screen.set_filter(LogFilter(levels=frozenset({"INFO"})))
        assert {r.level for r in screen.view.visible} <= {"INFO", "LOG"}
        screen.set_filter(LogFilter(functions=frozenset({"debug:fail"})))
        assert {r.function for r in screen.view.visible} == {"debug:fail"}
        # `r` narrows to the selected row's request, `r` again widens.
        screen.set_filter(LogFilter())
        screen.lines.cursor = len(screen.view.visible) - 1
        await pilot.press("r")
        rid = screen.view.filter.request_id
        assert rid and all(r.request_id == rid for r in screen.view.visible)
        await pilot.press("r")
        assert screen.view.filter.request_id == ""


async def test_follow_pause_counts_arrivals_and_G_resumes(sandbox: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    app = app_for(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        await created(pilot, screen, sandbox, f"fol-{tag}-0")
        await pilot.press("up")
        assert not screen.view.follow
        paused_at = screen.lines.cursor
        await created(pilot, screen, sandbox, f"fol-{tag}-1")
        assert screen.view.arrived >= 2
        assert f"PAUSED · {screen.view.arrived:,} new" in str(
            screen.query_one("#logs-bar").render()
        )
        assert screen.lines.cursor == paused_at  # the view did not move
        await pilot.press("G")
        await pilot.pause()
        assert screen.view.follow and screen.lines.cursor == len(screen.view.visible) - 1
        last = screen.view.visible[-1]
        assert f"{stamp(last.time)} {last.tag}" in screen_text(screen)  # the tail is on screen


async def test_detail_shows_the_request_and_its_call_tree(sandbox: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    app = app_for(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        assert call(sandbox, "action", "rag:searchWithRAG", {"query": tag})["status"] == "success"
        await until(
            pilot,
            lambda: any(
                r.function == "rag:searchWithRAG" and r.kind == "outcome"
                for r in screen.view.visible
            ),  # fmt: skip
            what="action outcome",
        )
        index = next(i for i, r in enumerate(screen.view.visible)
                     if r.function == "rag:searchWithRAG" and r.kind == "outcome")  # fmt: skip
        screen.lines.cursor = index
        await pilot.press("enter")
        dialog = app.screen
        assert isinstance(dialog, DetailScreen)
        text = "\n".join(dialog.lines)
        assert "A rag:searchWithRAG · ok" in text
        assert "  └ A rag:generateQueryEmbedding · ok" in text
        assert "  └ Q rag:searchDocuments · ok" in text
        assert tag in text and "execution time" in text and "caller" in text
        await pilot.press("escape")
        assert app.screen is screen


async def test_export_filtered_view_to_jsonl_and_log(sandbox: Any, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    app = app_for(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        await created(pilot, screen, sandbox, f"exp-{tag}")
        screen.set_filter(LogFilter(query=f"exp-{tag}"))
        for name in ("out.jsonl", "out.log"):
            await pilot.press("e")
            dialog = app.screen
            assert isinstance(dialog, ExportScreen)
            dialog.query_one("#path", Input).value = str(tmp_path / name)
            await pilot.press("enter")
            target = tmp_path / name
            await until(pilot, target.exists, what=name)
        rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
        assert len(rows) == len(screen.view.visible) == 1  # processTask logs the title
        assert all(f"exp-{tag}" in r["message"] for r in rows)
        assert f"exp-{tag}" in (tmp_path / "out.log").read_text()


async def test_drop_counter_and_lost_counter_are_shown(sandbox: Any) -> None:
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        screen.view.buffer.capacity = 1000
        screen.inbox.put([Record(float(i), "box", CONTAINER, f"l{i}", "stdout")
                          for i in range(1500)])  # fmt: skip
        screen.view.count_lost(7)
        await until(pilot, lambda: screen.view.dropped == 500, what="drops")
        bar = str(screen.query_one("#logs-bar").render())
        assert "500 dropped (buffer 1,000)" in bar and "7 lost" in bar
        assert texts(screen)[0] == "l500" and texts(screen)[-1] == "l1499"


async def test_filters_are_remembered_per_deployment(sandbox: Any, filter_store: Path) -> None:
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "slash", *"remember-me", "enter")

        def saved() -> bool:
            return filter_store.exists() and '"remember-me"' in filter_store.read_text()

        await until(pilot, saved, what="filter saved")
    again = app_for(sandbox, connect_convex=False)
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = again.screen
        assert isinstance(screen, LogsScreen)
        assert screen.view.filter.query == "remember-me"


async def test_a_typed_filter_is_saved_once_when_typing_pauses(sandbox: Any) -> None:
    """One save per pause, of what was typed last (a save per key raced on threads: the last to
    finish won, and two shared a temporary file)."""
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        saves: list[str] = []
        save = screen.store.save

        def spied(deployment: str, log_filter: LogFilter) -> None:
            saves.append(log_filter.query)
            save(deployment, log_filter)

        screen.store.save = spied  # type: ignore[method-assign]
        await pilot.press("slash", *"typed-fast")
        await until(pilot, lambda: bool(saves), what="the save after the pause")
        await pilot.pause(0.2)
        assert saves == ["typed-fast"]
        await pilot.press("backspace", "enter")  # enter saves at once
        await until(pilot, lambda: len(saves) == 2, what="the save on enter")
        assert saves == ["typed-fast", "typed-fas"]
        assert not [n for n in app._notifications if n.severity == "error"]


HOSTILE = (
    "[bold red]markup[/] \x1b]0;title\x07 \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ "
    "\x1b]52;c;Y2xpcA==\x07 \x1b[2J\x1b[H\x1b[10A cursor \u202eevil\u202c \x07bell \udcff"
)


async def test_hostile_text_is_inert_and_long_lines_are_cut(sandbox: Any) -> None:
    app = app_for(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot)
        result = call(sandbox, "query", "debug:echo", {"value": HOSTILE.replace("\udcff", "")})
        assert result["status"] == "success"
        await until(pilot, lambda: any("markup" in t for t in texts(screen)), what="echo line")
        screen.inbox.put([
            Record(9e9, "box", CONTAINER, "\x1b[31mred\x1b[0m " + HOSTILE, "stdout"),
            Record(9e9 + 1, "box", CONTAINER, "y" * 20_000, "stdout"),
            # An HTTP action's identifier carries its request path; a level is the server's.
            Record(9e9 + 0.5, FUNCTIONS, LOG, "route", "\x1b[5mLOG", function="GET /\x1b[2J",
                   udf="H"),
        ])  # fmt: skip
        await until(pilot, lambda: "y" * 50 in screen_text(screen), what="container rows")
        shown = screen_text(screen)
        for bad in ("\x1b", "\x07", "\u202e", "\x9b"):
            assert bad not in shown
        assert "H GET /                  LOG   route" in shown  # escapes gone, the rest kept
        assert "[bold red]markup[/]" in shown  # markup shown literally
        long_row = screen.lines.render_line(screen.lines.size.height - 1)
        assert sum(len(s.text) for s in long_row) <= 120
        # The container's own colour survives (as a style), nothing else does.
        red = next(r for r in screen.view.visible if r.text.startswith("\x1b[31m"))
        assert red.display.startswith("\x1b[31mred\x1b[0m") and "\x1b]" not in red.display
        assert len(screen.view.visible[-1].display) == 20_000  # whole in the model/detail


async def test_events_time_wrap_and_clear(sandbox: Any) -> None:
    name = f"EV_{uuid.uuid4().hex[:6].upper()}"
    app = app_for(sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_logs(pilot)
        set_env(sandbox, name)
        await until(pilot, lambda: any(name in t for t in texts(screen)), what="env event")
        event = next(r for r in screen.view.visible if name in r.text)
        assert event.source == "events" and event.text.startswith("create_environment_variable")
        screen.inbox.put([Record(9e9, "box", CONTAINER, "w" * 300, "stdout")])
        await until(pilot, lambda: "www" in screen_text(screen), what="long row")
        await pilot.press("t")
        assert not screen.lines.show_time and stamp(9e9) not in screen_text(screen)
        before = screen.lines.virtual_size.height
        await pilot.press("w")
        await pilot.pause()
        assert screen.lines.wrap and screen.lines.virtual_size.height >= before + 3
        assert screen_text(screen).count("w" * 50) >= 4  # the long row on several lines
        await pilot.press("ctrl+l")
        assert not screen.view.visible and screen.view.dropped == 0


async def with_a_screenful(pilot: Any) -> LogsScreen:
    """The Logs pane holding 80 rows: both scrollbars are there."""
    await pilot.press("2")
    screen = pilot.app.screen
    assert isinstance(screen, LogsScreen)
    screen.inbox.put([Record(float(i), "box", CONTAINER, f"q{i}", "stdout") for i in range(80)])
    screen._drain_now()
    await pilot.pause()
    return screen


async def test_rows_after_a_quiet_spell_are_painted_in_one_pass(sandbox: Any) -> None:
    """A prompt paint takes the refresh each widget asked for: nothing is left for the screen's
    next frame to paint again (it used to repaint the pane, unchanged, after every one), and
    the horizontal scrollbar, unchanged by a new row, is not repainted."""
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await with_a_screenful(pilot)
        lines = screen.lines
        horizontal = lines.horizontal_scrollbar
        assert lines.show_horizontal_scrollbar and lines.show_vertical_scrollbar
        painted: list[str] = []
        original = lines._row_strip

        def spy(*args: Any) -> Any:  # a row's styling: for the view's render or written ahead
            strip = original(*args)
            painted.extend(t for t in ("late-row",) if t in "".join(s.text for s in strip))
            return strip

        lines._row_strip = spy  # type: ignore[method-assign,assignment]
        screen.inbox.put([Record(100.0, "box", CONTAINER, "late-row", "stdout")])
        screen._drain_now()
        assert painted == ["late-row"]  # on screen in this turn of the loop, styled once
        waiting = [w for w in (lines, screen.query_one("#logs-bar"), horizontal)
                   if w._repaint_required]  # fmt: skip
        assert waiting == [] and not screen._dirty_widgets


async def test_the_scrollbar_repaints_only_when_its_thumb_moves(sandbox: Any) -> None:
    """Following a long log, a new row changes the bar's range and position but not one of its
    cells: it is not repainted. Scrolling away moves the thumb, and the bar shows it."""
    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        screen.inbox.put([Record(float(i), "box", CONTAINER, f"r{i}", "stdout")
                          for i in range(3000)])  # fmt: skip
        screen._drain_now()
        await pilot.pause()
        lines = screen.lines
        bar = lines.vertical_scrollbar

        def thumb_rows() -> list[int]:
            strips = bar.render_lines(bar.size.region)
            return [y for y, strip in enumerate(strips)
                    if any(seg.style and (seg.style.reverse or seg.text.strip())
                           for seg in strip)]  # fmt: skip

        assert thumb_rows() and max(thumb_rows()) == bar.size.height - 1  # at the bottom
        drawn: list[object] = []
        original = bar.render

        def counted() -> Any:
            drawn.append(1)
            return original()

        bar.render = counted  # type: ignore[method-assign]
        screen.inbox.put([Record(5000.0, "box", CONTAINER, "one more", "stdout")])
        screen._drain_now()
        await pilot.pause()
        assert lines.view.visible[-1].text == "one more"
        assert drawn == []  # same cells: not drawn again
        bar.render = original  # type: ignore[method-assign]
        lines.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert bar._repaint_required or min(thumb_rows()) == 0
        await pilot.pause()
        assert min(thumb_rows()) == 0  # the thumb moved to the top, on screen


async def test_rows_from_a_reader_thread_are_painted_at_once_the_bar_right_after(
    sandbox: Any,
) -> None:
    """A stream's thread hands rows over with a loop callback, not a Textual message (whose
    queue and dispatch were 0.3 ms of a line's way to the screen); the rows go out first,
    straight from their widget, and the status bar in the next update, after what was already
    waiting on the loop (issue 17). Nothing is left for a later frame."""
    import threading

    from screens.direct_paint import Patches

    app = app_for(sandbox, connect_convex=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await with_a_screenful(pilot)
        written: list[tuple[str, Any]] = []  # the bar's text, the update, while the rows drain
        display = app._display
        draining: list[bool] = []

        def spy(on: Any, update: Any) -> None:
            if draining:  # other frames (the header's, under load) are not this paint
                written.append((str(screen.query_one("#logs-bar").render()), update))
            display(on, update)

        drain_now, bar_now = screen._drain_now, screen._bar_now

        def drained(paint: Any = drain_now) -> None:
            draining.append(True)
            try:
                paint()
            finally:
                draining.clear()

        app._display = spy  # type: ignore[method-assign,assignment]
        screen._drain_now = drained  # type: ignore[method-assign]
        screen._bar_now = lambda: drained(bar_now)  # type: ignore[method-assign]
        posted: list[object] = []  # messages sent to the screen from the stream's thread
        post = screen.post_message
        ui_thread = threading.get_ident()

        def spied(message: Any) -> bool:
            if threading.get_ident() != ui_thread:
                posted.append(message)
            return post(message)

        screen.post_message = spied  # type: ignore[method-assign]
        rows = [Record(100.0, "functions", CONTAINER, "from-a-thread", "stdout")]
        thread = threading.Thread(target=screen._emit, args=(rows,))
        thread.start()
        thread.join()
        await until(pilot, lambda: "81/81" in str(screen.query_one("#logs-bar").render()),
                    what="the prompt paint and the bar's")  # fmt: skip
        await pilot.pause()
        assert "from-a-thread" in screen_text(screen)
        bar_widget = screen.query_one("#logs-bar")
        if isinstance(written[0][1], Patches):  # straight from the widgets (nothing else dirty)
            (_, rows_update), (bar, bar_update) = written
            assert {u.region for u in rows_update.updates} == {screen.lines.region}
            if isinstance(bar_update, Patches):  # else something else needed a frame too
                # The status bar, with the log's scrollbar rows when the thumb moved.
                regions = {u.region for u in bar_update.updates}
                assert regions in ({bar_widget.region}, {screen.lines.region, bar_widget.region})
        else:  # through Textual: one frame for both
            ((bar, _),) = written
        assert bar.startswith("following · 81/81 rows")
        ours = {screen.lines, bar_widget, *screen.lines.scrollbars()}
        waiting = [w for w in ours if w._repaint_required or w._repaint_regions]
        assert waiting == [] and not ours & screen._dirty_widgets  # nothing left for later
        assert posted == []
        app._display = display  # type: ignore[method-assign]
        screen._drain_now, screen._bar_now = drain_now, bar_now  # type: ignore[method-assign]
        screen.post_message = post  # type: ignore[method-assign]
