"""`convex-tui demo`: an in-process sandbox (the demo app, or the workspace's own functions with
--project) and the console on it."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from screens.app import run_console
from tui.config import CliOverrides, load_settings


def demo_main(args: argparse.Namespace) -> int:
    """`convex-tui demo`: an in-process sandbox seeded with the demo app, and the console on it."""
    from tui.sandbox.project import start_project_sandbox

    sandbox = start_project_sandbox(getattr(args, "project", None), "convex-tui demo")
    if sandbox is None:
        return 1
    try:
        if getattr(args, "no_console", False):
            return _serve_only(sandbox)
        base = load_settings(
            CliOverrides(
                url=sandbox.url,
                admin_key=sandbox.admin_key,
                config_path=getattr(args, "config", None),
                # --project: the Scripts pane lists that workspace's scripts, D deploys it.
                project_dir=Path(args.project).resolve()
                if getattr(args, "project", None)
                else None,
                read_only=bool(getattr(args, "read_only", False)),
            )
        )
        settings = dataclasses.replace(
            base,
            profile="demo",
            site_url=sandbox.site_url,
            dashboard_url="",  # the sandbox has no dashboard: shown as n/a, never probed
            external_api_url=None,
            external_site_url=None,
            protected=False,
            in_process_sandbox=True,
        )
        from tui.status.early import start_early

        # As `convex-tui console` does: the first probe round is under way before the App.
        return run_console(settings, start_early(settings))
    finally:
        sandbox.stop()


def _serve_only(sandbox: Any) -> int:
    import threading

    print(f"API URL:  {sandbox.url}", file=sys.stderr)
    print(f"Site URL: {sandbox.site_url}", file=sys.stderr)
    print("Admin key:", file=sys.stderr)
    print(sandbox.admin_key, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0
