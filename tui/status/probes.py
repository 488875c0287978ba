"""Reachability probes of the three self-hosted services (API 3210, site 3211, dashboard 6791).

Used by `doctor`, `status` and the status pane. Blocking, on the standard library
(tui.net.http): `status` and `doctor` pay no httpx or asyncio import for a handful of requests,
and the console runs them in its prober's own small thread pool (tui/status/services.py), so
its first probe can start before Textual has even loaded (issue 19). No Textual; never raises
for a service being down — the result says why.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

from tui import __version__
from tui.config.secret import Secret
from tui.net.http import HttpSession, Reply
from tui.safety.text import show_url

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Result(Protocol[T_co]):
    def result(self) -> T_co: ...


class Submitter(Protocol):
    """What probing at once needs of a pool: a ThreadPoolExecutor, or tui.net.background's
    ThreadPerCall (no concurrent.futures import for `convex-tui status`)."""

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Result[T]: ...


NOT_CONFIGURED = "not configured"
KeyState = Literal["valid", "rejected", "forbidden", "missing", "unknown"]
CLIENT_HEADER = {"Convex-Client": f"convex-tui-{__version__}"}


@dataclass(frozen=True)
class HttpProbe:
    url: str
    reachable: bool
    status: int | None
    latency_ms: float | None
    error: str | None


@dataclass(frozen=True)
class ApiProbe:
    url: str
    reachable: bool
    latency_ms: float | None
    version: str | None
    instance_name: str | None
    key_state: KeyState
    key_message: str
    error: str | None


@dataclass(frozen=True)
class ServiceProbes:
    api: ApiProbe
    site: HttpProbe
    dashboard: HttpProbe


# An env file may hold "http://[x]" or a port out of range: ValueError, like a refused socket.
FAILURES = (OSError, http.client.HTTPException, ValueError)


class Sessions:
    """One keep-alive :class:`HttpSession` per origin; thread-safe."""

    def __init__(self, timeout: float = 3.0) -> None:
        self.timeout = timeout
        self._by_origin: dict[str, HttpSession] = {}
        self._lock = threading.Lock()

    def get(self, url: str, **headers: str) -> Reply:
        """GET ``url`` (any path and query) with the Convex-Client header; raises FAILURES."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            session = self._by_origin.get(origin)
            if session is None:
                session = HttpSession(origin, headers=CLIENT_HEADER, timeout=self.timeout)
                self._by_origin[origin] = session
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return session.request("GET", target, headers=headers)

    def close(self) -> None:
        with self._lock:
            sessions, self._by_origin = list(self._by_origin.values()), {}
        for session in sessions:
            session.close()


def describe_error(exc: BaseException, url: str) -> str:
    url = show_url(url)
    if isinstance(exc, TimeoutError):
        return f"timed out talking to {url}"
    text = str(exc)
    if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
        return f"TLS error for {url}: {text}"
    if isinstance(exc, ValueError):
        return f"not a valid http(s) URL: {url}"
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionResetError | BrokenPipeError):
        return f"connection refused or host unreachable: {url}"
    return f"{type(exc).__name__}: {exc}"


def probe_http(sessions: Sessions, url: str) -> HttpProbe:
    """Any HTTP answer (even 404) means the port is served. An empty URL is not probed."""
    if not url:
        return HttpProbe(url, False, None, None, NOT_CONFIGURED)
    start = time.perf_counter()
    try:
        reply = sessions.get(url)
    except FAILURES as exc:
        return HttpProbe(url, False, None, None, describe_error(exc, url))
    return HttpProbe(url, True, reply.status, (time.perf_counter() - start) * 1000, None)


def probe_api(
    sessions: Sessions, url: str, admin_key: Secret | None, pool: Submitter | None = None
) -> ApiProbe:
    """``/version``, then the instance name and the key's verdict (both at once in ``pool``)."""
    start = time.perf_counter()
    try:
        reply = sessions.get(f"{url}/version")
    except FAILURES as exc:
        err = describe_error(exc, url)
        return ApiProbe(url, False, None, None, None, "unknown", "backend not reachable", err)
    latency = (time.perf_counter() - start) * 1000
    if reply.status != 200:
        err = f"GET /version answered HTTP {reply.status}: not a Convex backend?"
        return ApiProbe(url, True, latency, None, None, "unknown", "not checked", err)
    version = reply.text.strip()
    if pool is None:
        instance = _instance_name(sessions, url)
    else:  # one round trip less on a remote deployment
        pending = pool.submit(_instance_name, sessions, url)
    state, message = check_key(sessions, url, admin_key)
    if pool is not None:
        instance = pending.result()
    return ApiProbe(url, True, latency, version, instance, state, message, None)


def _instance_name(sessions: Sessions, url: str) -> str | None:
    try:
        r = sessions.get(f"{url}/instance_name")
    except FAILURES:
        return None
    return r.text.strip() if r.status == 200 else None


def check_key(sessions: Sessions, url: str, admin_key: Secret | None) -> tuple[KeyState, str]:
    if admin_key is None:
        return "missing", "no admin key configured"
    try:
        r = sessions.get(f"{url}/api/check_admin_key", Authorization=f"Convex {admin_key.reveal()}")
    except FAILURES as exc:
        return "unknown", describe_error(exc, url)
    if r.status == 200:
        # A verdict is {"success": true, ...}; `{}` or garbage is not (issue 9, defect 12).
        import json

        try:
            body = json.loads(r.body)
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict) or body.get("success") is not True:
            return "unknown", "check_admin_key answered 200 with a malformed body"
        return "valid", f"admin key {admin_key.fingerprint} accepted"
    if r.status == 401:
        return "rejected", "admin key rejected by this instance"
    if r.status == 403:
        return "forbidden", "key lacks permission"
    if r.status == 404:
        # The dashboard treats a missing route as "allow all" (older backends).
        return "valid", "backend has no /api/check_admin_key; assuming valid"
    return "unknown", f"check_admin_key answered HTTP {r.status}"


def probe_services(
    api_url: str,
    site_url: str,
    dashboard_url: str,
    admin_key: Secret | None,
    timeout: float = 3.0,
    *,
    sessions: Sessions | None = None,
    pool: Submitter | None = None,
) -> ServiceProbes:
    """All three at once (blocking): site and dashboard in ``pool`` (default: a thread each)
    while the API is probed."""
    own = sessions is None
    sessions = sessions or Sessions(timeout)
    if pool is None:
        from tui.net.background import ThreadPerCall

        pool = ThreadPerCall()
    try:
        site = pool.submit(probe_http, sessions, site_url)
        dash = pool.submit(probe_http, sessions, dashboard_url)
        api = probe_api(sessions, api_url, admin_key, pool)
        return ServiceProbes(api, site.result(), dash.result())
    finally:
        if own:
            sessions.close()
