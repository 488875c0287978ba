"""package.json scripts, package manager detection and the order the pane lists them in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scripts.workspaces import LOCKFILE_OF, make_workspace
from tui.scripts.workspace import FALLBACK_DEPLOY, read_workspace


@pytest.mark.parametrize("manager", sorted(LOCKFILE_OF))
def test_manager_from_lockfile(tmp_path: Path, manager: str) -> None:
    ws = read_workspace(make_workspace(tmp_path, manager))
    assert ws.package_manager == manager
    assert ws.lockfile == LOCKFILE_OF[manager]
    assert ws.deploy.argv == (manager, "run", "deploy:functions")
    assert ws.deploy.command_line == f"{manager} run deploy:functions"


def test_bun_binary_lockfile_and_default_npm(tmp_path: Path) -> None:
    bun = make_workspace(tmp_path / "bun", "none")
    (bun / "bun.lockb").write_bytes(b"\x00")
    assert read_workspace(bun).package_manager == "bun"
    assert read_workspace(make_workspace(tmp_path / "plain", "none")).package_manager == "npm"


def test_order_seed_first_then_checks_then_rest(tmp_path: Path) -> None:
    ws = read_workspace(make_workspace(tmp_path))
    names = [s.name for s in ws.scripts]
    assert names[:3] == ["deploy:functions", "dev:backend", "convex:status"]
    assert [s.group for s in ws.scripts[:3]] == ["seed"] * 3
    assert set(names[3:6]) == {"lint", "test", "typecheck"}
    assert names[6:] == ["build", "colours"]
    assert ws.get("dev:backend") is not None
    assert "npx convex dev" in ws.scripts[1].description


def test_without_package_json_deploy_falls_back(tmp_path: Path) -> None:
    ws = read_workspace(tmp_path)
    assert not ws.has_package_json
    assert ws.deploy.argv == FALLBACK_DEPLOY
    assert ws.deploy.command_line == "npx convex deploy --yes"
    assert ws.dev.command_line == "npx convex dev"


def test_missing_deploy_script_gets_fallback_and_bad_json_reports(tmp_path: Path) -> None:
    ws = read_workspace(make_workspace(tmp_path / "a", scripts={"test": "echo"}))
    assert ws.deploy.argv == FALLBACK_DEPLOY
    bad = tmp_path / "b"
    bad.mkdir()
    (bad / "package.json").write_text("{not json")
    ws = read_workspace(bad)
    assert ws.problem and "package.json" in ws.problem
    assert ws.deploy.argv == FALLBACK_DEPLOY


def test_script_body_with_escape_is_cleaned(tmp_path: Path) -> None:
    ws = read_workspace(make_workspace(tmp_path, scripts={"evil": "echo \x1b]52;c;AAAA\x07hi"}))
    evil = ws.get("evil")
    assert evil is not None and "\x1b" not in evil.description
