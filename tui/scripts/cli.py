"""`convex-tui scripts` and `convex-tui deploy`: the Scripts pane's headless twins.

    convex-tui scripts [--json]        the workspace's scripts, in the pane's order, with commands
    convex-tui scripts run NAME        run one (output streamed; its exit status is ours)
    convex-tui deploy                  deploy:functions, or npx convex deploy --yes

Runs go through the write guard (SCRIPT / DEPLOY; --read-only refuses, a protected profile needs
--unlock PROFILE) and carry CONVEX_SELF_HOSTED_URL / _ADMIN_KEY of the target in their env.
Ctrl-C cancels the child's whole process group. Exit 4 when the guard refuses.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tui.safety.guard import EXIT_REFUSED, WriteKind, WriteRefused, WriteRequest, guard_for

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.scripts.workspace import Script

EXIT_USAGE = 2


def add_parsers(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    scripts = add("scripts", "list the workspace's package.json scripts, or run one")
    scripts.add_argument("action", nargs="?", default="list", choices=["list", "run"])
    scripts.add_argument("name", nargs="?", help="script to run")
    scripts.add_argument("--json", action="store_true", help="machine-readable list")
    add("deploy", "deploy the functions (deploy:functions, or npx convex deploy --yes)")


def scripts_main(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    from tui.scripts.workspace import read_workspace

    out = out or sys.stdout
    ws = read_workspace(Path(settings.project_dir))
    if args.action == "run":
        script = ws.get(args.name or "")
        if script is None:
            print(f"convex-tui scripts run: no script {args.name!r} in {ws.root}", file=sys.stderr)
            return EXIT_USAGE
        kind = WriteKind.DEPLOY if script is ws.deploy else WriteKind.SCRIPT
        return run_script(script, kind, settings, getattr(args, "unlock", None), out)
    if args.json:
        rows = [dict(asdict(s), command=s.command_line) for s in ws.scripts]
        json.dump({"root": str(ws.root), "package_manager": ws.package_manager,
                   "lockfile": ws.lockfile, "scripts": rows}, out, indent=2)  # fmt: skip
        out.write("\n")
        return 0
    out.write(f"{ws.root} · {ws.package_manager} ({ws.lockfile or 'no lockfile'})\n")
    width = max(len(s.name) for s in ws.scripts)
    for s in ws.scripts:
        out.write(f"  {s.name:<{width}}  $ {s.command_line}\n  {'':<{width}}    {s.description}\n")
    return 0


def deploy_main(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    from tui.scripts.workspace import read_workspace

    ws = read_workspace(Path(settings.project_dir))
    return run_script(ws.deploy, WriteKind.DEPLOY, settings, getattr(args, "unlock", None),
                      out or sys.stdout)  # fmt: skip


def run_script(
    script: Script, kind: WriteKind, settings: Settings, unlock: str | None, out: TextIO
) -> int:
    guard = guard_for(settings, unlock)
    try:
        guard.check(WriteRequest(kind, f"{kind} {script.name}", script.command_line))
    except WriteRefused as exc:
        print(f"convex-tui: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    import asyncio  # here, not at the top: building the CLI parser imports this module

    return asyncio.run(_run(script, settings, out))


async def _run(script: Script, settings: Settings, out: TextIO) -> int:
    import asyncio

    from tui.safety.text import clean
    from tui.scripts.runner import fmt_seconds, make_run

    run = make_run(script.name, script.argv, str(settings.project_dir), settings.url,
                   settings.admin_key)  # fmt: skip
    colour = out.isatty()

    def show(_run: object, lines: list[str]) -> None:
        for line in lines:  # already sanitized; drop the colours too when not a terminal
            out.write((line if colour else clean(line)) + "\n")
        out.flush()

    print(f"$ {script.command_line}", file=sys.stderr)
    run.on_output(show)
    task = asyncio.ensure_future(run.run())
    try:
        await asyncio.shield(task)
    except (KeyboardInterrupt, asyncio.CancelledError):
        await run.cancel()
    status = run.exit_status
    print(f"{script.name}: {run.state} ({'exit ' + str(status) if status is not None else run.error}) "
          f"in {fmt_seconds(run.elapsed)}", file=sys.stderr)  # fmt: skip
    return 130 if str(run.state) == "cancelled" else (status if status is not None else 1)
