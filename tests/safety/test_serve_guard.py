"""Defect 1: `convex-tui serve` took cross-site WebSocket connections. Now a real server on
loopback refuses /ws without the per-launch token or with a foreign Origin, and the page without
its token; the child's command line holds neither the key nor the URL."""

from __future__ import annotations

import asyncio
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import websockets

from screens.serve import allowed_origins, console_command, origin_ok
from tests.serve_proc import Served, serve_process

KEY = "convex-self-hosted|" + "ab12" * 16


async def _ws(served: Served, path: str, origin: str | None) -> str:
    """The first frame of a session on ``path``, or the HTTP status that refused it."""
    headers = {"Origin": origin} if origin else {}
    url = f"ws://127.0.0.1:{served.port}{path}?width=80&height=24"
    try:
        async with websockets.connect(url, additional_headers=headers, open_timeout=10) as ws:
            frame = await asyncio.wait_for(ws.recv(), 30)
            return f"open {len(frame)}"
    except websockets.InvalidStatus as exc:
        return f"refused {exc.response.status_code}"


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _cmdlines() -> list[bytes]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                out.append(Path(f"/proc/{pid}/cmdline").read_bytes())
            except OSError:
                continue
    return out


@pytest.fixture
def served(sandbox: Any, tmp_path: Path) -> Any:
    # The key rides in the URL too: the child's command line must show neither.
    with serve_process(f"{sandbox.url}?adminKey={KEY}", sandbox.admin_key, tmp_path) as s:
        yield s


async def test_cross_site_and_tokenless_websockets_are_refused(served: Served) -> None:
    good_origin = f"http://127.0.0.1:{served.port}"
    tok = f"/ws/{served.token}"
    assert await _ws(served, tok, "http://evil.example") == "refused 403"
    assert await _ws(served, tok, None) == "refused 403"
    assert await _ws(served, "/ws", good_origin) in ("refused 403", "refused 404")
    assert await _ws(served, "/ws/wrong-token", good_origin) == "refused 403"
    assert await _ws(served, tok, f"http://127.0.0.1:{served.port}.evil.example") == "refused 403"
    assert (await _ws(served, tok, good_origin)).startswith("open")


async def test_page_needs_its_token(served: Served) -> None:
    base = f"http://127.0.0.1:{served.port}/"
    assert await asyncio.to_thread(_status, base) == 403
    assert await asyncio.to_thread(_status, base + "?token=nope") == 403
    assert await asyncio.to_thread(_status, served.url) == 200
    page = await asyncio.to_thread(lambda: urllib.request.urlopen(served.url).read().decode())
    assert f"/ws/{served.token}" in page
    assert served.stderr.count(served.token) == 1  # printed once


async def test_child_command_line_holds_no_key_or_url(served: Served) -> None:
    good_origin = f"http://127.0.0.1:{served.port}"
    headers = {"Origin": good_origin}
    url = f"ws://127.0.0.1:{served.port}/ws/{served.token}?width=80&height=24"
    async with websockets.connect(url, additional_headers=headers) as ws:
        await asyncio.wait_for(ws.recv(), 30)
        cmdlines = await asyncio.to_thread(_cmdlines)
        ours = [c for c in cmdlines if b"screens.app" in c]
        assert ours, "no console child found"
        for c in ours:
            assert KEY.encode() not in c and b"adminKey" not in c
            assert KEY.split("|")[1][:32].encode() not in c


def test_origin_rules() -> None:
    allowed = allowed_origins("127.0.0.1", 8000, "https://8000--ws.coder.example/")
    assert origin_ok("http://localhost:8000", allowed, None)
    assert origin_ok("https://8000--ws.coder.example", allowed, None)
    assert not origin_ok("https://8000--ws.coder.example.evil", allowed, None)
    assert not origin_ok("null", allowed, None)
    assert not origin_ok("http://[x", allowed, None)
    wildcard = allowed_origins("0.0.0.0", 8000, None)
    assert origin_ok("http://box:8000", wildcard, "box:8000")
    assert not origin_ok("http://evil:8000", wildcard, "box:8000")


def test_console_command_never_carries_the_url() -> None:
    import argparse

    args = argparse.Namespace(url=f"http://h:3210/?adminKey={KEY}", admin_key=KEY, profile="p")
    assert "adminKey" not in console_command(args) and KEY not in console_command(args)
