"""Container logs read from the engine's API socket: frame demultiplexing (any split), time
stamps, and against a real engine: follow, restart and recreate with markers, no duplicates."""

from __future__ import annotations

import asyncio
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.docker_fixtures import TEST_IMAGE
from tui.logs.containers import ContainerStream
from tui.logs.engine import LineDecoder, docker_time
from tui.logs.record import MARKER, Record


def frame(sid: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", sid, len(payload)) + payload


def _flat(batches: list[tuple[int, list[str]]]) -> list[tuple[int, str]]:
    return [(sid, line) for sid, lines in batches for line in lines]


@given(
    st.lists(st.tuples(st.sampled_from([1, 2]), st.binary(max_size=40)), max_size=20),
    st.lists(st.integers(1, 50), max_size=30),
)
def test_frames_split_anywhere_give_the_same_lines(
    frames: list[tuple[int, bytes]], cuts: list[int]
) -> None:
    data = b"".join(frame(sid, p) for sid, p in frames)
    parser = LineDecoder(tty=False)
    got: list[tuple[int, str]] = []
    pos = 0
    for cut in cuts:
        got += _flat(parser.feed(data[pos : pos + cut]))
        pos += cut
    got += _flat(parser.feed(data[pos:])) + _flat(parser.flush())
    for sid in (1, 2):  # per stream, every line once, in order; bytes decoded per whole line
        joined = b"".join(p for s, p in frames if s == sid).replace(b"\r\n", b"\n")
        written = bool(joined)  # a lone newline is one empty line
        if joined.endswith(b"\n"):
            joined = joined[:-1]  # a final newline ends the last line, it is not a line
        expected = [ln.decode("utf-8", "replace") for ln in joined.split(b"\n")] if written else []
        assert [ln for s, ln in got if s == sid] == expected


def test_tty_streams_have_no_frame_headers() -> None:
    parser = LineDecoder(tty=True)
    assert parser.feed(b"a\r\nb") == [(1, ["a"])]
    assert parser.flush() == [(1, ["b"])]


def test_docker_time_stamps() -> None:
    assert docker_time(b"1970-01-01T00:00:01.500000000Z") == 1.5
    assert docker_time(b"2026-01-01T00:00:00Z") == 1767225600.0
    assert docker_time(b"garbage") is None


# ------------------------------------------------------------------ against a real engine

LOOP = 'i=0; while true; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.05; done'


@pytest.fixture
def box(sdk: Any) -> Iterator[str]:
    name = f"i10-logs-{uuid.uuid4().hex[:6]}"
    sdk.containers.run(TEST_IMAGE, ["sh", "-c", LOOP], name=name, detach=True,
                       network_mode="none")  # fmt: skip
    yield name
    try:
        sdk.api.remove_container(name, force=True)
    except Exception:  # noqa: BLE001 - already gone
        pass


async def _until(rows: list[Record], check: Any, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check(rows):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {[r.text for r in rows][-8:]}")
        await asyncio.sleep(0.05)


def _numbers(rows: list[Record], prefix: str) -> list[int]:
    return [int(r.text.split()[1]) for r in rows if r.kind != MARKER and r.text.startswith(prefix)]


@pytest.mark.docker
async def test_follow_restart_and_recreate_with_markers_and_no_duplicates(
    box: str, sdk: Any
) -> None:
    rows: list[Record] = []
    stream = ContainerStream(box, rows.extend, tail=None)
    thread = threading.Thread(target=stream.run, daemon=True)
    thread.start()
    try:
        await _until(rows, lambda r: len(_numbers(r, "out")) >= 10, "first lines")
        assert {r.level for r in rows} == {"stdout", "stderr"}
        await asyncio.to_thread(sdk.api.restart, box, timeout=0)
        await _until(rows, lambda r: any("restarted" in x.text for x in r), "restart marker")
        await _until(rows, lambda r: _numbers(r, "out")[-1:] >= [5], "lines after restart")
        # Recreate: same name, new container; the stream finds it and says so.
        await asyncio.to_thread(sdk.api.remove_container, box, force=True)
        await _until(rows, lambda r: any("not found" in x.text for x in r), "gone marker")
        sdk.containers.run(TEST_IMAGE, ["sh", "-c", "echo recreated-1; sleep 60"], name=box,
                           detach=True, network_mode="none")  # fmt: skip
        await _until(rows, lambda r: any(x.text == "recreated-1" for x in r), "recreated line")
    finally:
        stream.stop()
        await asyncio.to_thread(thread.join, 5)
    assert not thread.is_alive(), "the stream did not stop within 5 s"
    outs = _numbers(rows, "out")
    restart = next(i for i, r in enumerate(rows) if "restarted" in r.text)
    before = _numbers(rows[:restart], "out")
    after = _numbers(rows[restart:], "out")
    # Every line once: 1..n before the restart, 1..m after it (the counter restarts).
    assert before == list(range(1, len(before) + 1)), before
    assert after == list(range(1, len(after) + 1)), after
    assert len(outs) == len(before) + len(after)
    assert [r.text for r in rows].count("recreated-1") == 1


def test_invalid_utf8_and_escapes_from_a_container_become_inert() -> None:
    rows: list[Record] = []
    stream = ContainerStream("box", rows.extend)
    parser = LineDecoder(tty=False)
    payload = b"2026-01-01T00:00:00.5Z \xff\xfe\x1b[31mred\x1b[0m \x1b]52;c;eA==\x07 \x1b[5A\n"
    got = stream._rows(parser.feed(frame(2, payload)))
    assert len(got) == 1 and got[0].level == "stderr" and got[0].time == 1767225600.5
    assert got[0].display.startswith("\ufffd\ufffd\x1b[31mred\x1b[0m")
    assert "\x1b]" not in got[0].display and "\x1b[5A" not in got[0].display
    assert got[0].plain.startswith("\ufffd\ufffdred ")
