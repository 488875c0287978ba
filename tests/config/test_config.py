from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write
from tui.config import CliOverrides, Secret, load_settings
from tui.config.envfiles import read_env_file

KEY = "convex-self-hosted|01" + "ab" * 40
KEY2 = "convex-self-hosted|01" + "cd" * 40


def test_default_when_nothing_configured(tmp_path: Path) -> None:
    s = load_settings(CliOverrides(project_dir=tmp_path), environ={})
    assert s.url == "http://127.0.0.1:3210"
    assert s.url_source == "default"
    assert s.admin_key is None
    assert s.site_url == "http://127.0.0.1:3211"
    assert s.dashboard_url == "http://127.0.0.1:6791"


def test_project_files_in_order(tmp_path: Path) -> None:
    write(tmp_path / ".env", "CONVEX_SELF_HOSTED_URL=http://env-file:1\n")
    write(tmp_path / ".env.local", "CONVEX_SELF_HOSTED_URL=http://env-local:1\n")
    s = load_settings(CliOverrides(project_dir=tmp_path), environ={})
    assert s.url == "http://env-local:1"
    assert s.url_source == ".env.local:1"
    write(tmp_path / ".env.convex.local", "# c\nCONVEX_SELF_HOSTED_URL=http://convex-local:1\n")
    s = load_settings(CliOverrides(project_dir=tmp_path), environ={})
    assert s.url == "http://convex-local:1"
    assert s.url_source == ".env.convex.local:2"


def test_env_beats_files_and_flags_beat_env(tmp_path: Path) -> None:
    write(
        tmp_path / ".env.convex.local",
        f"CONVEX_SELF_HOSTED_URL=http://file:1\nCONVEX_SELF_HOSTED_ADMIN_KEY={KEY}\n",
    )
    env = {"CONVEX_URL": "http://process:2", "CONVEX_ADMIN_KEY": KEY2}
    s = load_settings(CliOverrides(project_dir=tmp_path), environ=env)
    assert (s.url, s.url_source) == ("http://process:2", "env CONVEX_URL")
    # Any name in the process environment beats every file.
    assert s.admin_key == Secret(KEY2) and s.admin_key_source == "env CONVEX_ADMIN_KEY"
    s = load_settings(
        CliOverrides(project_dir=tmp_path, url="http://flag:3", admin_key=KEY2), environ=env
    )
    assert (s.url, s.url_source) == ("http://flag:3", "--url")
    assert s.admin_key == Secret(KEY2) and s.admin_key_source == "--admin-key"


@pytest.mark.parametrize(
    "name",
    [
        "CONVEX_SELF_HOSTED_URL",
        "CONVEX_URL",
        "CONVEX_CLOUD_ORIGIN",
        "CONVEX_DEPLOYMENT_URL",
        "VITE_CONVEX_URL",
        "CONVEX_DEPLOYMENT",
    ],
)
def test_every_url_variable_is_accepted(tmp_path: Path, name: str) -> None:
    s = load_settings(CliOverrides(project_dir=tmp_path), environ={name: "https://api.example:443"})
    assert s.url == "https://api.example:443"
    assert s.url_source == f"env {name}"


def test_convex_deployment_name_is_not_a_url(tmp_path: Path) -> None:
    s = load_settings(
        CliOverrides(project_dir=tmp_path), environ={"CONVEX_DEPLOYMENT": "dev:happy-cat-123"}
    )
    assert s.url_source == "default"


def test_env_file_flag_is_read_first(tmp_path: Path) -> None:
    other = write(tmp_path / "custom.env", "CONVEX_SELF_HOSTED_URL=http://custom:9\n")
    write(tmp_path / ".env.convex.local", "CONVEX_SELF_HOSTED_URL=http://convex-local:1\n")
    s = load_settings(CliOverrides(project_dir=tmp_path, env_file=other), environ={})
    assert s.url == "http://custom:9"


def test_profiles_and_protected(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "config.toml",
        """
default_profile = "staging"
theme = "nord"
[keymap]
"pane.logs" = "l"
[profiles.staging]
url = "https://staging.example"
compose_project = "docker"
[profiles.prod]
url = "https://prod.example"
protected = true
""",
    )
    s = load_settings(
        CliOverrides(project_dir=tmp_path, config_path=cfg), environ={"CONVEX_URL": "http://x:1"}
    )
    assert (s.profile, s.url, s.compose_project, s.protected, s.read_only) == (
        "staging",
        "https://staging.example",
        "docker",
        False,
        False,
    )
    assert s.theme == "nord" and s.keymap == {"pane.logs": "l"}
    s = load_settings(
        CliOverrides(project_dir=tmp_path, config_path=cfg, profile="prod"), environ={}
    )
    assert s.protected and s.read_only
    # A typed flag beats the profile.
    s = load_settings(
        CliOverrides(project_dir=tmp_path, config_path=cfg, profile="prod", url="http://l:1"),
        environ={},
    )
    assert s.url == "http://l:1"


def test_settings_file_from_env_var(tmp_path: Path) -> None:
    cfg = write(tmp_path / "elsewhere.toml", '[profiles.local]\nurl = "http://from-config:5"\n')
    s = load_settings(CliOverrides(project_dir=tmp_path), environ={"CONVEX_TUI_CONFIG": str(cfg)})
    assert s.url == "http://from-config:5" and s.settings_file == cfg


def test_broken_settings_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "this is = = not toml")
    s = load_settings(CliOverrides(project_dir=tmp_path, config_path=cfg), environ={})
    assert s.problems and "invalid TOML" in s.problems[0]


def test_secret_never_in_repr(tmp_path: Path) -> None:
    s = load_settings(CliOverrides(project_dir=tmp_path, admin_key=KEY), environ={})
    for text in (repr(s), str(s), repr(s.admin_key), str(s.admin_key), f"{s.admin_key}"):
        assert KEY not in text and "ab" * 40 not in text
    assert s.key_fingerprint == "convex-self-hosted…abab"
    assert s.admin_key is not None and s.admin_key.reveal() == KEY


def test_malformed_env_files_report_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.env", "A=1\nthis is not valid\nB=2\n")
    ef = read_env_file(bad)
    assert ef.values == {"A": "1", "B": "2"}
    assert [(p.line, "cannot parse" in p.message) for p in ef.problems] == [(2, True)]
    binary = tmp_path / "bin.env"
    binary.write_bytes(b"A=1\x00\x01\x02")
    assert "binary" in read_env_file(binary).problems[0].message
    latin = tmp_path / "latin.env"
    latin.write_bytes(b"A=1\nB=\xff\xfe\n")
    assert read_env_file(latin).problems[0].line == 2
    unreadable = write(tmp_path / "locked.env", "A=1\n", mode=0o000)
    ef = read_env_file(unreadable)
    import os

    if os.geteuid() != 0:  # root reads anything
        assert "unreadable" in ef.problems[0].message


def test_variable_expansion_within_file(tmp_path: Path) -> None:
    write(tmp_path / ".env.convex.local", "BASE=http://h:3210\nCONVEX_SELF_HOSTED_URL=${BASE}\n")
    assert load_settings(CliOverrides(project_dir=tmp_path), environ={}).url == "http://h:3210"


def test_cli_warns_about_an_undefined_profile(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {"CONVEX_TUI_CONFIG": str(tmp_path / "none.toml"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "--profile", "nope", "status", "--json", "--url", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert "warning: profile 'nope' is not defined" in proc.stderr
    assert proc.returncode == 1  # the API is down


def test_external_dashboard_url_follows_the_coder_naming(tmp_path: Path) -> None:
    api = "https://convex-api--myproject--johndoe.coder.example.com"
    s = load_settings(CliOverrides(project_dir=tmp_path), environ={"CONVEX_CLOUD_ORIGIN": api})
    assert s.external_api_url == api
    assert s.external_dashboard_url == "https://convex--myproject--johndoe.coder.example.com"
    other = load_settings(
        CliOverrides(project_dir=tmp_path), environ={"CONVEX_CLOUD_ORIGIN": "https://api.example"}
    )
    assert other.external_dashboard_url is None
    assert (
        load_settings(CliOverrides(project_dir=tmp_path), environ={}).external_dashboard_url is None
    )


def test_a_bad_url_derives_no_site_url(tmp_path: Path) -> None:
    """No guessing http://127.0.0.1:3211 from a URL that is not one: the site is not probed."""
    s = load_settings(
        CliOverrides(url="notaurl", project_dir=tmp_path, config_path=tmp_path / "x.toml"),
        environ={},
    )
    assert s.site_url == ""
    good = load_settings(
        CliOverrides(
            url="http://127.0.0.1:4000", project_dir=tmp_path, config_path=tmp_path / "x.toml"
        ),
        environ={},
    )
    assert good.site_url == "http://127.0.0.1:4001"


@pytest.mark.parametrize("xdg", [None, "", "  ", "/tmp/xdg-config", "relative/dir"])
@pytest.mark.parametrize("home", ["keep", None, "relative-home", "/tmp/other-home"])
def test_config_dir_is_what_platformdirs_says(
    xdg: str | None, home: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings file's directory is found without importing platformdirs on Linux (issue 19:
    ~9 ms per command); it must stay the directory platformdirs would give."""
    import platformdirs

    from tui.config.settings_file import APP_NAME, user_config_dir

    for name, value in (("XDG_CONFIG_HOME", xdg), ("HOME", home)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        elif value != "keep":
            monkeypatch.setenv(name, value)
    assert user_config_dir() == Path(platformdirs.user_config_dir(APP_NAME))


def test_an_unparseable_line_is_named_without_its_value(tmp_path: Path) -> None:
    """A line dotenv cannot parse is reported by its name: its value may be the admin key
    (an unterminated quote around it, say) and is never shown."""
    secret = "a|0123456789abcdef0123456789abcdef"
    env = write(tmp_path / ".env.convex.local", f'CONVEX_SELF_HOSTED_ADMIN_KEY="{secret}\n')
    (problem,) = read_env_file(env).problems
    assert "CONVEX_SELF_HOSTED_ADMIN_KEY=…" in problem.message
    assert "0123" not in problem.message and "a|" not in problem.message


def test_a_key_pasted_on_a_line_of_its_own_is_a_problem_not_a_name(tmp_path: Path) -> None:
    """dotenv takes a bare word for a name without a value: a pasted admin key would become a
    variable name and be listed as one. It is a problem instead, its secret half not shown."""
    env = write(tmp_path / ".env.convex.local", "convex-self-hosted|0123456789abcdef\nOK=1\n")
    ef = read_env_file(env)
    assert ef.values == {"OK": "1"}
    (problem,) = ef.problems
    assert problem.line == 1 and "convex-self-hosted|…" in problem.message
    assert "0123" not in problem.message
