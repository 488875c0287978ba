"""The workspace's scripts: `package.json` scripts, the package manager from the lockfile, and
the exact command line each action runs.

The seed's scripts come first (with what each does), then typecheck/test scripts, then the
rest. A workspace without `package.json` still gets a deploy action (`npx convex deploy --yes`).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from tui.safety.text import clean_line

# Lockfile → package manager, first match wins (npm is the default without one).
LOCKFILES: tuple[tuple[str, str], ...] = (
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("package-lock.json", "npm"),
)

# The seed's "Required Scripts", in its order, with what each does.
SEED_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("deploy:functions", "Deploy the Convex functions (npx convex deploy --yes)"),
    ("dev:backend", "Convex dev server: watch convex/ and redeploy (npx convex dev)"),
    ("convex:start", "Start self-hosted Convex via Docker Compose"),
    ("convex:stop", "Stop the Docker services"),
    ("convex:status", "Check the services' status"),
    ("convex:logs", "View the Docker logs"),
)
DEPLOY_SCRIPT = "deploy:functions"
DEV_SCRIPT = "dev:backend"
FALLBACK_DEPLOY = ("npx", "convex", "deploy", "--yes")
FALLBACK_DEV = ("npx", "convex", "dev")
CHECK_WORDS = ("typecheck", "type-check", "tsc", "test", "lint", "check")


@dataclass(frozen=True)
class Script:
    name: str
    body: str  # what package.json says it runs ("" for the fallbacks)
    description: str
    group: str  # "seed", "checks", "other", "fallback"
    argv: tuple[str, ...]  # the exact command run

    @property
    def command_line(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class Workspace:
    root: Path
    package_manager: str
    lockfile: str | None
    scripts: tuple[Script, ...]
    problem: str | None = None  # package.json unreadable or malformed
    has_package_json: bool = True

    def get(self, name: str) -> Script | None:
        return next((s for s in self.scripts if s.name == name), None)

    @property
    def deploy(self) -> Script:
        """`deploy:functions`, or `npx convex deploy --yes` without one."""
        return self.get(DEPLOY_SCRIPT) or self.get("convex deploy") or _fallback_deploy()

    @property
    def dev(self) -> Script:
        return self.get(DEV_SCRIPT) or self.get("convex dev") or _fallback_dev()


def _fallback_deploy() -> Script:
    return Script(
        "convex deploy", "", "Deploy the functions (no deploy:functions script)", "fallback",
        FALLBACK_DEPLOY,
    )  # fmt: skip


def _fallback_dev() -> Script:
    return Script(
        "convex dev", "", "Convex dev server (no dev:backend script)", "fallback", FALLBACK_DEV
    )


def detect_package_manager(root: Path) -> tuple[str, str | None]:
    for lockfile, manager in LOCKFILES:
        if (root / lockfile).exists():
            return manager, lockfile
    return "npm", None


def run_argv(manager: str, script: str) -> tuple[str, ...]:
    # `run` works for every one of them; it never collides with a built-in command.
    return (manager, "run", script)


def _describe(name: str, body: str) -> tuple[str, str]:
    for seed, description in SEED_SCRIPTS:
        if name == seed:
            return "seed", description
    lowered = name.lower()
    if any(word in lowered for word in CHECK_WORDS):
        return "checks", clean_line(body, 80)
    return "other", clean_line(body, 80)


def read_workspace(root: Path) -> Workspace:
    manager, lockfile = detect_package_manager(root)
    path = root / "package.json"
    if not path.exists():
        scripts = (_fallback_deploy(), _fallback_dev())
        return Workspace(root, manager, lockfile, scripts, has_package_json=False)
    problem = None
    raw: dict[str, object] = {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        scripts_raw = data.get("scripts") if isinstance(data, dict) else None
        if isinstance(scripts_raw, dict):
            raw = scripts_raw
        elif scripts_raw is not None:
            problem = 'package.json: "scripts" is not an object'
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = f"package.json unreadable: {exc}"
    found: list[Script] = []
    for name, body in raw.items():
        if not isinstance(body, str):
            continue
        group, description = _describe(name, body)
        found.append(Script(name, body, description, group, run_argv(manager, name)))
    seed_order = {name: n for n, (name, _) in enumerate(SEED_SCRIPTS)}
    rank = {"seed": 0, "checks": 1, "other": 2}
    found.sort(key=lambda s: (rank[s.group], seed_order.get(s.name, 0), s.name))
    names = {s.name for s in found}
    if DEPLOY_SCRIPT not in names:
        found.append(_fallback_deploy())
    if DEV_SCRIPT not in names:
        found.append(_fallback_dev())
    return Workspace(root, manager, lockfile, tuple(found), problem)
