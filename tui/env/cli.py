"""`convex-tui env`: the Env pane's headless twin.

    convex-tui env [list] [--reveal] [--json]   values masked unless --reveal
    convex-tui env set NAME VALUE                through the write guard (--unlock PROFILE)
    convex-tui env remove NAME
    convex-tui env check [--json]                env files vs deployment, relationships, auth

Exit codes: 0 ok, 1 rejected by the backend (its message on stderr) or a check warns,
2 connection/usage problem, 4 refused by the guard (nothing sent).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TextIO

from tui.safety.guard import EXIT_REFUSED, WriteRefused, guard_for

if TYPE_CHECKING:
    from tui.config import Settings

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def add_parser(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    env = add("env", "list, set and remove the deployment's environment variables")
    env.add_argument("action", nargs="?", default="list",
                     choices=["list", "set", "remove", "check"])  # fmt: skip
    env.add_argument("name", nargs="?", help="variable name (set, remove)")
    env.add_argument("value", nargs="?", help="value (set)")
    env.add_argument("--reveal", action="store_true", help="print values (masked otherwise)")
    env.add_argument("--json", action="store_true", help="machine-readable output")


def main(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if args.action in ("set", "remove") and not args.name:
        print(f"convex-tui env {args.action}: NAME is required", file=sys.stderr)
        return EXIT_USAGE
    if args.action == "set" and args.value is None:
        print("convex-tui env set: VALUE is required", file=sys.stderr)
        return EXIT_USAGE
    return _main(args, settings, out)


def _main(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    # Blocking, on the standard library: no httpx, no asyncio for one request (issue 19).
    from tui.convex.errors import ConvexClientError
    from tui.convex.http_client import ConvexHttpClient
    from tui.env.model import MASK
    from tui.safety.text import clean_line

    guard = guard_for(settings, getattr(args, "unlock", None))
    try:
        client = ConvexHttpClient(settings.url, settings.admin_key, guard=guard)
    except ConvexClientError as exc:  # a malformed URL: refused before any request
        print(f"convex-tui env: {clean_line(exc.message)}", file=sys.stderr)
        return EXIT_USAGE
    with client:
        try:
            if args.action == "set":
                client.set_env({args.name: args.value})
                print(f"✔ Successfully set {clean_line(args.name)}", file=sys.stderr)
                return EXIT_OK
            if args.action == "remove":
                client.set_env({args.name: None})
                print(f"✔ Successfully unset {clean_line(args.name)}", file=sys.stderr)
                return EXIT_OK
            deployed = client.list_env()
            schema = _schema(client) if args.action == "check" else None
        except WriteRefused as exc:
            print(f"convex-tui env: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        except ConvexClientError as exc:
            code = getattr(exc, "code", None)
            print(f"convex-tui env: {code + ': ' if code else ''}{clean_line(exc.message)}",
                  file=sys.stderr)  # fmt: skip
            return EXIT_REJECTED if code else EXIT_USAGE
    if args.action == "check":
        return _check(settings, deployed, schema, args.json, out)
    if args.json:  # exact values (JSON is never sanitized), only when asked for
        shown: dict[str, Any] = deployed if args.reveal else dict.fromkeys(deployed)
        json.dump(shown, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return EXIT_OK
    if not deployed:
        print("No environment variables set", file=sys.stderr)
    for name, value in deployed.items():
        out.write(f"{clean_line(name)}={clean_line(value) if args.reveal else MASK}\n")
    return EXIT_OK


def _schema(client: Any) -> dict[str, Any] | None:
    from tui.convex.errors import ConvexClientError

    try:
        schema: dict[str, Any] | None = client.schema()
    except ConvexClientError:
        return None
    return schema


def _check(
    settings: Settings, deployed: dict[str, str], schema: dict[str, Any] | None, as_json: bool,
    out: TextIO,
) -> int:  # fmt: skip
    from tui.doctor.report import render_text
    from tui.env.local import drift
    from tui.env.view import checks

    found = [*drift(settings, deployed), *checks(settings, deployed, schema)]
    if as_json:
        json.dump([asdict(c) for c in found], out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        render_text(found, out)
    return EXIT_REJECTED if any(c.status != "ok" for c in found) else EXIT_OK
