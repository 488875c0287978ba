"""`npx convex logs` beside the console, for part 4 of bench/logs_ingest.py (and 4b, with
bench/terminal_latency.py): the repo's own convex CLI, a mutation whose scheduled follow-up
logs a tag, and the times at which the console and npx each showed it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
NODE_DIRS = (ROOT / "tests" / "peers", ROOT / "tests" / "workspace")


def convex_cli() -> Path:
    """`convex` from the repo's own node_modules; installed from tests/peers' lock file (npm ci)
    when no checkout has it yet."""
    for d in NODE_DIRS:
        found = d / "node_modules" / ".bin" / "convex"
        if found.exists():
            return found
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("bench: npm is missing: cannot run `npx convex logs` beside the pane")
    print("bench: installing the repo's convex CLI (npm ci in tests/peers)...", file=sys.stderr)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIRS[0], check=True,
                   timeout=600, stdout=subprocess.DEVNULL)  # fmt: skip
    found = NODE_DIRS[0] / "node_modules" / ".bin" / "convex"
    if not found.exists():
        raise SystemExit(f"bench: npm ci did not install {found}")
    return found


def mutate(url: str, key: str, title: str) -> None:
    httpx.post(f"{url}/api/mutation", json={"path": "tasks:create", "args": {"title": title},
               "format": "json"}, headers={"Authorization": f"Convex {key}"}, timeout=10)  # fmt: skip


def start_npx(
    cli: Path, env: dict[str, str], terminal: bool
) -> tuple[subprocess.Popen[bytes], Callable[[], Iterator[str]], Callable[[], None]]:
    """`npx convex logs` printing into a pipe, or into a pty (a terminal's slave side, as a
    user runs it: the kernel's tty layer carries its bytes, as it carries the console's); its
    output's lines, and what closes that output."""
    if not terminal:
        npx = subprocess.Popen([str(cli), "logs"], env=env, cwd="/tmp",
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        out = npx.stdout
        assert out is not None
        return npx, lambda: (line.decode("utf-8", "replace") for line in out), out.close
    from terminal_latency import on_pty

    npx, master = on_pty([str(cli), "logs"], {**env, "TERM": "xterm-256color"}, "/tmp")

    def lines() -> Iterator[str]:
        pending = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the slave side closed
                return
            if not chunk:
                return
            *done, pending = (pending + chunk).split(b"\n")
            for line in done:
                yield line.decode("utf-8", "replace")

    return npx, lines, lambda: os.close(master)


def beside_npx(
    url: str, key: str, samples: int, cli: Path,
    arm: Callable[[str], object], wait: Callable[[str], tuple[float | None, float | None]],
    *, terminal: bool = False,
) -> tuple[list[float], list[float], list[float]]:  # fmt: skip
    """One mutation a sample: the console's time (``arm`` before it, ``wait`` for the line
    after: when it was shown, and when that frame ended) and npx's, from the mutation on.
    ``terminal``: npx prints into a pty, as in a user's terminal (else into a pipe)."""
    seen: dict[str, float] = {}
    ready = threading.Event()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
           "CI": "1", "NO_COLOR": "1", "CONVEX_SELF_HOSTED_URL": url,
           "CONVEX_SELF_HOSTED_ADMIN_KEY": key}  # fmt: skip
    npx, lines, stop_npx = start_npx(cli, env, terminal)

    def pump() -> None:
        for line in lines():
            if "lat-" in line:
                seen.setdefault(line.split("lat-", 1)[1][:8], time.perf_counter())
            if "warmup" in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    ours: list[float] = []
    frames: list[float] = []
    theirs: list[float] = []
    try:
        deadline = time.monotonic() + 60
        while not ready.is_set() and time.monotonic() < deadline:  # npx is past its first poll
            mutate(url, key, "warmup")
            ready.wait(1.0)
        for _ in range(samples):
            tag = uuid.uuid4().hex[:8]
            arm(f"lat-{tag}")
            t0 = time.perf_counter()
            mutate(url, key, f"lat-{tag}")
            shown, framed = wait(f"lat-{tag}")
            deadline = time.monotonic() + 20
            while tag not in seen and time.monotonic() < deadline:
                time.sleep(0.005)
            if shown is not None and framed is not None and tag in seen:
                ours.append(shown - t0)
                frames.append(framed - t0)
                theirs.append(seen[tag] - t0)
            time.sleep(0.3)
    finally:
        npx.kill()
        npx.wait(10)
        stop_npx()
    if not ours:
        raise RuntimeError("no sample: the lines did not show in both the console and npx")
    return ours, frames, theirs
