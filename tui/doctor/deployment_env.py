"""Drift between the workspace's env files and the deployment's environment variables.

Convex functions see only the deployment's variables (plus the built-in CONVEX_CLOUD_URL and
CONVEX_SITE_URL), never the files: a variable the seed's functions read (`process.env.JWT_ISSUER`,
`OPENAI_API_KEY`, …) that sits only in `.env.convex.local` is `undefined` at run time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.config.model import Settings
    from tui.doctor.model import Check

# What the seed's functions and @convex-dev/auth read from the deployment.
FUNCTION_VARS = (
    "CONVEX_CLOUD_ORIGIN",
    "CONVEX_SITE_ORIGIN",
    "JWT_ISSUER",
    "JWT_PRIVATE_KEY",
    "JWKS",
    "SITE_URL",
    "LITELLM_APP_API_KEY",
    "LITELLM_BASE_URL",
    "OPENAI_API_KEY",
    "ENABLE_RAG",
)
SECRET_MARKERS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "JWKS")


def _is_secret(name: str) -> bool:
    return any(marker in name for marker in SECRET_MARKERS)


def is_secret(name: str) -> bool:
    return _is_secret(name)


def local_function_values(settings: Settings) -> dict[str, tuple[str, str]]:
    """The variables the functions read, as the env files set them: name → (value, file:line)."""
    return _local_values(settings)


def _local_values(settings: Settings) -> dict[str, tuple[str, str]]:
    """name → (value, where) from the env files, first file wins (their precedence)."""
    found: dict[str, tuple[str, str]] = {}
    for env_file in settings.env_files:
        for name, value in env_file.values.items():
            if name in FUNCTION_VARS and name not in found and value:
                found[name] = (value, env_file.where(name))
    return found


def _fetch(settings: Settings) -> dict[str, str]:
    from tui.convex.http_client import ConvexHttpClient

    with ConvexHttpClient(settings.url, settings.admin_key, timeout=5.0) as client:
        return client.list_env()


def check_deployment_env(settings: Settings) -> Iterator[Check]:
    from tui.convex.errors import ConvexClientError
    from tui.doctor.model import Check

    local = _local_values(settings)
    if not local or settings.admin_key is None:
        return
    try:
        deployed = _fetch(settings)
    except ConvexClientError as exc:
        yield Check("deployment.env", "Deployment env vars", "warn",
                    f"could not list the deployment's variables: {exc.message}")  # fmt: skip
        return
    yield from drift_checks(settings, deployed)


def drift_checks(settings: Settings, deployed: dict[str, str]) -> Iterator[Check]:
    """The variables the functions read: env files against the deployment (no network)."""
    from tui.doctor.model import Check

    local = _local_values(settings)
    if not local:
        return
    drifted = 0
    for name, (value, where) in sorted(local.items()):
        if deployed.get(name) == value:
            continue
        drifted += 1
        secret = _is_secret(name)
        fix = f"npx convex env set {name} '{'<secret>' if secret else value}'"
        if name not in deployed:
            message = (
                f"{name} is set in {where} but not on the deployment: functions read undefined"
            )
        else:
            differ = "the values differ" if secret else (
                f"deployment has {deployed[name]!r}, {where} has {value!r}"
            )  # fmt: skip
            message = f"{name}: {differ}"
            fix += f" (or fix {where.split(':')[0]})"
        yield Check("deployment.env", f"{name} on the deployment", "warn", message, fix,
                    {"name": name, "where": where})  # fmt: skip
    if not drifted:
        yield Check("deployment.env", "Deployment env vars", "ok",
                    f"{len(local)} variable(s) the functions read match the env files")  # fmt: skip
