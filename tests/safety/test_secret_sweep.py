"""The secret sweep (issue 9): a full session with a known admin key supplied in each accepted
way — `--admin-key`, CONVEX_SELF_HOSTED_ADMIN_KEY, CONVEX_ADMIN_KEY, `.env.convex.local`, a
profile's `admin_key_env`, and inside the URL (`?adminKey=`, userinfo, a path segment) — through
every headless command (success and error paths), the console in tmux with every pane, and
`serve` (its stderr, the session's frames and the child's command line). Every byte written —
stdout, stderr, the screens, and every file written under the session's HOME/config/data dirs —
is searched for the key and each half of it: 0 hits.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.e2e.tmux import Tmux, pane_marker, session
from tests.serve_proc import serve_process
from tui.keys import PANES
from tui.sandbox.server import SandboxThread

KEY = "convex-self-hosted|01" + "5ec7e7" * 12 + "9f3c"
NEEDLES = (KEY, KEY[: len(KEY) // 2], KEY[len(KEY) // 2 :], KEY.split("|")[1])
Sink = list[tuple[str, bytes]]


def hits(sink: Sink) -> list[str]:
    found = []
    for label, data in sink:
        for needle in NEEDLES:
            for form in (needle, needle.replace("|", "%7C"), needle.replace("|", "%7c")):
                if form.encode() in data:
                    found.append(f"{label}: {form[:12]}…")
    return found


@pytest.fixture(scope="module")
def deployment() -> Iterator[SandboxThread]:
    with SandboxThread(memory=True, seed="demo", admin_key=KEY, log_poll_seconds=3) as s:
        yield s


def ways(url: str, home: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each accepted way to give the key: (extra argv, extra environment)."""
    cfg = home / "config.toml"
    cfg.write_text(f'[profiles.sweep]\nurl = "{url}"\nadmin_key_env = "SWEEP_KEY"\n')
    host = url.removeprefix("http://")
    return {
        "flag": (["--url", url, "--admin-key", KEY], {}),
        "env": (["--url", url], {"CONVEX_SELF_HOSTED_ADMIN_KEY": KEY}),
        "env-legacy": (["--url", url], {"CONVEX_ADMIN_KEY": KEY}),
        "env-file": (["--project-dir", str(home / "proj")], {}),
        "profile": (["--config", str(cfg), "--profile", "sweep"], {"SWEEP_KEY": KEY}),
        "url-query": (["--url", f"{url}/?adminKey={KEY}"], {}),
        "url-query+key": (["--url", f"{url}?adminKey={KEY}"], {"CONVEX_SELF_HOSTED_ADMIN_KEY": KEY}),
        "url-userinfo": (["--url", f"http://admin:{KEY}@{host}"], {}),
        "url-is-key": (["--url", KEY], {}),
    }  # fmt: skip


COMMANDS = [
    ["doctor"],
    ["doctor", "--json"],
    ["status"],
    ["status", "--json"],
    ["run", "debug:echo", '{"value": "hello"}'],
    ["run", "--json", "debug:echo", '{"value": "hello"}'],
    ["run", "no:such"],
    ["run", "debug:fail"],
    ["logs", "--history", "20"],
    ["logs", "--history", "5", "--jsonl"],
    ["--version"],
    ["--help"],
]


def session_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "ADMIN_KEY" not in k and "CONVEX" not in k}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        CONVEX_TUI_CONFIG=str(home / "none.toml"),
    )
    return env


def files_written(root: Path, inputs: set[Path]) -> Sink:
    return [
        (f"file {p.relative_to(root)}", p.read_bytes())
        for p in root.rglob("*")
        if p.is_file() and p not in inputs
    ]


def test_headless_commands_never_show_the_key(deployment: SandboxThread, tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / ".env.convex.local").write_text(
        f"CONVEX_SELF_HOSTED_URL={deployment.url}\nCONVEX_SELF_HOSTED_ADMIN_KEY={KEY}\n"
    )
    (proj / ".env.convex.local").chmod(0o600)
    sink: Sink = []
    all_ways = ways(deployment.url, tmp_path)
    inputs = {proj / ".env.convex.local", tmp_path / "config.toml"}
    for way, (argv, extra) in all_ways.items():
        env = {**session_env(tmp_path), **extra}
        for command in COMMANDS:
            proc = subprocess.run(
                [sys.executable, "-m", "screens.main", *argv, *command],
                env=env, cwd=proj, capture_output=True, timeout=60,
            )  # fmt: skip
            label = f"{way} {' '.join(command)}"
            assert b"Traceback" not in proc.stderr, (label, proc.stderr[-1500:])
            sink += [(f"{label} stdout", proc.stdout), (f"{label} stderr", proc.stderr)]
    sink += files_written(tmp_path, inputs)
    found = hits(sink)
    print(f"\nsecret sweep (headless): {len(all_ways)} ways × {len(COMMANDS)} commands, "
          f"{sum(len(d) for _, d in sink)} bytes searched, {len(found)} hits")  # fmt: skip
    assert found == []


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    yield from session(120, 40)


@pytest.mark.tmux
def test_console_with_every_pane_never_shows_the_key(
    deployment: SandboxThread, tmp_path: Path, tmux: Tmux
) -> None:
    sink: Sink = []
    env = {**session_env(tmp_path), "CONVEX_SELF_HOSTED_ADMIN_KEY": KEY,
           "PYTHONPATH": os.environ.get("PYTHONPATH", "")}  # fmt: skip
    url = f"{deployment.url}?adminKey={KEY}"  # the key inside the URL as well
    tmux.start([sys.executable, "-m", "screens", "--url", url, "console"], env=env)
    tmux.wait_for(lambda s: "Services" in s, what="status pane", timeout=30)
    panes = [pane for pane, _, _ in PANES]
    shown = {str(n): pane_marker(pane) for n, pane in enumerate(panes, start=1)}
    for key in ("1", "2", "3", "4", "5", "6", "1", "question", "Escape", "C-p"):
        tmux.keys("?" if key == "question" else key)
        if key in shown:  # the pane itself, not the frame before it, is what gets searched
            tmux.wait_until(shown[key], line=-1, what=f"pane {key}")
        elif key == "question":
            tmux.wait_until("Show every key", what="help")
        elif key == "Escape":
            tmux.wait_until(absent=["Show every key"], what="help closed")
        else:
            tmux.wait_until("Search for commands", what="the palette")
        sink.append((f"console after {key}", tmux._run("capture-pane", "-e", "-p", "-J").encode()))
        sink.append(
            (f"title after {key}", tmux._run("display-message", "-p", "#{pane_title}").encode())
        )
    tmux.keys("Escape")
    tmux.keys("q")
    sink += files_written(tmp_path, set())
    found = hits(sink)
    print(f"\nsecret sweep (console): {len(sink)} screens/files, {len(found)} hits")
    assert found == []


async def _frames(port: int, token: str, seconds: float) -> bytes:
    url = f"ws://127.0.0.1:{port}/ws/{token}?width=120&height=40"
    headers = {"Origin": f"http://127.0.0.1:{port}"}
    data = b""
    async with websockets.connect(url, additional_headers=headers) as ws:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            try:
                frame = await asyncio.wait_for(ws.recv(), max(0.1, end - loop.time()))
            except TimeoutError:
                break
            data += frame if isinstance(frame, bytes) else frame.encode()
    return data


def test_serve_never_shows_the_key(deployment: SandboxThread, tmp_path: Path) -> None:
    from tests.safety.test_serve_guard import _cmdlines

    sink: Sink = []
    with serve_process(f"{deployment.url}?adminKey={KEY}", KEY, tmp_path) as served:
        sink.append(("serve stderr", served.stderr.encode()))
        frames = asyncio.run(_frames(served.port, served.token, 6.0))
        assert len(frames) > 1000, "the console did not paint"
        sink.append(("serve frames", frames))
        sink += [("cmdline", c) for c in _cmdlines() if b"screens" in c]
    sink += files_written(tmp_path, set())
    found = hits(sink)
    print(f"\nsecret sweep (serve): {len(found)} hits")
    assert found == []


_ = Any
