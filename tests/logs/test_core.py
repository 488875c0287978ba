"""The Logs core without Textual: rows from executions, the ring buffer, the filter model, the
view, detail and call tree, export and the per-deployment filter store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tui.convex.models import LogEntry
from tui.logs.buffer import RingBuffer
from tui.logs.detail import call_tree, detail_for, tree_lines
from tui.logs.export import export
from tui.logs.filter import LogFilter, compile_query
from tui.logs.functions import records_from_entry
from tui.logs.inbox import Inbox
from tui.logs.record import CONTAINER, FUNCTIONS, Record
from tui.logs.store import FilterStore
from tui.logs.view import LogView


def entry(
    identifier: str = "tasks:create",
    *,
    kind: str = "Completion",
    ts: float = 100.0,
    lines: list[Any] | None = None,
    error: str | None = None,
    rid: str = "r1",
    eid: str = "e1",
    parent: str | None = None,
    udf: str = "Mutation",
) -> LogEntry:
    return LogEntry.from_json(
        {
            "kind": kind,
            "udfType": udf,
            "identifier": identifier,
            "timestamp": ts,
            "logLines": lines or [],
            "requestId": rid,
            "executionId": eid,
            "parentExecutionId": parent,
            "executionTime": 0.012,
            "error": error,
            "caller": "HttpApi",
            "usageStats": {"databaseWriteDocuments": 1, "storageReadBytes": 0},
        }
    )


def line(msg: str, level: str = "LOG", ts_ms: int = 99_000) -> dict[str, Any]:
    return {"messages": [msg], "isTruncated": False, "timestamp": ts_ms, "level": level}


def row(t: float, text: str = "x", source: str = FUNCTIONS, **kw: Any) -> Record:
    return Record(t, source, kw.pop("kind", "log"), text, **kw)


# ------------------------------------------------------------------ rows from executions


def test_one_row_per_line_and_one_outcome_row_per_completion() -> None:
    e = entry(lines=[line("a", "INFO", 99_500), line("b", "WARN", 99_700)])
    rows = records_from_entry(e)
    assert [(r.kind, r.level, r.text) for r in rows] == [
        ("log", "INFO", "a"),
        ("log", "WARN", "b"),
        ("outcome", "SUCCESS", "success 12 ms via HttpApi"),
    ]
    assert rows[0].time == 99.5  # the line's own timestamp (structured lines)
    assert rows[-1].time == 100.0 and rows[-1].udf == "M" and rows[-1].request_id == "r1"


def test_progress_rows_have_no_outcome_and_failure_text_carries_the_error() -> None:
    progress = records_from_entry(entry(kind="Progress", lines=[line("step")]))
    assert [r.kind for r in progress] == ["log"] and progress[0].success is None
    failed = records_from_entry(entry(error="Uncaught Error: boom"))
    assert failed[-1].level == "FAILURE" and "Uncaught Error: boom" in failed[-1].text


# ------------------------------------------------------------------ buffer


def test_ring_buffer_merges_late_rows_by_time_and_counts_what_it_drops() -> None:
    buf = RingBuffer(3)
    buf.add([row(1), row(3)])
    cut, evicted = buf.add([row(2), row(4)])
    assert [r.time for r in buf.rows] == [2, 3, 4]
    assert cut == 2 and [r.time for r in evicted] == [1]
    assert buf.add([]) == (None, [])
    assert buf.dropped == 1 and buf.total == 4


@given(st.lists(st.floats(0, 1000, allow_nan=False), max_size=60), st.integers(1, 20))
def test_buffer_keeps_the_newest_rows_in_order(times: list[float], capacity: int) -> None:
    buf = RingBuffer(capacity)
    for i in range(0, len(times), 7):
        buf.add([row(t) for t in times[i : i + 7]])
    kept = [r.time for r in buf.rows]
    assert kept == sorted(kept)
    assert len(kept) == min(capacity, len(times)) and buf.dropped == len(times) - len(kept)


def test_inbox_counts_rows_lost_when_the_pane_falls_behind() -> None:
    inbox = Inbox(limit=10)
    for i in range(5):
        inbox.put([row(i)] * 4)
    rows, lost = inbox.take()
    assert len(rows) + lost == 20 and lost >= 8 and len(rows) <= 12


# ------------------------------------------------------------------ filter model


def test_query_is_regex_or_plain_text_and_bang_inverts() -> None:
    pattern, inverted = compile_query("!err(or")  # not a regex: searched literally
    assert inverted and pattern is not None and pattern.search("an ERR(OR here")
    assert compile_query("a.c")[0].search("abc")  # type: ignore[union-attr]


@given(st.text(max_size=30))
def test_any_query_compiles(query: str) -> None:
    LogFilter(query=query).compile()(row(1, "text"))


def test_facets_match_the_dashboard() -> None:
    log = row(1, "hi", level="LOG", function="a:b", request_id="r", success=True)
    info = row(1, "hi", level="INFO", function="a:b")
    failed = row(1, "boom", kind="outcome", level="FAILURE", function="a:c", success=False)
    box = row(1, "c", source="backend", kind=CONTAINER, level="stdout")
    m = LogFilter(levels=frozenset({"INFO"})).compile()
    assert m(log) and m(info) and not m(failed) and not m(box)  # INFO also matches LOG
    m = LogFilter(levels=frozenset({"ERROR"})).compile()
    assert m(failed) and not m(log)  # ERROR also matches a failed execution
    assert LogFilter(status="failure").compile()(failed)
    assert not LogFilter(status="failure").compile()(log)
    assert LogFilter(status="success").compile()(log)
    assert not LogFilter(status="success").compile()(box)
    assert LogFilter(functions=frozenset({"a:c"})).compile()(failed)
    assert not LogFilter(functions=frozenset({"a:c"})).compile()(log)
    assert LogFilter(sources=frozenset({"backend"})).compile()(box)
    assert not LogFilter(sources=frozenset({"backend"})).compile()(log)
    assert LogFilter(request_id="r").compile()(log) and not LogFilter(request_id="r").compile()(
        info
    )
    # Free text covers the function and request id like the dashboard's search box.
    assert LogFilter(query="a:b").compile()(log) and not LogFilter(query="!a:b").compile()(log)


def test_filter_round_trips_through_json_and_the_store(tmp_path: Path) -> None:
    f = LogFilter(query="!x", status="failure", levels=frozenset({"WARN"}), request_id="r9")
    assert LogFilter.from_json(json.loads(json.dumps(f.to_json()))) == f
    store = FilterStore(tmp_path / "f.json")
    store.save("http://a", f)
    store.save("http://b", LogFilter(query="b"))
    assert store.load("http://a") == f and store.load("http://b").query == "b"
    assert store.load("http://c") == LogFilter()
    (tmp_path / "f.json").write_text("not json")
    assert store.load("http://a") == LogFilter()  # a broken file is not fatal


def test_saves_racing_on_threads_all_succeed_and_leave_whole_json(tmp_path: Path) -> None:
    """Typing a filter saved it once per key, each on a worker thread: two of them shared one
    temporary file, and one failed with "No such file or directory" (found in tmux)."""
    import threading

    store = FilterStore(tmp_path / "f.json")
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def save(i: int) -> None:
        start.wait()
        try:
            for j in range(20):
                store.save(f"http://d{i % 4}", LogFilter(query=f"q{i}-{j}"))
        except BaseException as exc:  # noqa: BLE001 - the test reports every failure
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    data = json.loads((tmp_path / "f.json").read_text())
    assert sorted(data) == [f"http://d{i}" for i in range(4)]  # no save lost another's key
    assert list(tmp_path.iterdir()) == [tmp_path / "f.json"]  # no temporary file left
    assert (tmp_path / "f.json").stat().st_mode & 0o077 == 0  # the user's own


# ------------------------------------------------------------------ view


def test_view_keeps_filtered_rows_in_step_with_appends_inserts_and_drops() -> None:
    view = LogView(capacity=4, log_filter=LogFilter(query="keep"))
    view.add([row(1, "keep 1"), row(2, "drop"), row(4, "keep 4")])
    view.add([row(3, "keep 3")])  # late: inserted in time order
    assert [r.text for r in view.visible] == ["keep 1", "keep 3", "keep 4"]
    removed = view.add([row(5, "keep 5"), row(6, "x")])  # evicts 1 and 2
    assert removed == 1 and view.dropped == 2
    assert [r.text for r in view.visible] == ["keep 3", "keep 4", "keep 5"]
    view.set_filter(LogFilter(query="!keep"))
    assert [r.text for r in view.visible] == ["x"]


@given(
    st.lists(st.lists(st.tuples(st.integers(0, 30), st.booleans()), max_size=12), max_size=12),
    st.integers(1, 25),
)
def test_view_always_equals_the_filtered_buffer(batches: list[Any], capacity: int) -> None:
    view = LogView(capacity=capacity, log_filter=LogFilter(query="yes"))
    for batch in batches:
        view.add([row(float(t), "yes" if keep else "no") for t, keep in batch])
        assert view.visible == [r for r in view.buffer.rows if r.text == "yes"]
        assert [r.time for r in view.buffer.rows] == sorted(r.time for r in view.buffer.rows)


def test_pause_counts_arrivals_and_matches_step_with_a_count() -> None:
    view = LogView(log_filter=LogFilter(query="b", narrow=False))
    view.add([row(1, "a"), row(2, "b"), row(3, "ab")])
    assert len(view.visible) == 3 and view.match_count() == 2
    assert view.next_match(0) == 1 and view.next_match(1) == 2 and view.next_match(2) == 1
    assert view.next_match(1, forward=False) == 2 and view.match_ordinal(2) == 2
    view.pause()
    view.add([row(4, "c"), row(5, "d")])
    assert view.arrived == 2
    view.resume()
    assert view.arrived == 0 and view.follow


# ------------------------------------------------------------------ detail and call tree


def test_detail_gathers_the_request_and_builds_the_call_tree() -> None:
    root = entry("rag:search", ts=10, rid="R", eid="root", udf="Action")
    child = entry("rag:embed", ts=9, rid="R", eid="c1", parent="root", udf="Action")
    grandchild = entry("rag:docs", ts=8, rid="R", eid="c2", parent="c1", udf="Query",
                       lines=[line("found 6", ts_ms=7_900)])  # fmt: skip
    other = entry("tasks:list", ts=11, rid="other", eid="o")
    rows = [r for e in (grandchild, child, root, other) for r in records_from_entry(e)]
    assert tree_lines(call_tree([grandchild.__class__.from_json(dict(grandchild.raw))])) == [
        "Q rag:docs · ok 12 ms"
    ]
    detail = detail_for(rows[0], rows)
    assert detail is not None and detail.request_id == "R"
    assert [e.identifier for e in detail.executions] == ["rag:docs", "rag:embed", "rag:search"]
    assert tree_lines(detail.tree) == [
        "A rag:search · ok 12 ms",
        "  └ A rag:embed · ok 12 ms",
        "    └ Q rag:docs · ok 12 ms",
    ]
    text = "\n".join(detail.text_lines())
    assert "found 6" in text and "databaseWriteDocuments" in text and "tasks:list" not in text
    assert detail_for(row(1, "container", source="backend", kind=CONTAINER), rows) is None


# ------------------------------------------------------------------ export


def test_export_log_is_sanitized_text_and_jsonl_is_exact(tmp_path: Path) -> None:
    rows = records_from_entry(entry(lines=[line("evil \x1b]0;title\x07 \x1b[2J [b]x[/b]")]))
    n = export(rows, tmp_path / "out.log")
    text = (tmp_path / "out.log").read_text()
    assert n == 2 and "\x1b" not in text and "[b]x[/b]" in text and "M tasks:create" in text
    export(rows, tmp_path / "out.jsonl")
    first = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert first["message"] == "evil \x1b]0;title\x07 \x1b[2J [b]x[/b]"  # exact, JSON-escaped
    assert first["requestId"] == "r1" and first["function"] == "tasks:create"


def test_the_servers_function_name_and_level_are_inert_too(tmp_path: Path) -> None:
    """An HTTP action's identifier carries a request path, and a level is the server's word:
    neither reaches a terminal raw (the `.log` export and `convex-tui logs` print this line)."""
    hostile = "GET /\x1b[2J\x1b]0;pwned\x07\u202eevil"
    rows = records_from_entry(entry(hostile, lines=[line("hi", "LOG\x1b[5m")]))
    assert all("\x1b" not in r.tag and "\u202e" not in r.tag for r in rows)
    export(rows, tmp_path / "out.log")
    text = (tmp_path / "out.log").read_text()
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "GET /" in text and "evil" in text and "[LOG" in text
    export(rows, tmp_path / "out.jsonl")
    first = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert first["function"] == hostile and "\x1b[5" in first["level"]  # exact
