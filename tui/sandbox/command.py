"""`convex-tui sandbox`: run the sandbox deployment in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from pathlib import Path

from tui.sandbox.project import COMMAND, push_project, unavailable_reason
from tui.sandbox.server import SandboxServer, parse_bulk


async def serve(args: argparse.Namespace, ready: asyncio.Event | None = None) -> None:
    bulk = parse_bulk(args.bulk)
    started = time.perf_counter()
    project: Path | None = getattr(args, "project", None)
    seed = args.seed
    if project is not None:
        reason = unavailable_reason(project)
        if reason is None:
            seed = "empty"  # the pushed app's schema decides the tables
        else:
            print(f"convex-tui sandbox: not pushing {project}: {reason}.", file=sys.stderr)
            print("Serving the built-in demo app instead.", file=sys.stderr)
            project = None
    server = SandboxServer(
        host=args.host,
        port=args.port,
        site_port=args.site_port,
        data_dir=args.data,
        memory=args.memory,
        admin_key=args.admin_key,
        seed=seed,
        bulk=bulk,
    )
    await server.start()
    if project is not None:  # every start: unchanged modules are skipped by hash
        print(f"Pushing {project}/convex with `{COMMAND}`...", file=sys.stderr)
        result = await asyncio.to_thread(push_project, project, server.url, server.admin_key)
        print(result.message, file=sys.stderr)
        if not result.ok:
            print(
                "Until a push succeeds the sandbox serves the built-in demo functions (no data);"
                " fix the error and push again with `npx convex dev` against the URL below.",
                file=sys.stderr,
            )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        where = "memory" if args.memory else str(server.data_dir)
        print(
            f"Convex sandbox deployment ready in {time.perf_counter() - started:.2f}s "
            f"(data: {where})",
            file=sys.stderr,
        )
        print(f"API URL:  {server.url}", file=sys.stderr)
        print(f"Site URL: {server.site_url}", file=sys.stderr)
        # Like generate_admin_key.sh: the label on stderr, the key alone on stdout.
        print("Admin key:", file=sys.stderr)
        print(server.admin_key, flush=True)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await server.stop()


def main(args: argparse.Namespace) -> int:
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except (OSError, ValueError) as exc:
        print(f"convex-tui sandbox: {exc}", file=sys.stderr)
        return 1
    return 0
