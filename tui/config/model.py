"""The one typed configuration model, resolved once at start-up.

Precedence for the deployment URL and admin key (first match wins):
1. command-line flags (`--url`, `--admin-key`);
2. the selected profile's explicit `url` (settings file);
3. the process environment;
4. env files: the profile's / `--env-file` file, then `.env.convex.local`, `.env.local`, `.env`
   in the project directory;
5. the default `http://127.0.0.1:3210` (the self-hosted backend's port).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit, urlunsplit

from tui.config.envfiles import PROJECT_ENV_FILES, EnvFile, read_env_file
from tui.config.secret import Secret
from tui.config.settings_file import Profile, UserSettings, load_user_settings, settings_path

# Variable names a Coder/Convex workspace uses, in the order they are tried.
URL_VARS = (
    "CONVEX_SELF_HOSTED_URL",
    "CONVEX_URL",
    "CONVEX_CLOUD_ORIGIN",
    "CONVEX_DEPLOYMENT_URL",
    "VITE_CONVEX_URL",
    "CONVEX_DEPLOYMENT",  # only when it holds a URL (otherwise it names a cloud deployment)
)
ADMIN_KEY_VARS = ("CONVEX_SELF_HOSTED_ADMIN_KEY", "CONVEX_ADMIN_KEY")
WORKSPACE_VARS = (
    *URL_VARS,
    "CONVEX_SITE_ORIGIN",
    "CONVEX_SITE_URL",
    "JWT_ISSUER",
    "JWT_PRIVATE_KEY_BASE64",
    "POSTGRES_URL",
    "CONVEX_DASHBOARD_URL",
    "COMPOSE_PROJECT_NAME",
    *ADMIN_KEY_VARS,
)
SECRET_VARS = frozenset({*ADMIN_KEY_VARS, "JWT_PRIVATE_KEY_BASE64", "POSTGRES_URL"})
DEFAULT_URL = "http://127.0.0.1:3210"
DEFAULT_SITE_PORT = 3211
DEFAULT_DASHBOARD_PORT = 6791
LOCAL_PROFILE = "local"


@dataclass(frozen=True)
class Sourced:
    """A configuration value and where it came from (`--url`, `env CONVEX_URL`, `.env.local:3`)."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class CliOverrides:
    url: str | None = None
    admin_key: str | None = None
    env_file: Path | None = None
    project_dir: Path | None = None
    profile: str | None = None
    read_only: bool = False
    config_path: Path | None = None


@dataclass(frozen=True)
class Settings:
    profile: str
    url: str
    url_source: str
    admin_key: Secret | None
    admin_key_source: str | None
    site_url: str
    dashboard_url: str
    external_api_url: str | None
    external_site_url: str | None
    compose_project: str | None
    project_dir: Path
    env_files: tuple[EnvFile, ...]
    workspace: dict[str, Sourced]
    protected: bool
    read_only: bool
    theme: str | None
    keymap: dict[str, str]
    profiles: dict[str, Profile]
    settings_file: Path
    settings_file_exists: bool
    problems: tuple[str, ...] = field(default=())
    # The in-process sandbox of `convex-tui demo`: no containers, no dashboard (not an error).
    in_process_sandbox: bool = False

    def __repr__(self) -> str:  # the dataclass repr is fine: admin_key is a Secret
        return f"Settings(profile={self.profile!r}, url={self.url!r}, key={self.admin_key!r})"

    @property
    def external_dashboard_url(self) -> str | None:
        """The dashboard's Coder URL, by the workspace's naming: `convex-api--<ws>--<user>.<domain>`
        serves the API, `convex--<ws>--<user>.<domain>` the dashboard."""
        if not self.external_api_url:
            return None
        parts = _split(self.external_api_url)
        host = _hostname(parts)
        if not host.startswith("convex-api--"):
            return None
        return urlunsplit(
            (parts.scheme, "convex--" + host.removeprefix("convex-api--"), "", "", "")
        )

    @property
    def key_fingerprint(self) -> str:
        return self.admin_key.fingerprint if self.admin_key else "no admin key"


def _split(url: str) -> SplitResult:
    """`urlsplit` that never raises: env files may hold `http://[x]` or control characters
    (issue 9, defect 6); such a URL is treated as having no host or port."""
    try:
        return urlsplit(url)
    except ValueError:
        return urlsplit("")


def _hostname(parts: SplitResult) -> str:
    try:
        return parts.hostname or ""
    except ValueError:
        return ""


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # "http://h:99999" or "http://h:x"
        return None


def looks_like_url(value: str) -> bool:
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value.strip()):
        return False
    parts = _split(value.strip())
    return (
        parts.scheme in ("http", "https")
        and bool(_hostname(parts))
        and (_port(parts) is not None or not parts.netloc.rpartition("]")[2].count(":"))
    )


def _with_port(url: str, port: int) -> str:
    parts = _split(url)
    host = _hostname(parts) or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return urlunsplit(("http", f"{host}:{port}", "", "", ""))


def _derive_site(url: str) -> str:
    if not looks_like_url(url):
        return ""  # no site to guess from a bad URL (not probed; doctor reports the URL)
    port = _port(_split(url))
    if port == 3210:
        return _with_port(url, DEFAULT_SITE_PORT)
    if port is not None:
        return _with_port(url, port + 1)
    return _with_port(url, DEFAULT_SITE_PORT)


def _is_local(url: str) -> bool:
    host = _hostname(_split(url))
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")


def load_settings(
    cli: CliOverrides | None = None, environ: dict[str, str] | None = None
) -> Settings:
    cli = cli or CliOverrides()
    env = dict(os.environ if environ is None else environ)
    problems: list[str] = []

    path = cli.config_path or settings_path(env)
    try:
        user = load_user_settings(path)
    except Exception as exc:  # a broken settings file must not stop the console
        problems.append(str(exc))
        user = UserSettings(path=path, exists=True)

    profile_name = cli.profile or env.get("CONVEX_TUI_PROFILE") or user.default_profile
    profile = user.profiles.get(profile_name or LOCAL_PROFILE)
    if profile_name and profile is None and profile_name != LOCAL_PROFILE:
        problems.append(f"profile {profile_name!r} is not defined in {path}")
    profile = profile or Profile(name=profile_name or LOCAL_PROFILE)

    project_dir = (cli.project_dir or profile.project_dir or Path.cwd()).expanduser()
    file_paths: list[Path] = []
    for extra in (cli.env_file, profile.env_file):
        if extra is not None:
            file_paths.append(extra.expanduser())
    file_paths.extend(project_dir / name for name in PROJECT_ENV_FILES)
    seen: set[Path] = set()
    env_files: list[EnvFile] = []
    for p in file_paths:
        resolved = p.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        env_files.append(read_env_file(p))

    # Workspace variables: process env beats files; earlier files beat later ones.
    workspace: dict[str, Sourced] = {}
    for name in WORKSPACE_VARS:
        if env.get(name):
            workspace[name] = Sourced(name, env[name], f"env {name}")
            continue
        for ef in env_files:
            if ef.values.get(name):
                workspace[name] = Sourced(name, ef.values[name], ef.where(name))
                break

    # Process env beats every file, whatever the variable name (layered lookup).
    layers = [{n: Sourced(n, v, f"env {n}") for n, v in env.items() if v}]
    layers += [
        {n: Sourced(n, v, ef.where(n)) for n, v in ef.values.items() if v} for ef in env_files
    ]
    url, url_source = _resolve_url(cli, profile, layers)
    key_value, key_source = _resolve_key(cli, profile, env, layers)

    site_url = profile.site_url or (
        _derive_site(url)
        if _is_local(url)
        else (_get(workspace, "CONVEX_SITE_ORIGIN") or _derive_site(url))
    )
    dashboard_url = (
        profile.dashboard_url
        or _get(workspace, "CONVEX_DASHBOARD_URL")
        or _with_port(url if _is_local(url) else DEFAULT_URL, DEFAULT_DASHBOARD_PORT)
    )
    return Settings(
        profile=profile.name,
        url=url.rstrip("/"),
        url_source=url_source,
        admin_key=Secret(key_value) if key_value else None,
        admin_key_source=key_source,
        site_url=site_url.rstrip("/"),
        dashboard_url=dashboard_url.rstrip("/"),
        external_api_url=_get(workspace, "CONVEX_CLOUD_ORIGIN"),
        external_site_url=_get(workspace, "CONVEX_SITE_ORIGIN"),
        compose_project=profile.compose_project or _get(workspace, "COMPOSE_PROJECT_NAME"),
        project_dir=project_dir,
        env_files=tuple(env_files),
        workspace=workspace,
        protected=profile.protected,
        read_only=cli.read_only or profile.protected,
        theme=user.theme,
        keymap=dict(user.keymap),
        profiles=dict(user.profiles),
        settings_file=path,
        settings_file_exists=user.exists,
        problems=tuple(problems),
    )


def _get(workspace: dict[str, Sourced], name: str) -> str | None:
    item = workspace.get(name)
    return item.value if item else None


def _resolve_url(
    cli: CliOverrides, profile: Profile, layers: list[dict[str, Sourced]]
) -> tuple[str, str]:
    if cli.url:
        return cli.url, "--url"
    if profile.url:
        return profile.url, f"profile {profile.name}"
    for layer in layers:
        for name in URL_VARS:
            item = layer.get(name)
            if item is None:
                continue
            if name == "CONVEX_DEPLOYMENT" and not looks_like_url(item.value):
                continue
            return item.value, item.source
    return DEFAULT_URL, "default"


def _resolve_key(
    cli: CliOverrides, profile: Profile, env: dict[str, str], layers: list[dict[str, Sourced]]
) -> tuple[str | None, str | None]:
    if cli.admin_key:
        return cli.admin_key, "--admin-key"
    if profile.admin_key_env and env.get(profile.admin_key_env):
        return env[profile.admin_key_env], f"env {profile.admin_key_env}"
    for layer in layers:
        for name in ADMIN_KEY_VARS:
            item = layer.get(name)
            if item is not None:
                return item.value, item.source
    return None, None
