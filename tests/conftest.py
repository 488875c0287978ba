"""Shared test fixtures. Every test is hermetic: no developer config, no workspace env vars."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.config.model import WORKSPACE_VARS

try:  # sandbox fixtures arrive with the sandbox package
    from tests.sandbox_fixtures import *  # noqa: F403
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CONVEX_TUI_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for name in (*WORKSPACE_VARS, "CONVEX_TUI_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return None


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path
