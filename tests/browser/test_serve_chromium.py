"""`convex-tui serve` in headless Chromium: the page loads, the console starts and paints.

Chromium is driven over the DevTools protocol (loopback). textual-serve draws on a canvas, so the
check is on pixels: the header's "convex" badge in the console's own theme colour must be
painted, which only happens once our app has rendered in the page.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.browser.png import count_near
from tests.serve_proc import serve_process

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=900,560",
]
CONVEX_RED = (0xEE, 0x34, 0x2F)  # the header's "convex" badge (theme accent)


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is missing (apt-get install -y chromium)")
        print("WARNING: browser tests skipped: chromium not installed", file=sys.stderr)
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(sandbox: Any, tmp_path: Path) -> Iterator[str]:
    with serve_process(sandbox.url, sandbox.admin_key, tmp_path) as proc:
        yield proc.url  # with its per-launch token


def new_target(devtools_port: int, url: str) -> str:
    req = urllib.request.Request(f"http://127.0.0.1:{devtools_port}/json/new?{url}", method="PUT")
    with urllib.request.urlopen(req, timeout=10) as r:
        return str(json.load(r)["webSocketDebuggerUrl"])


async def call(ws: Any, ident: int, method: str, **params: Any) -> dict[str, Any]:
    await ws.send(json.dumps({"id": ident, "method": method, "params": params}))
    while True:
        msg = json.loads(await ws.recv())
        if msg.get("id") == ident:
            return dict(msg.get("result") or {})


def test_serve_renders_console_in_chromium(served: str) -> None:
    exe = chromium()
    profile = tempfile.mkdtemp(prefix="ctui-chromium-")
    proc = subprocess.Popen(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not port_file.exists() or not port_file.read_text().strip():
            assert time.monotonic() < deadline, "chromium did not start"
            time.sleep(0.05)
        devtools_port = int(port_file.read_text().split()[0])
        asyncio.run(check_page(devtools_port, served))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


async def check_page(devtools_port: int, url: str) -> None:
    ws_url = await asyncio.to_thread(new_target, devtools_port, url)
    ws = await websockets.connect(ws_url, max_size=50_000_000)
    try:
        n = 1
        deadline = time.monotonic() + 30
        red = 0
        while time.monotonic() < deadline:
            n += 1
            res = await call(
                ws,
                n,
                "Runtime.evaluate",
                expression="!!document.querySelector('.textual-terminal canvas, canvas')",
            )
            has_canvas = res.get("result", {}).get("value") is True
            if has_canvas:
                n += 1
                # Only the header line: small enough to decode without starving the sandbox thread.
                clip = {"x": 0, "y": 0, "width": 300, "height": 16, "scale": 1}
                shot = await call(ws, n, "Page.captureScreenshot", format="png", clip=clip)
                png = base64.b64decode(shot["data"])
                red = count_near(png, CONVEX_RED, 40)
                if red > 300:
                    return
            await asyncio.sleep(0.5)
        raise AssertionError(f"console did not paint in the browser (badge pixels: {red})")
    finally:
        await ws.close()
