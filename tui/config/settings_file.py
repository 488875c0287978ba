"""The user's own settings file: TOML in the platform config directory.

```toml
default_profile = "local"
theme = "textual-dark"

[keymap]            # binding id = key(s)
"pane.logs" = "2,l"

[profiles.prod]
url = "https://convex-api--prod--me.coder.example.com"
env_file = "~/prod/.env.convex.local"
project_dir = "~/prod"
compose_project = "docker"
dashboard_url = "https://convex--prod--me.coder.example.com"
protected = true
```
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_ENV_VAR = "CONVEX_TUI_CONFIG"
APP_NAME = "convex-tui"


class SettingsFileError(Exception):
    """The settings file exists but cannot be used."""


@dataclass(frozen=True)
class Profile:
    name: str
    url: str | None = None
    admin_key_env: str | None = None
    env_file: Path | None = None
    project_dir: Path | None = None
    compose_project: str | None = None
    dashboard_url: str | None = None
    site_url: str | None = None
    protected: bool = False


@dataclass(frozen=True)
class UserSettings:
    path: Path
    exists: bool
    default_profile: str | None = None
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)


def settings_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    override = env.get(CONFIG_ENV_VAR)
    if override:
        return Path(override).expanduser()
    return user_config_dir() / "config.toml"


def user_config_dir() -> Path:
    """The platform's config directory for convex-tui, as platformdirs says.

    On Linux (Coder workspaces) the XDG rule is applied here: importing platformdirs loads
    tempfile and shutil (~9 ms, a fifth of a bare request) for every headless command
    (issue 19). tests/config/test_config.py holds the two to the same answer."""
    xdg, home = os.environ.get("XDG_CONFIG_HOME", ""), os.environ.get("HOME")
    if sys.platform == "linux" and (home is None or os.path.isabs(home)):
        base = xdg if os.path.isabs(xdg) else os.path.expanduser("~/.config")
        return Path(base) / APP_NAME
    import platformdirs  # other systems, and odd homes (a relative $HOME)

    return Path(platformdirs.user_config_dir(APP_NAME))


def _path(value: Any, base: Path, what: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SettingsFileError(f"{what} must be a string path")
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def _str(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise SettingsFileError(f"{what} must be a string")


def load_user_settings(path: Path) -> UserSettings:
    if not path.exists():
        return UserSettings(path=path, exists=False)
    import tomllib  # here: most runs have no settings file (~5 ms)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsFileError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(f"{path}: invalid TOML: {exc}") from exc
    base = path.parent
    profiles: dict[str, Profile] = {}
    raw_profiles = data.get("profiles", {})
    if not isinstance(raw_profiles, dict):
        raise SettingsFileError(f"{path}: [profiles] must be a table")
    for name, raw in raw_profiles.items():
        if not isinstance(raw, dict):
            raise SettingsFileError(f"{path}: [profiles.{name}] must be a table")
        known = {
            "url",
            "admin_key_env",
            "env_file",
            "project_dir",
            "compose_project",
            "dashboard_url",
            "site_url",
            "protected",
        }
        unknown = set(raw) - known
        if unknown:
            raise SettingsFileError(f"{path}: [profiles.{name}] unknown keys: {sorted(unknown)}")
        protected = raw.get("protected", False)
        if not isinstance(protected, bool):
            raise SettingsFileError(f"{path}: profiles.{name}.protected must be true or false")
        profiles[name] = Profile(
            name=name,
            url=_str(raw.get("url"), f"profiles.{name}.url"),
            admin_key_env=_str(raw.get("admin_key_env"), f"profiles.{name}.admin_key_env"),
            env_file=_path(raw.get("env_file"), base, f"profiles.{name}.env_file"),
            project_dir=_path(raw.get("project_dir"), base, f"profiles.{name}.project_dir"),
            compose_project=_str(raw.get("compose_project"), f"profiles.{name}.compose_project"),
            dashboard_url=_str(raw.get("dashboard_url"), f"profiles.{name}.dashboard_url"),
            site_url=_str(raw.get("site_url"), f"profiles.{name}.site_url"),
            protected=protected,
        )
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise SettingsFileError(f"{path}: [keymap] must map binding ids to key strings")
    return UserSettings(
        path=path,
        exists=True,
        default_profile=_str(data.get("default_profile"), "default_profile"),
        theme=_str(data.get("theme"), "theme"),
        keymap=dict(keymap),
        profiles=profiles,
    )
