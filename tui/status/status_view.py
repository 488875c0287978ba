"""Pure view model of the status pane and header: what each cell says and its tone.

Shared by the Textual status pane and `convex-tui status`, so both say the same facts.
Everything from the outside world (container names, images, error text) goes through
:func:`clean` first: it may hold terminal control sequences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from tui.config.model import looks_like_url
from tui.safety.text import clean_line, show_url
from tui.status.probes import ApiProbe, HttpProbe, ServiceProbes

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.docker.models import ContainerInfo, ContainerStats

Tone = Literal["ok", "warn", "bad", "muted", "plain"]
Cell = tuple[str, Tone]


def clean(text: object, limit: int = 200) -> str:
    """Untrusted text made safe to draw (the one sanitizer), on one line, length capped."""
    return clean_line(str(text), limit)


def fmt_latency(ms: float | None) -> str:
    if ms is None:
        return "—"
    return f"{ms:.0f} ms" if ms >= 1 else "<1 ms"


def fmt_duration(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    secs = int(delta.total_seconds())
    if secs < 60:
        return f"{secs}s"
    mins, secs = divmod(secs, 60)
    if mins < 60:
        return f"{mins}m{secs:02d}s"
    hours, mins = divmod(mins, 60)
    if hours < 48:
        return f"{hours}h{mins:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


def fmt_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover - loop always returns


# ---------------------------------------------------------------- services


@dataclass(frozen=True)
class ServiceRow:
    key: str  # "api", "site", "dashboard"
    name: str
    local_url: str
    external_url: str | None
    state: Cell
    latency: str
    detail: Cell  # version / instance, or the error
    admin_key: Cell


def _http_row(
    key: str,
    name: str,
    probe: HttpProbe | None,
    url: str,
    external: str | None,
    missing: str = "not part of this deployment",
) -> ServiceRow:
    if not url:  # e.g. the demo: the sandbox has no dashboard
        state: Cell = ("n/a", "muted")
        detail: Cell = (missing, "muted")
        url = "—"
    elif probe is None:
        state = ("probing…", "muted")
        detail = ("", "muted")
    elif probe.reachable:
        state = ("up", "ok")
        # Any answer means the port is served; the site proxy has no route at "/" (404).
        served = (
            "serving, no route at /" if probe.status == 404 else f"serving (HTTP {probe.status})"
        )
        detail = (served, "plain")
    else:
        state = ("down", "bad")
        detail = (clean(probe.error or "unreachable", 48), "bad")
    shown = show_url(url) if url != "—" else url
    return ServiceRow(
        key,
        name,
        shown,
        _differing(show_url(external) or None, shown),
        state,
        fmt_latency(probe.latency_ms if probe else None),
        detail,
        ("—", "muted"),
    )


def _differing(external: str | None, local: str) -> str | None:
    """The external (e.g. Coder) URL, only when it says something the local one does not."""
    if not external or external.rstrip("/") == local.rstrip("/"):
        return None
    return external


def elide_middle(text: str, width: int) -> str:
    """``https://convex-api--ma…coder.example.com``: both ends of a URL say the most."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = (width - 1 + 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def _key_cell(api: ApiProbe, fingerprint: str) -> Cell:
    # The instance name is in the detail column already: "valid …9f3c" says the rest.
    if api.instance_name and fingerprint.startswith(f"{api.instance_name}…"):
        fingerprint = fingerprint[len(api.instance_name) :]
    if api.key_state == "valid":
        return (f"valid {fingerprint}", "ok")
    if api.key_state == "missing":
        return ("no key", "warn")
    if api.key_state in ("rejected", "forbidden"):
        return (f"{api.key_state} {fingerprint}", "bad")
    return ("unchecked", "muted")


def service_rows(settings: Settings, probes: ServiceProbes | None) -> list[ServiceRow]:
    api = probes.api if probes else None
    if api is None:
        api_state: Cell = ("probing…", "muted")
        api_detail: Cell = ("", "muted")
        key: Cell = ("…", "muted")
    elif api.reachable and api.error is None:
        api_state = ("up", "ok")
        text = clean(api.version or "?")
        if api.instance_name:
            text += f" · {clean(api.instance_name)}"
        api_detail = (text, "plain")
        key = _key_cell(api, settings.key_fingerprint)
    else:
        api_state = ("down", "bad") if not api.reachable else ("error", "warn")
        api_detail = (clean(api.error or "unreachable", 48), "bad")
        key = ("unchecked", "muted")
    api_url = show_url(settings.url, settings.admin_key)
    api_row = ServiceRow(
        "api",
        "API",
        api_url,
        _differing(show_url(settings.external_api_url, settings.admin_key) or None, api_url),
        api_state,
        fmt_latency(api.latency_ms if api else None),
        api_detail,
        key,
    )
    return [
        api_row,
        _http_row(
            "site",
            "Site",
            probes.site if probes else None,
            settings.site_url,
            settings.external_site_url,
            "not configured" if looks_like_url(settings.url) else "not probed: bad API URL",
        ),
        _http_row(
            "dashboard",
            "Dashboard",
            probes.dashboard if probes else None,
            settings.dashboard_url,
            settings.external_dashboard_url,
        ),
    ]


# ---------------------------------------------------------------- containers


@dataclass(frozen=True)
class ContainerRow:
    id: str
    name: str
    service: str
    image: str
    state: Cell
    health: Cell
    uptime: str
    restarts: str
    ports: str
    cpu: str
    memory: str


_STATE_TONE: dict[str, Tone] = {
    "running": "ok",
    "restarting": "warn",
    "paused": "warn",
    "created": "muted",
    "exited": "bad",
    "dead": "bad",
    "removing": "warn",
}
_HEALTH_TONE: dict[str, Tone] = {"healthy": "ok", "starting": "warn", "unhealthy": "bad"}


def container_row(info: ContainerInfo, stats: ContainerStats | None, now: datetime) -> ContainerRow:
    state_text = info.state
    if info.state == "exited" and info.exit_code is not None:
        state_text = f"exited ({info.exit_code})"
    service = info.service or ("postgres" if info.is_postgres else "—")
    cpu = mem = "—"
    if info.running and stats is not None and not stats.empty:
        cpu = "…" if stats.cpu_percent is None else f"{stats.cpu_percent:.1f}%"
        mem = fmt_bytes(stats.mem_usage)
    return ContainerRow(
        id=info.id,
        name=clean(info.name, 60),
        service=clean(service, 30),
        image=clean(_short_image(info.image), 40),
        state=(clean(state_text, 30), _STATE_TONE.get(info.state, "plain")),
        health=(info.health or "—", _HEALTH_TONE.get(info.health or "", "muted")),
        uptime=fmt_duration(info.uptime(now)),
        restarts=str(info.restart_count),
        ports=clean(", ".join(_short_port(p) for p in info.ports) or "—", 60),
        cpu=cpu,
        memory=mem,
    )


def _short_image(image: str) -> str:
    # "ghcr.io/get-convex/convex-backend:latest" → "convex-backend:latest": the registry path
    # rarely matters on a status line (the full name is in `status --json`).
    return image.rsplit("/", 1)[-1]


def _short_port(port: object) -> str:
    # "3210/tcp→0.0.0.0:3210" → "3210→3210"; keeps the column narrow at 80 columns.
    text = str(port)
    inner, arrow, outer = text.partition("→")
    if not arrow:
        return inner.removesuffix("/tcp")
    return f"{outer.rsplit(':', 1)[-1]}→{inner.removesuffix('/tcp')}"


def containers_summary(containers: Iterable[ContainerInfo]) -> str:
    items = list(containers)
    if not items:
        return "0 containers"
    up = sum(1 for c in items if c.running)
    return f"{up}/{len(items)} up"


# ---------------------------------------------------------------- header

HttpState = Literal["unknown", "up", "down"]


@dataclass(frozen=True)
class HeaderState:
    profile: str = "local"
    url: str = ""
    http: HttpState = "unknown"
    socket: str = "idle"  # the sync WebSocket's state, from the Convex client
    version: str | None = None
    containers: str = "…"  # "2/2 up", "docker down", "no containers"
    read_only: bool = False
    protected: bool = False
    deploy: str = ""  # "deploying 12s", "deployed · functions +1 -0 …", "deploy failed: …"
    dev: str = ""  # dev:backend: "dev running", "dev exited 1"


def header_parts(state: HeaderState) -> list[Cell]:
    """The header line, left to right; the widget joins and styles them."""
    http_tones: dict[str, Tone] = {"up": "ok", "down": "bad", "unknown": "muted"}
    sock_tones: dict[str, Tone] = {
        "connected": "ok",
        "reconnecting": "warn",
        "closed": "bad",
        "error": "bad",
    }
    http_tone = http_tones[state.http]
    sock_tone = sock_tones.get(state.socket, "muted")
    parts: list[Cell] = [
        (clean(state.profile, 24), "plain"),
        (clean(show_url(state.url).removeprefix("http://"), 60), "plain"),
        (f"http {state.http}", http_tone),
        (f"ws {state.socket}", sock_tone),
        (clean(state.version or "version ?", 30), "muted" if state.version is None else "plain"),
        (state.containers, "ok" if state.containers.endswith(" up") else "muted"),
    ]
    if state.dev:
        good = state.dev.startswith(("dev running", "dev ready"))
        parts.append((clean(state.dev, 30), "ok" if good else "warn"))
    if state.deploy:
        bad = "failed" in state.deploy
        tone: Tone = "bad" if bad else ("warn" if state.deploy.startswith("deploying") else "ok")
        parts.append((clean(state.deploy, 70), tone))
    return parts


def badges(state: HeaderState) -> list[Cell]:
    out: list[Cell] = []
    if state.protected:
        out.append(("PROTECTED", "bad"))
    if state.read_only:
        out.append(("READ-ONLY", "warn"))
    return out


# ---------------------------------------------------------------- `status --json`


def report(
    settings: Settings,
    probes: ServiceProbes,
    containers: Iterable[ContainerInfo] | None,
    docker_error: str | None,
    now: datetime,
    stats: Mapping[str, ContainerStats] | None = None,
) -> dict[str, object]:
    """A JSON-able summary; never holds the admin key (its fingerprint only)."""
    stats = stats or {}
    svc: list[dict[str, object]] = []
    each: tuple[ApiProbe | HttpProbe, ...] = (probes.api, probes.site, probes.dashboard)
    for row, probe in zip(service_rows(settings, probes), each, strict=True):
        svc.append(
            {
                "service": row.key,
                "url": row.local_url,
                "external_url": row.external_url,
                "reachable": probe.reachable,
                "latency_ms": None if probe.latency_ms is None else round(probe.latency_ms, 1),
                "error": probe.error,
            }
        )
    svc[0].update(
        version=probes.api.version,
        instance_name=probes.api.instance_name,
        admin_key=probes.api.key_state,
        admin_key_fingerprint=settings.admin_key.fingerprint if settings.admin_key else None,
    )
    items = None
    if containers is not None:
        items = []
        for c in containers:
            st = stats.get(c.id)
            up = c.uptime(now)
            items.append(
                {
                    "id": c.id,
                    "name": c.name,
                    "service": c.service,
                    "project": c.project,
                    "image": c.image,
                    "state": c.state,
                    "health": c.health,
                    "uptime_s": None if up is None else int(up.total_seconds()),
                    "restarts": c.restart_count,
                    "exit_code": c.exit_code,
                    "ports": [str(p) for p in c.ports],
                    "postgres": c.is_postgres,
                    "cpu_percent": None if st is None else st.cpu_percent,
                    "memory_bytes": None if st is None else st.mem_usage,
                }
            )
    return {
        "profile": settings.profile,
        "url": show_url(settings.url, settings.admin_key),
        "services": svc,
        "containers": items,
        "docker_error": docker_error,
        "api_up": probes.api.reachable and probes.api.error is None,
    }
