"""The command line: deployment flags work before and after the subcommand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.cli import build_parser, main


@pytest.mark.parametrize(
    "argv",
    [
        ["--profile", "prod", "--read-only", "--url", "http://h:1", "status"],
        ["status", "--profile", "prod", "--read-only", "--url", "http://h:1"],
        ["--profile", "prod", "status", "--read-only", "--url", "http://h:1"],
    ],
)
def test_flags_before_or_after_the_subcommand(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.command, args.profile, args.read_only, args.url) == (
        "status", "prod", True, "http://h:1",
    )  # fmt: skip


def test_defaults_without_flags() -> None:
    args = build_parser().parse_args(["doctor"])
    assert (args.profile, args.read_only, args.url, args.admin_key, args.json) == (
        None, False, None, None, False,
    )  # fmt: skip
    assert build_parser().parse_args([]).command is None  # the console


@pytest.mark.parametrize("argv", [["status"], ["run", "tasks:list"], ["logs"]])
def test_headless_commands_warn_about_a_malformed_env_file(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / ".env.convex.local"
    env.write_text('CONVEX_SELF_HOSTED_URL=http://127.0.0.1:9\nexport = = broken "line\n')
    env.chmod(0o600)
    flags = ["--project-dir", str(tmp_path), "--config", str(tmp_path / "none.toml")]
    code = main([*argv, *flags, "--url", "http://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code != 0  # nothing listens there
    assert f"warning: {env}:2: cannot parse line" in err
    assert "fix or remove that line" in err
