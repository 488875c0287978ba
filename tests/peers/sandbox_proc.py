"""Runs an in-memory demo sandbox in its own process for the peer tests.

Prints one JSON line `{"url", "site_url", "admin_key"}` once the server listens, then serves
until its stdin closes. A separate process keeps the real clients (the Rust-backed PyPI client
in particular) from sharing a GIL or an event loop with the server they test.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def main() -> None:
    from tui.sandbox.server import SandboxServer

    async with SandboxServer(host="127.0.0.1", port=0, memory=True, seed="demo") as server:
        key = server.admin_key
        reveal = getattr(key, "reveal", None)
        admin_key = reveal() if callable(reveal) else str(key)
        line = {"url": server.url, "site_url": server.site_url, "admin_key": admin_key}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        # Serve until the parent closes our stdin (or dies).
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
