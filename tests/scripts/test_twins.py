"""Headless twins: `convex-tui scripts`, `scripts run`, `deploy` and `env` (against the sandbox)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.scripts.workspaces import make_workspace
from tui.cli import main
from tui.safety.guard import EXIT_REFUSED
from tui.sandbox.server import SandboxThread


def test_scripts_list_json_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = make_workspace(tmp_path / "ws", "yarn")
    assert main(["scripts", "--json", "--project-dir", str(ws)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["package_manager"] == "yarn"
    assert data["scripts"][0]["command"] == "yarn run deploy:functions"
    assert main(["scripts", "--project-dir", str(ws)]) == 0
    assert "$ yarn run typecheck" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm runs the scripts")
def test_scripts_run_and_deploy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVEX_TUI_DATA_DIR", str(tmp_path / "data"))
    ws = make_workspace(tmp_path / "ws", "npm")
    flags = ["--project-dir", str(ws), "--url", "http://127.0.0.1:9"]
    assert main(["scripts", "run", "typecheck", *flags]) == 3
    err = capsys.readouterr().err
    assert "$ npm run typecheck" in err and "exit 3" in err
    assert main(["deploy", *flags]) == 0
    out = capsys.readouterr().out
    assert "[+] tasks.by_owner" in out and "\x1b" not in out  # not a terminal: no colours
    assert main(["deploy", "--read-only", *flags]) == EXIT_REFUSED
    assert main(["scripts", "run", "nope", *flags]) == 2


def admin(sandbox: SandboxThread) -> list[str]:
    return ["--url", sandbox.url, "--admin-key", sandbox.admin_key, "--project-dir", "/nonexistent"]


def listed(sandbox: SandboxThread) -> dict[str, str]:
    headers = {"Authorization": f"Convex {sandbox.admin_key}"}
    response = httpx.get(f"{sandbox.url}/api/list_environment_variables", headers=headers)
    return dict(response.json()["environmentVariables"])


def test_env_twin(sandbox_session: SandboxThread, capsys: pytest.CaptureFixture[str]) -> None:
    flags = admin(sandbox_session)
    assert main(["env", "set", "TWIN_VAR", "twin-secret", *flags]) == 0
    assert "Successfully set TWIN_VAR" in capsys.readouterr().err
    assert main(["env", *flags]) == 0
    out = capsys.readouterr().out
    assert "TWIN_VAR=••••••••" in out and "twin-secret" not in out
    assert main(["env", "list", "--reveal", *flags]) == 0
    assert "TWIN_VAR=twin-secret" in capsys.readouterr().out
    assert main(["env", "--json", *flags]) == 0
    assert json.loads(capsys.readouterr().out)["TWIN_VAR"] is None

    assert main(["env", "set", "1BAD", "x", *flags]) == 1
    assert "EnvironmentVariableNameInvalid" in capsys.readouterr().err
    assert main(["env", "remove", "TWIN_VAR", "--read-only", *flags]) == EXIT_REFUSED
    assert listed(sandbox_session)["TWIN_VAR"] == "twin-secret", "nothing was sent"
    assert main(["env", "remove", "TWIN_VAR", *flags]) == 0
    assert "TWIN_VAR" not in listed(sandbox_session)


def test_env_check(
    sandbox_session: SandboxThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env.convex.local").write_text("ENABLE_RAG=true\n")
    flags = [*admin(sandbox_session)[:4], "--project-dir", str(tmp_path)]
    assert main(["env", "check", *flags]) == 1
    out = capsys.readouterr().out
    assert "ENABLE_RAG is set in .env.convex.local:1 but not on the deployment" in out
    assert "JWT_PRIVATE_KEY" in out
