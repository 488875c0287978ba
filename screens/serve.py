"""`convex-tui serve`: the console in a browser through textual-serve (Coder port forwarding).

Each browser session runs the console (`python -m screens.app`) with the same flags. The admin key never goes on
the command line (visible in `ps`): it is handed to the child through the environment.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.config import Settings


def console_command(args: argparse.Namespace, python: str = sys.executable) -> str:
    parts = [python, "-m", "screens.app"]
    for flag, attr in (
        ("--url", "url"),
        ("--env-file", "env_file"),
        ("--project-dir", "project_dir"),
        ("--profile", "profile"),
        ("--config", "config"),
    ):
        value = getattr(args, attr, None)
        if value is not None:
            parts += [flag, str(value)]
    if getattr(args, "read_only", False):
        parts.append("--read-only")
    return shlex.join(parts)


def serve_main(args: argparse.Namespace, settings: Settings) -> int:
    from textual_serve.server import Server

    if getattr(args, "admin_key", None):
        os.environ["CONVEX_SELF_HOSTED_ADMIN_KEY"] = args.admin_key
    command = console_command(args)
    server = Server(
        command,
        host=args.host,
        port=args.port,
        title=f"convex-tui · {settings.profile}",
        public_url=getattr(args, "public_url", None),
    )
    where = getattr(args, "public_url", None) or f"http://{args.host}:{args.port}"
    print(f"convex-tui serve: open {where} (Ctrl-C stops)", file=sys.stderr)
    server.serve()
    return 0
