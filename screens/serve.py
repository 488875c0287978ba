"""`convex-tui serve`: the console in a browser through textual-serve (Coder port forwarding).

The console holds the admin key, so the page is not open to whoever can reach the port, nor to
any web page the operator visits (a cross-site WebSocket is not blocked by browsers):

- a per-launch secret token, printed once like Jupyter's, must be in the page URL
  (``/?token=…``); the page then talks to ``/ws/<token>`` — plain ``/ws`` is refused;
- the WebSocket's ``Origin`` must be the served host or ``--public-url``.

Each browser session runs the console (`python -m screens.app`). Neither the admin key nor the
URL (which may carry the key) goes on the child's command line (visible in `ps`): both are handed
over in the environment.
"""

from __future__ import annotations

import argparse
import hmac
import os
import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tui.safety.text import show_url

if TYPE_CHECKING:
    from aiohttp import web

    from tui.config import Settings

# The child reads the deployment URL from here (screens.app._main), never from argv.
URL_ENV = "CONVEX_TUI_SERVE_URL"
KEY_ENV = "CONVEX_SELF_HOSTED_ADMIN_KEY"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def console_command(args: argparse.Namespace, python: str = sys.executable) -> str:
    parts = [python, "-m", "screens.app"]
    for flag, attr in (
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


def child_environment(args: argparse.Namespace) -> dict[str, str]:
    """What the child needs that must not be on its command line."""
    env: dict[str, str] = {}
    if getattr(args, "admin_key", None):
        env[KEY_ENV] = args.admin_key
    if getattr(args, "url", None):
        env[URL_ENV] = str(args.url)
    return env


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        port = parts.port
    except ValueError:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host.lower()}{suffix}"


def allowed_origins(host: str, port: int, public_url: str | None) -> frozenset[str]:
    hosts: Iterable[str] = (
        LOOPBACK if host in LOOPBACK or host == "::1" else (f"[{host}]" if ":" in host else host,)
    )
    origins = {_origin(f"http://{h}:{port}") for h in hosts}
    if public_url:
        origins.add(_origin(public_url))
    return frozenset(o for o in origins if o)


def origin_ok(origin: str | None, allowed: frozenset[str], host_header: str | None) -> bool:
    """Same-origin only: the served host, --public-url, or (when bound to every interface, where
    the served name is unknown) the Host the page itself was loaded from."""
    if not origin:
        return False  # browsers always send Origin on a WebSocket; tools must not get in
    seen = _origin(origin)
    if seen is None:
        return False
    if seen in allowed:
        return True
    return host_header is not None and seen in (
        _origin(f"http://{host_header}"),
        _origin(f"https://{host_header}"),
    )


def make_server(args: argparse.Namespace, settings: Settings, token: str, command: str) -> Any:
    import aiohttp_jinja2
    import jinja2
    from aiohttp import web
    from textual_serve.server import Server

    wildcard = args.host in ("0.0.0.0", "::", "")
    allowed = allowed_origins(args.host, args.port, getattr(args, "public_url", None))

    class GuardedServer(Server):
        def token_ok(self, given: str | None) -> bool:
            return given is not None and hmac.compare_digest(given.encode(), token.encode())

        @web.middleware
        async def guard(
            self,
            request: web.Request,
            handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        ) -> web.StreamResponse:
            path = request.path
            # Static assets (textual-serve's JS/CSS) are public; downloads have their own key.
            if path.startswith(("/static/", "/download/")):
                return await handler(request)
            if path.startswith("/ws"):
                given = request.match_info.get("token")
                if not self.token_ok(given):
                    raise web.HTTPForbidden(text="convex-tui serve: no or wrong token")
                host_header = request.headers.get("Host") if wildcard else None
                if not origin_ok(request.headers.get("Origin"), allowed, host_header):
                    raise web.HTTPForbidden(text="convex-tui serve: cross-origin refused")
                return await handler(request)
            if not self.token_ok(request.query.get("token")):
                raise web.HTTPForbidden(
                    text="convex-tui serve: open the URL printed when serve started "
                    "(it carries the session token)."
                )
            return await handler(request)

        async def _make_app(self) -> web.Application:
            app = web.Application(middlewares=[self.guard])
            aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
            app.add_routes(
                [
                    web.get("/", self.handle_index, name="index"),
                    web.get("/ws/{token}", self.handle_websocket),
                    web.get("/download/{key}", self.handle_download, name="download"),
                    web.static("/static", self.statics_path, name="static"),
                ]
            )
            app.on_startup.append(self.on_startup)
            app.on_shutdown.append(self.on_shutdown)
            return app

        async def on_startup(self, app: web.Application) -> None:
            return None  # textual-serve prints its command line and logo; we print our URL

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict[str, Any]:
            # textual-serve's context, with the session WebSocket at /ws/<token>.
            base = self.public_url.rstrip("/")
            try:
                font_size = int(request.query.get("fontsize", "16"))
            except ValueError:
                font_size = 16
            return {
                "font_size": font_size,
                "app_websocket_url": "ws" + base.removeprefix("http") + f"/ws/{token}",
                "config": {"static": {"url": f"{base}/static/"}},
                "application": {"name": self.title},
            }

    return GuardedServer(
        command,
        host=args.host,
        port=args.port,
        title=f"convex-tui · {settings.profile}",
        public_url=getattr(args, "public_url", None),
    )


def serve_main(args: argparse.Namespace, settings: Settings) -> int:
    os.environ.update(child_environment(args))  # inherited by each session's child
    token = secrets.token_urlsafe(24)
    server = make_server(args, settings, token, console_command(args))
    base = (getattr(args, "public_url", None) or f"http://{args.host}:{args.port}").rstrip("/")
    # Printed once, here only: whoever has this URL gets a console holding the admin key.
    print(
        f"convex-tui serve: {show_url(settings.url, settings.admin_key)} as {settings.profile}\n"
        f"open {base}/?token={token}  (Ctrl-C stops; keep this URL private)",
        file=sys.stderr,
        flush=True,
    )
    server.serve()
    return 0
