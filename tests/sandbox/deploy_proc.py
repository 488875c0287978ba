"""A sandbox in its own process for the deploy tests: ``deploy_proc.py DATA_DIR KEY``.

Starts with no demo data (a pushed app's schema decides the tables), prints one JSON line
``{"url", "site_url", "admin_key"}`` once listening, and serves until its stdin closes. A
data directory and key given by the test let a second process reopen the same deployment.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path


async def main(data_dir: Path, key: str) -> None:
    from tui.sandbox.server import SandboxServer

    async with SandboxServer(data_dir=data_dir, admin_key=key, seed="empty") as server:
        line = {"url": server.url, "site_url": server.site_url, "admin_key": key}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
