"""The Env pane's logic without Textual: masking, planned changes, the local side, auth readiness."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import CliOverrides, Settings, load_settings
from tui.convex.models import AUTH_TABLES
from tui.env.auth import check_auth_config, check_tables, check_vars
from tui.env.local import apply_plan, diff, local_variables
from tui.env.model import MASK, EnvChange, plan_text, shown_value
from tui.env.view import deployment_rows, local_rows

KEY = "convex-self-hosted|01" + "ef" * 30


def load(project: Path, text: str, extra: str | None = None) -> Settings:
    (project / ".env.convex.local").write_text(text)
    if extra is not None:
        (project / ".env.local").write_text(extra)
    cli = CliOverrides(project_dir=project, config_path=project / "none.toml")
    return load_settings(cli, environ={})


def test_mask_hides_even_the_length_and_commands_never_hold_values() -> None:
    assert shown_value("short", False) == shown_value("x" * 500, False) == MASK
    assert shown_value("a\x1b[2Jb", True) == "ab"
    changes = [EnvChange("OPENAI_API_KEY", "sk-secret"), EnvChange("OLD", None)]
    text = plan_text(changes)
    assert "sk-secret" not in text
    assert text.splitlines() == [
        "npx convex env set OPENAI_API_KEY '<value>'",
        "npx convex env remove OLD",
    ]
    # A name shown in a command is quoted as a shell would need it (copy-paste safe).
    assert EnvChange("x; rm -rf", "v").command() == "npx convex env set 'x; rm -rf' '<value>'"


def test_local_variables_with_file_line_and_precedence(tmp_path: Path) -> None:
    settings = load(tmp_path, "A=1\nJWT_ISSUER=http://s\n", extra="A=2\nB=3\n")
    found = {v.name: v for v in local_variables(settings)}
    assert found["A"].value == "1" and found["A"].where == ".env.convex.local:1"
    assert found["A"].shadowed == (".env.local:1",)
    assert found["B"].where == ".env.local:2"


def test_diff_and_apply_plan_cover_only_what_functions_read(tmp_path: Path) -> None:
    settings = load(tmp_path, f"CONVEX_SELF_HOSTED_ADMIN_KEY={KEY}\nJWT_ISSUER=http://s\n"
                    "ENABLE_RAG=true\nOPENAI_API_KEY=sk-1\nUNRELATED=x\n")  # fmt: skip
    deployed = {"ENABLE_RAG": "false", "OPENAI_API_KEY": "sk-1"}
    states = {r.name: r.state for r in diff(settings, deployed)}
    assert states == {"JWT_ISSUER": "missing", "ENABLE_RAG": "differs", "OPENAI_API_KEY": "same"}
    plan = apply_plan(settings, deployed)
    assert [(c.name, c.value) for c in plan] == [("ENABLE_RAG", "true"), ("JWT_ISSUER", "http://s")]


def test_rows_masked_and_admin_key_never_revealed(tmp_path: Path) -> None:
    settings = load(tmp_path, f"CONVEX_SELF_HOSTED_ADMIN_KEY={KEY}\nENABLE_RAG=true\n")
    deployed = {"ENABLE_RAG": "false", "SECRET": "hunter2"}
    rows = deployment_rows(settings, deployed, set())
    assert all(r.value[0] == MASK for r in rows)
    assert deployment_rows(settings, deployed, {"SECRET"})[1].value[0] == "hunter2"
    revealed = {"local:CONVEX_SELF_HOSTED_ADMIN_KEY", "local:ENABLE_RAG"}
    local = {r.name: r for r in local_rows(settings, deployed, revealed)}
    assert local["ENABLE_RAG"].value[0] == "true"
    key_cell = local["CONVEX_SELF_HOSTED_ADMIN_KEY"].value[0]
    assert KEY not in key_cell and key_cell.startswith("convex-self-hosted…")
    assert local["ENABLE_RAG"].deployment == ("differs from the deployment", "warn")
    unknown = {r.name: r for r in local_rows(settings, None, set())}
    assert unknown["ENABLE_RAG"].deployment[0] == "deployment not read yet"


def test_auth_tables() -> None:
    assert check_tables(None).status == "warn"
    partial = {"tables": [{"tableName": "users"}, {"tableName": "tasks"}]}
    check = check_tables(partial)
    assert check.status == "warn" and "authAccounts" in check.message and "authTables" in check.fix
    full = {"tables": [{"tableName": t} for t in AUTH_TABLES]}
    assert check_tables(full).status == "ok"


def test_auth_vars() -> None:
    checks = {c.title: c.status for c in check_vars({"JWKS": "{}", "SITE_URL": ""})}
    assert checks == {"JWT_PRIVATE_KEY": "warn", "JWKS": "ok", "SITE_URL": "warn"}


@pytest.mark.parametrize(
    ("source", "status", "words"),
    [
        (None, "ok", "nothing to check"),
        ("export default { providers: [{ domain: process.env.CONVEX_SITE_URL, "
         'applicationID: "convex" }] };', "ok", "from process.env.CONVEX_SITE_URL"),
        ('export default { providers: [{ domain: "https://x.example.com", '
         'applicationID: "convex" }] };', "warn", "not process.env.CONVEX_SITE_URL"),
        ("export default { providers: [] };", "warn", "no provider domain"),
    ],
)  # fmt: skip
def test_auth_config(tmp_path: Path, source: str | None, status: str, words: str) -> None:
    if source is not None:
        (tmp_path / "convex").mkdir()
        (tmp_path / "convex" / "auth.config.ts").write_text(source)
    check = check_auth_config(tmp_path)
    assert check.status == status and words in check.message


def test_an_unreadable_env_file_is_a_check_of_the_env_pane(tmp_path: Path) -> None:
    """The Env pane's file table comes out empty when the file cannot be decoded: its checks
    say why (as the doctor does), instead of 'checks ok'."""
    from tui.env.view import checks

    env = tmp_path / ".env.convex.local"
    env.write_bytes(b"CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\n\xff\xfe\n")
    env.chmod(0o600)
    s = load_settings(
        CliOverrides(project_dir=tmp_path, config_path=tmp_path / "none.toml"), environ={}
    )
    failed = [c for c in checks(s, None, None) if c.status == "fail"]
    assert [c.title for c in failed] == ["Env file .env.convex.local"]
    assert "2: not valid UTF-8" in failed[0].message
