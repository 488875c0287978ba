"""Shared test fixtures. Every test is hermetic: no developer config, no workspace env vars."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.docker_fixtures import SKIP_REASONS, compose, docker_service, sdk  # noqa: F401
from tests.sandbox_fixtures import *  # noqa: F403
from tui.config.model import WORKSPACE_VARS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Skipped docker tests are said loudly (outside CI, where they fail instead)."""
    for reason in dict.fromkeys(SKIP_REASONS):
        terminalreporter.write_sep("!", "DOCKER TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(reason, red=True)


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CONVEX_TUI_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    # pytest-xdist workers set COLUMNS/LINES (80x24): a console started by a test would take
    # them over the size of its terminal.
    for name in (*WORKSPACE_VARS, "CONVEX_TUI_PROFILE", "COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)
    return None


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path
