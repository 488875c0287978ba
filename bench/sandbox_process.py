"""A sandbox deployment in a process of its own, for the benches: as a real backend is, so the
bench's own work (polling a terminal, timing a client) never holds the GIL the server needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SANDBOX = """
import asyncio, json, sys
from tui.sandbox.server import SandboxServer
async def main():
    async with SandboxServer(host="127.0.0.1", port=0, memory=True, seed="demo") as s:
        print(json.dumps({"url": s.url, "admin_key": s.admin_key}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""


def start_sandbox() -> tuple[subprocess.Popen[str], str, str]:
    """(process, API URL, admin key); closing the process's stdin ends it."""
    proc = subprocess.Popen([sys.executable, "-c", SANDBOX], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, info["url"], info["admin_key"]


def stop_sandbox(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    proc.wait(timeout=30)
