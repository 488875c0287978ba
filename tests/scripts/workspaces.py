"""Temporary workspaces whose scripts are small shell commands (one per lockfile kind)."""

from __future__ import annotations

import json
from pathlib import Path

LOCKFILE_OF = {
    "npm": "package-lock.json",
    "pnpm": "pnpm-lock.yaml",
    "yarn": "yarn.lock",
    "bun": "bun.lock",
}

SCRIPTS = {
    "deploy:functions": "printf 'deploying\\n'; printf '\\033[32m✔ Added table indexes:\\033[0m\\n'"
    "; printf '  [+] tasks.by_owner\\n'; printf '✔ Deployed Convex functions\\n'",
    "dev:backend": "while true; do echo tick; sleep 0.2; done",
    "convex:status": "echo status",
    "typecheck": "exit 3",
    "test": "echo tested",
    "colours": "printf '\\033[31mred\\033[0m\\n\\033]0;title\\007plain\\n'; exit 0",
    "lint": "echo lint",
    "build": "echo build",
}


def make_workspace(root: Path, manager: str = "npm", scripts: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data = {"name": "ws", "private": True, "scripts": scripts if scripts is not None else SCRIPTS}
    (root / "package.json").write_text(json.dumps(data, indent=2))
    for lockfile in (*LOCKFILE_OF.values(), "bun.lockb"):  # a reused directory: no stale ones
        (root / lockfile).unlink(missing_ok=True)
    if manager in LOCKFILE_OF:
        (root / LOCKFILE_OF[manager]).write_text("")
    return root
