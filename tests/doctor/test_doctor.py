from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import write
from tests.doctor.fake_backend import fake_backend
from tui.config import CliOverrides, load_settings
from tui.doctor.checks import Check, Status, run_checks

KEY = "convex-self-hosted|01" + "7f" * 48


def no_docker(_settings: object) -> tuple[Status, str, list[str]]:
    return "warn", "docker not checked in this test", []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def checks_for(project: Path, **kw: object) -> dict[str, Check]:
    settings = load_settings(CliOverrides(project_dir=project, **kw), environ={})  # type: ignore[arg-type]
    return {f"{c.id}:{c.title}": c for c in run_checks(settings, no_docker)}


def by_id(checks: dict[str, Check], cid: str) -> list[Check]:
    return [c for k, c in checks.items() if k.startswith(cid + ":")]


def test_mismatched_relationships_reported_with_files(tmp_path: Path) -> None:
    write(
        tmp_path / ".env.convex.local",
        f"""\
CONVEX_CLOUD_ORIGIN=https://convex-api--ws--me.example.com
CONVEX_SITE_ORIGIN=https://convex-site--ws--me.example.com
CONVEX_SITE_URL=https://convex-site--ws--me.example.com
CONVEX_DEPLOYMENT_URL=https://convex-api--ws--me.example.com
CONVEX_SELF_HOSTED_ADMIN_KEY={KEY}
""",
    )
    write(
        tmp_path / ".env.local",
        "JWT_ISSUER=https://convex-api--ws--me.example.com\n"
        "VITE_CONVEX_URL=https://convex-api--ws--me.example.com/\n",
    )
    checks = checks_for(tmp_path, url="http://127.0.0.1:9")  # no network needed for env checks
    api = by_id(checks, "env.api_urls")
    assert [c.status for c in api] == ["fail"]
    assert "CONVEX_SITE_URL" in api[0].message and ".env.convex.local:3" in api[0].message
    assert ".env.convex.local:1" in api[0].message  # the anchor's file too
    site = by_id(checks, "env.site_urls")
    assert [c.status for c in site] == ["fail"]
    assert "JWT_ISSUER" in site[0].message and ".env.local:1" in site[0].message


def test_agreeing_relationships_are_ok(tmp_path: Path) -> None:
    api = "https://convex-api--ws--me.example.com"
    write(
        tmp_path / ".env.convex.local",
        f"CONVEX_CLOUD_ORIGIN={api}\nCONVEX_SITE_URL={api}\nVITE_CONVEX_URL={api}/\n"
        "CONVEX_SITE_ORIGIN=https://s.example\nJWT_ISSUER=https://s.example\n",
    )
    checks = checks_for(tmp_path, url="http://127.0.0.1:9")
    assert [c.status for c in by_id(checks, "env.api_urls")] == ["ok"]
    assert [c.status for c in by_id(checks, "env.site_urls")] == ["ok"]


@pytest.mark.parametrize(
    ("status", "expected", "text"),
    [
        (200, "ok", "accepted"),
        (401, "fail", "admin key rejected by this instance"),
        (403, "fail", "key lacks permission"),
    ],
)
def test_admin_key_check_against_real_server(
    tmp_path: Path, status: int, expected: str, text: str
) -> None:
    with fake_backend(key_status=status) as url:
        checks = checks_for(tmp_path, url=url, admin_key=KEY)
    (key_check,) = by_id(checks, "backend.admin_key")
    assert key_check.status == expected
    assert text in key_check.message
    (reach,) = by_id(checks, "backend.reachable")
    assert reach.status == "ok" and "1.29.0-fake" in reach.message and "ms" in reach.message


def test_unreachable_backend_fails_with_fix(tmp_path: Path) -> None:
    checks = checks_for(tmp_path, url=f"http://127.0.0.1:{free_port()}", admin_key=KEY)
    (reach,) = by_id(checks, "backend.reachable")
    assert reach.status == "fail" and "refused" in reach.message
    assert "docker compose up" in reach.fix
    assert not by_id(checks, "backend.admin_key")


def test_non_convex_server_on_the_port(tmp_path: Path) -> None:
    with fake_backend(version_status=500) as url:
        checks = checks_for(tmp_path, url=url, admin_key=KEY)
    (reach,) = by_id(checks, "backend.reachable")
    assert reach.status == "fail" and "HTTP 500" in reach.message


def test_site_and_dashboard_reachability(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    with fake_backend() as api, fake_backend() as site:
        dead = f"http://127.0.0.1:{free_port()}"
        write(cfg, f'[profiles.local]\nsite_url = "{site}"\ndashboard_url = "{dead}"\n')
        checks = checks_for(tmp_path, url=api, admin_key=KEY, config_path=cfg)
    assert by_id(checks, "site.reachable")[0].status == "ok"
    dash = by_id(checks, "dashboard.reachable")[0]
    assert dash.status == "warn" and dead in dash.message


def test_key_shape_and_missing_key(tmp_path: Path) -> None:
    checks = checks_for(tmp_path, url="http://127.0.0.1:9", admin_key="not-a-key")
    (shape,) = by_id(checks, "config.admin_key")
    assert shape.status == "fail" and "<instance>|<hex>" in shape.message
    assert "not-a-key" not in shape.message
    checks = checks_for(tmp_path, url="http://127.0.0.1:9")
    assert by_id(checks, "config.admin_key")[0].status == "fail"


def test_url_syntax(tmp_path: Path) -> None:
    write(tmp_path / ".env.convex.local", "CONVEX_SITE_ORIGIN=convex-site.example\n")
    checks = checks_for(tmp_path, url="localhost:3210")
    assert by_id(checks, "config.url")[0].status == "fail"
    syntax = by_id(checks, "config.url_syntax")
    assert syntax and "CONVEX_SITE_ORIGIN" in syntax[0].message


def test_world_readable_env_file(tmp_path: Path) -> None:
    write(tmp_path / ".env.convex.local", f"CONVEX_SELF_HOSTED_ADMIN_KEY={KEY}\n", mode=0o644)
    checks = checks_for(tmp_path, url="http://127.0.0.1:9")
    (perm,) = by_id(checks, "env.permissions")
    assert perm.status == "fail" and "chmod 600" in perm.fix


def test_malformed_env_file_reported_not_crashing(tmp_path: Path) -> None:
    (tmp_path / ".env.local").write_bytes(b"GOOD=1\n\x00\x01binary")
    write(tmp_path / ".env.convex.local", "A=1\nnot a valid line\n")
    checks = checks_for(tmp_path, url="http://127.0.0.1:9")
    parse = by_id(checks, "env.parse")
    failing = {c.details["file"].rsplit("/", 1)[-1]: c for c in parse if c.status == "fail"}
    assert set(failing) == {".env.local", ".env.convex.local"}
    assert failing[".env.convex.local"].details["line"] == "2"
    assert "binary" in failing[".env.local"].message


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEX")}
    env["CONVEX_TUI_CONFIG"] = str(cwd / "none.toml")
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_doctor_json_cli_done_when(tmp_path: Path) -> None:
    """The issue's acceptance case: both mismatches, with files, exit 1, key never printed."""
    project = tmp_path / "ws"
    project.mkdir()
    write(
        project / ".env.convex.local",
        f"""\
CONVEX_CLOUD_ORIGIN=http://127.0.0.1:3210
CONVEX_SITE_URL=http://127.0.0.1:3211
CONVEX_SITE_ORIGIN=http://127.0.0.1:3211
JWT_ISSUER=http://127.0.0.1:3210
CONVEX_SELF_HOSTED_ADMIN_KEY={KEY}
""",
    )
    with fake_backend() as url:
        proc = run_cli(
            "doctor", "--json", "--project-dir", str(project), "--url", url, cwd=tmp_path
        )
    assert proc.returncode == 1, proc.stderr
    assert KEY not in proc.stdout + proc.stderr and "7f7f7f7f" not in proc.stdout
    report = json.loads(proc.stdout)
    assert report["ok"] is False
    fails = {c["id"]: c for c in report["checks"] if c["status"] == "fail"}
    assert "CONVEX_SITE_URL" in fails["env.api_urls"]["message"]
    assert ".env.convex.local:2" in fails["env.api_urls"]["message"]
    assert "JWT_ISSUER" in fails["env.site_urls"]["message"]
    assert ".env.convex.local:4" in fails["env.site_urls"]["message"]
    assert report["admin_key"] == "convex-self-hosted…7f7f"


def test_doctor_text_output_and_exit_zero(tmp_path: Path) -> None:
    with fake_backend() as api, fake_backend() as other:
        cfg = write(
            tmp_path / "c.toml",
            f'[profiles.local]\nsite_url = "{other}"\ndashboard_url = "{other}"\n',
        )
        settings = load_settings(
            CliOverrides(project_dir=tmp_path, url=api, admin_key=KEY, config_path=cfg), environ={}
        )
        write(tmp_path / ".env.convex.local", "X=1\n")
        from io import StringIO

        from tui.doctor.report import main

        out = StringIO()
        code = main(
            settings,
            as_json=False,
            docker_lister=lambda s: ("ok", "2 container(s)", ["a", "b"]),
            out=out,
        )
    text = out.getvalue()
    assert code == 0, text
    assert "✔ Backend /version" in text and KEY not in text


@pytest.mark.docker
def test_docker_check_lists_compose_containers(tmp_path: Path) -> None:
    """Against the real engine: a labelled container is found by its compose project."""
    import uuid

    docker = pytest.importorskip("docker")
    from tui.doctor.docker_check import list_compose_containers

    try:
        api = docker.from_env(timeout=5)
        api.ping()
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"DOCKER ENGINE MISSING, doctor docker test skipped: {exc}")
    project = f"doctor-{uuid.uuid4().hex[:8]}"
    container = api.containers.run(
        "convex-tui-test/busybox:latest",
        ["sleep", "60"],
        detach=True,
        network_mode="none",
        name=f"{project}-backend-1",
        labels={"com.docker.compose.project": project, "com.docker.compose.service": "backend"},
    )
    try:
        settings = load_settings(
            CliOverrides(project_dir=tmp_path), environ={"COMPOSE_PROJECT_NAME": project}
        )
        status, message, names = list_compose_containers(settings)
        assert (status, names) == ("ok", [f"{project}-backend-1"])
        assert "1/1 up" in message
        settings = load_settings(
            CliOverrides(project_dir=tmp_path), environ={"COMPOSE_PROJECT_NAME": project + "x"}
        )
        status, message, names = list_compose_containers(settings)
        assert status == "warn" and names == [] and "no Convex containers" in message
    finally:
        container.remove(force=True)


def test_docker_check_engine_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.doctor.docker_check import list_compose_containers

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    settings = load_settings(CliOverrides(project_dir=tmp_path), environ={})
    status, message, names = list_compose_containers(settings)
    assert status == "warn" and names == []
    assert "not reachable" in message and "start it" in message


def test_key_never_reaches_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every logger at DEBUG while the key is sent and checked: no record and nothing printed
    holds it. (The probes are on http.client, which logs nothing; httpx's loggers were the
    risk.) The backend saw the key, so the run did send it."""
    import logging

    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with fake_backend(key_status=401, seen_auth=seen) as url:
        checks = checks_for(tmp_path, url=url, admin_key=KEY)
    assert by_id(checks, "backend.admin_key")[0].status == "fail"
    assert seen == [f"Convex {KEY}"], "the key was not sent: the test would prove nothing"
    printed = "".join(capsys.readouterr())
    for text in (caplog.text, printed):
        assert KEY not in text and "7f7f7f7f" not in text


def test_deployment_env_drift_against_the_sandbox(tmp_path: Path, sandbox_session: Any) -> None:
    """Variables the functions read, set in the files but missing or different on the deployment."""
    secret = "sk-local-secret-123456"
    write(
        tmp_path / ".env.convex.local",
        f"""\
CONVEX_SELF_HOSTED_URL={sandbox_session.url}
CONVEX_SELF_HOSTED_ADMIN_KEY={sandbox_session.admin_key}
JWT_ISSUER=https://convex-site--ws--me.example.com
OPENAI_API_KEY={secret}
ENABLE_RAG=true
""",
    )
    headers = {"Authorization": f"Convex {sandbox_session.admin_key}"}
    update = f"{sandbox_session.url}/api/update_environment_variables"
    changes = [{"name": "OPENAI_API_KEY", "value": "sk-deployed-other"},
               {"name": "ENABLE_RAG", "value": "true"}, {"name": "JWT_ISSUER", "value": None}]  # fmt: skip
    assert httpx.post(update, json={"changes": changes}, headers=headers).status_code == 200
    try:
        checks = checks_for(tmp_path)
        drift = {c.details.get("name"): c for c in by_id(checks, "deployment.env")}
        assert set(drift) == {"JWT_ISSUER", "OPENAI_API_KEY"}  # ENABLE_RAG agrees
        assert all(c.status == "warn" for c in drift.values())
        assert "not on the deployment" in drift["JWT_ISSUER"].message
        assert ".env.convex.local:3" in drift["JWT_ISSUER"].message
        assert "npx convex env set JWT_ISSUER" in drift["JWT_ISSUER"].fix
        assert drift["OPENAI_API_KEY"].message == "OPENAI_API_KEY: the values differ"
        everything = json.dumps([c.__dict__ for c in checks.values()])
        assert secret not in everything and "sk-deployed-other" not in everything

        fixed = [{"name": "OPENAI_API_KEY", "value": secret},
                 {"name": "JWT_ISSUER", "value": "https://convex-site--ws--me.example.com"}]  # fmt: skip
        assert httpx.post(update, json={"changes": fixed}, headers=headers).status_code == 200
        (ok,) = by_id(checks_for(tmp_path), "deployment.env")
        assert ok.status == "ok" and "3 variable(s)" in ok.message
    finally:
        names = ["OPENAI_API_KEY", "ENABLE_RAG", "JWT_ISSUER"]
        httpx.post(update, json={"changes": [{"name": n, "value": None} for n in names]},
                   headers=headers)  # fmt: skip


def test_docker_fix_depends_on_what_is_wrong(tmp_path: Path) -> None:
    from tui.doctor.checks import NO_CONTAINERS, check_docker

    settings = load_settings(CliOverrides(project_dir=tmp_path), environ={})
    (engine_down,) = check_docker(settings, lambda s: ("warn", "Docker engine not reachable", []))
    assert "start Docker" in engine_down.fix
    (stack_down,) = check_docker(
        settings, lambda s: ("warn", f"Docker 28 is up, but {NO_CONTAINERS}", [])
    )
    assert "docker compose up -d" in stack_down.fix and "start Docker" not in stack_down.fix
    (fine,) = check_docker(settings, lambda s: ("ok", "1/1 up: a", ["a"]))
    assert fine.fix == ""


def test_status_notices_never_quote_the_key(tmp_path: Path) -> None:
    """The Status pane's notices come from `config_checks`/`check_services`, not `run_checks`:
    they are scrubbed too (a check may quote an env value or a URL holding the key)."""
    from tui.doctor.checks import notices

    settings = load_settings(CliOverrides(project_dir=tmp_path, admin_key=KEY), environ={})
    quoting = Check("x", "X", "fail", f"CONVEX_CLOUD_ORIGIN={KEY}", f"unset {KEY[: len(KEY) // 2]}")
    assert KEY in notices([quoting])[0].message  # without settings: as given
    shown = notices([quoting, Check("y", "Y", "ok", KEY)], settings)
    assert [c.id for c in shown] == ["x"]
    assert KEY not in shown[0].message and KEY[: len(KEY) // 2] not in shown[0].fix
