"""Workspace checks, modelled on the seed's troubleshooting table.

Each check yields a `Check` with status ok / warn / fail, one line of explanation and a fix.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import replace

from tui.config.model import Settings, Sourced, looks_like_url
from tui.doctor.model import Check, Status
from tui.safety.text import scrub_secret, show_url
from tui.status.probes import NOT_CONFIGURED, HttpProbe, ServiceProbes, probe_services

ADMIN_KEY_RE = re.compile(r"^(?:[a-z]+:)?[A-Za-z0-9_.-]+\|[0-9a-fA-F]{8,}$")

# The seed's "critical variable relationships": every name in a group must hold the same URL.
API_GROUP = ("CONVEX_CLOUD_ORIGIN", "CONVEX_SITE_URL", "CONVEX_DEPLOYMENT_URL", "VITE_CONVEX_URL")
SITE_GROUP = ("CONVEX_SITE_ORIGIN", "JWT_ISSUER")


def _norm(url: str) -> str:
    return url.strip().rstrip("/").lower()


def check_env_files(settings: Settings) -> Iterator[Check]:
    found = [ef for ef in settings.env_files if ef.exists]
    if not found:
        names = ", ".join(ef.path.name for ef in settings.env_files) or (
            ".env.convex.local, .env.local, .env"
        )
        yield Check(
            "env.files",
            "Env files",
            "warn",
            f"no env file found in {settings.project_dir} (looked for {names})",
            "run the workspace setup script, or pass --project-dir / --env-file",
        )
        return
    for ef in found:
        if ef.problems:
            for problem in ef.problems:
                yield Check(
                    "env.parse",
                    f"Env file {ef.path.name}",
                    "fail",
                    str(problem),
                    "fix or remove that line (format: NAME=value)",
                    {"file": str(ef.path), "line": str(problem.line or "")},
                )
        else:
            yield Check(
                "env.parse",
                f"Env file {ef.path.name}",
                "ok",
                f"{len(ef.values)} variables read from {ef.path}",
            )
    local = next((ef for ef in found if ef.path.name == ".env.convex.local"), None)
    if local is not None and local.mode is not None:
        if local.mode & (stat.S_IROTH | stat.S_IWOTH):
            yield Check(
                "env.permissions",
                ".env.convex.local permissions",
                "fail",
                f"{local.path} is world-readable (mode {local.mode:o}) and holds the admin key",
                f"chmod 600 {local.path}",
            )
        else:
            yield Check(
                "env.permissions",
                ".env.convex.local permissions",
                "ok",
                f"mode {local.mode:o}, not world-readable",
            )


def _group_check(
    settings: Settings, group: tuple[str, ...], check_id: str, meaning: str
) -> Iterator[Check]:
    present: list[Sourced] = [settings.workspace[n] for n in group if n in settings.workspace]
    if len(present) < 2:
        return
    anchor = present[0]
    mismatched = False
    for other in present[1:]:
        if _norm(other.value) != _norm(anchor.value):
            mismatched = True
            yield Check(
                check_id,
                f"{anchor.name} = {other.name}",
                "fail",
                f"{other.name}={other.value} ({other.source}) differs from "
                f"{anchor.name}={anchor.value} ({anchor.source}); {meaning}",
                f'set {other.name} to {anchor.value} — a mismatch here causes "Invalid issuer" '
                "auth failures",
                {
                    "a": anchor.name,
                    "a_source": anchor.source,
                    "b": other.name,
                    "b_source": other.source,
                },
            )
    if not mismatched:
        names = " = ".join(s.name for s in present)
        agree = "both agree" if len(present) == 2 else f"all {len(present)} agree"
        yield Check(check_id, names, "ok", f"{agree}: {anchor.value}")


def check_relationships(settings: Settings) -> Iterator[Check]:
    yield from _group_check(
        settings, API_GROUP, "env.api_urls", "these must all be the API URL (port 3210)"
    )
    yield from _group_check(
        settings, SITE_GROUP, "env.site_urls", "JWT_ISSUER must be the site URL (port 3211)"
    )


def check_url_and_key(settings: Settings) -> Iterator[Check]:
    if looks_like_url(settings.url):
        yield Check(
            "config.url",
            "Deployment URL",
            "ok",
            f"{show_url(settings.url)} (from {settings.url_source})",
        )
    else:
        yield Check(
            "config.url",
            "Deployment URL",
            "fail",
            f"{show_url(settings.url)!r} (from {settings.url_source}) is not an http(s) URL",
            "set CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210 in .env.convex.local",
        )
    for name, item in settings.workspace.items():
        is_url_var = name.endswith(("_URL", "_ORIGIN", "ISSUER")) and name != "POSTGRES_URL"
        if is_url_var and not looks_like_url(item.value):
            yield Check(
                "config.url_syntax",
                f"{name} syntax",
                "fail",
                f"{name} ({item.source}) is not an http(s) URL: {item.value!r}",
                f"fix {name} in {item.source.split(':')[0]}",
            )
    key = settings.admin_key
    if key is None:
        yield Check(
            "config.admin_key",
            "Admin key",
            "fail",
            "no admin key (CONVEX_SELF_HOSTED_ADMIN_KEY) found",
            "docker compose exec backend ./generate_admin_key.sh, then put the key in "
            ".env.convex.local as CONVEX_SELF_HOSTED_ADMIN_KEY",
        )
    elif not ADMIN_KEY_RE.match(key.reveal()):
        yield Check(
            "config.admin_key",
            "Admin key",
            "fail",
            f"admin key from {settings.admin_key_source} is not shaped like "
            "<instance>|<hex> (" + key.fingerprint + ")",
            "regenerate it with ./generate_admin_key.sh in the backend container",
        )
    else:
        yield Check(
            "config.admin_key",
            "Admin key",
            "ok",
            f"{key.fingerprint} (from {settings.admin_key_source})",
        )


def check_services(settings: Settings, probes: ServiceProbes) -> Iterator[Check]:
    api = probes.api
    if not api.reachable:
        yield Check(
            "backend.reachable",
            "Backend /version",
            "fail",
            api.error or "unreachable",
            "start the backend: docker compose up -d (or your convex:start script)",
        )
        return
    if api.error:
        yield Check(
            "backend.reachable",
            "Backend /version",
            "fail",
            api.error,
            "check that the URL points at the Convex API port (3210)",
        )
        return
    yield Check(
        "backend.reachable",
        "Backend /version",
        "ok",
        f"version {api.version} in {api.latency_ms:.0f} ms",
        details={"latency_ms": f"{api.latency_ms:.1f}", "version": api.version or ""},
    )
    if api.instance_name:
        status: Status = "ok"
        msg = f"instance {api.instance_name}"
        key = settings.admin_key
        if key is not None and "|" in key.reveal():
            key_instance = key.reveal().split("|", 1)[0].split(":")[-1]
            if key_instance != api.instance_name:
                status, msg = (
                    "warn",
                    (f"instance {api.instance_name}, but the admin key names {key_instance}"),
                )
        yield Check("backend.instance", "Instance name", status, msg)
    key_status: Status = {
        "valid": "ok",
        "missing": "fail",
        "rejected": "fail",
        "forbidden": "fail",
    }.get(api.key_state, "warn")  # type: ignore[assignment]
    fixes = {
        "rejected": "generate a key for this instance: docker compose exec backend "
        "./generate_admin_key.sh",
        "forbidden": "use a full admin key, not a read-only or deploy key",
        "missing": "set CONVEX_SELF_HOSTED_ADMIN_KEY",
    }
    yield Check(
        "backend.admin_key",
        "Admin key accepted",
        key_status,
        api.key_message,
        fixes.get(api.key_state, ""),
    )
    site = probes.site
    yield Check(
        "site.reachable",
        "Site proxy",
        "ok" if site.reachable else "fail",
        _answered(site),
        "" if site.reachable else "verify Docker is running with the site proxy (3211) published",
    )
    dash = probes.dashboard
    if dash.error == NOT_CONFIGURED:
        yield Check("dashboard.reachable", "Dashboard", "ok", "not configured (not probed)")
        return
    yield Check(
        "dashboard.reachable",
        "Dashboard",
        "ok" if dash.reachable else "warn",
        _answered(dash),
        "" if dash.reachable else "start the dashboard service: docker compose up -d dashboard",
    )


def _answered(probe: HttpProbe) -> str:
    """`<url> answered HTTP 404`, or the error, which names the URL itself when it says it."""
    if probe.reachable:
        return f"{probe.url} answered HTTP {probe.status}"
    error = probe.error or "unreachable"
    return error if probe.url in error else f"{probe.url}: {error}"


__all__ = ["Check", "Status", "run_checks", "config_checks", "notices", "check_services"]

NO_CONTAINERS = "no Convex containers found"
DockerLister = Callable[[Settings], tuple[Status, str, list[str]]]


def check_docker(settings: Settings, lister: DockerLister) -> Iterator[Check]:
    try:
        status, message, names = lister(settings)
    except Exception as exc:  # the doctor reports, it never crashes
        status, message, names = "warn", f"Docker check failed: {type(exc).__name__}: {exc}", []
    fix = ""
    if status != "ok" and not names:
        if NO_CONTAINERS in message:  # the engine answers; the stack is not running
            fix = (
                "start the stack (docker compose up -d, or your convex:start script), or set "
                "COMPOSE_PROJECT_NAME / the profile's compose_project to the right project"
            )
        else:
            fix = (
                "start Docker (sudo dockerd, or systemctl start docker) or add your user to "
                "the docker group"
            )
    yield Check(
        "docker.containers",
        "Docker containers",
        status,
        message,
        fix,
        {"containers": ", ".join(names)},
    )


def config_checks(settings: Settings) -> list[Check]:
    """The checks that need no network: settings file, env files, URL and key syntax."""
    checks: list[Check] = []
    for problem in settings.problems:
        checks.append(
            Check(
                "config.settings_file",
                "Settings file",
                "fail",
                problem,
                f"fix {settings.settings_file}",
            )
        )
    checks.extend(check_env_files(settings))
    checks.extend(check_relationships(settings))
    checks.extend(check_url_and_key(settings))
    return checks


def notices(checks: list[Check], settings: Settings | None = None) -> list[Check]:
    """What the console shows on its Status pane: the failures, in the doctor's words (with
    ``settings``, the admin key scrubbed from them as from the doctor's report)."""
    failed = [c for c in checks if c.status == "fail"]
    return [_without_key(c, settings) for c in failed] if settings is not None else failed


def run_checks(
    settings: Settings, docker_lister: DockerLister, *, network: bool = True
) -> list[Check]:
    checks = config_checks(settings)
    if network:
        probes = probe_services(
            settings.url, settings.site_url, settings.dashboard_url, settings.admin_key
        )
        checks.extend(check_services(settings, probes))
        if probes.api.reachable and probes.api.key_state == "valid":
            from tui.doctor.deployment_env import check_deployment_env

            checks.extend(check_deployment_env(settings))
        checks.extend(check_docker(settings, docker_lister))
    return [_without_key(c, settings) for c in checks]


def _without_key(check: Check, settings: Settings) -> Check:
    """The key may hide in a URL or an env value quoted by a check: never in a report (text or
    JSON)."""
    key = settings.admin_key.reveal() if settings.admin_key else None
    if not key:
        return check
    return replace(
        check,
        message=scrub_secret(check.message, key),
        fix=scrub_secret(check.fix, key),
        details={k: scrub_secret(v, key) for k, v in check.details.items()},
    )
