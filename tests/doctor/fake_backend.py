"""A tiny real HTTP server on loopback that answers like a Convex backend's meta routes.

Used where the case cannot be produced by the sandbox on demand (403 for a key, odd /version).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def fake_backend(
    key_status: int = 200,
    instance: str = "convex-self-hosted",
    version_status: int = 200,
    seen_auth: list[str] | None = None,
) -> Iterator[str]:
    """``seen_auth``, if given, receives each Authorization header sent to check_admin_key."""
    seen: list[str] = [] if seen_auth is None else seen_auth

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: str, ctype: str = "text/plain") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/version":
                self._send(version_status, "1.29.0-fake")
            elif self.path == "/instance_name":
                self._send(200, instance)
            elif self.path == "/api/check_admin_key":
                seen.append(self.headers.get("Authorization", ""))
                bodies = {
                    200: '{"success":true,"allowedOps":[],"isReadOnly":false}',
                    401: '{"code":"BadAdminKey","message":"The provided admin key was invalid for this instance"}',
                    403: '{"code":"OperationNotPermitted","message":"You do not have permission"}',
                }
                self._send(key_status, bodies.get(key_status, "{}"), "application/json")
            else:
                self._send(404, "")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
