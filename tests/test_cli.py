"""The command line: deployment flags work before and after the subcommand."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


FLAG_WORDS = ["--url", "http://h:1", "--profile", "prod", "--read-only", "--unlock", "prod",
              "--admin-key", "k", "--env-file", "e", "--config", "c", "--project-dir", "d",
              "--bogus", "-h", "--url"]  # fmt: skip


@given(st.lists(st.sampled_from(FLAG_WORDS), max_size=6))
def test_the_consoles_quick_parser_agrees_with_the_whole_one(argv: list[str]) -> None:
    """The console's start-up parses its flags without building the subcommands; what it
    accepts it reads as the whole parser does, and what it refuses goes to the whole parser."""
    from tui.cli import _Reparse, command_of, names_no_command

    if not names_no_command(argv):
        return
    whole = build_parser(only=command_of(argv))
    try:
        expected: object = whole.parse_args(argv)
    except SystemExit as exc:
        expected = ("exit", exc.code)
    try:
        got: object = build_parser(only="console", no_command=True).parse_args(argv)
    except _Reparse:
        assert isinstance(expected, tuple) and expected[1] != 0  # refused by both
        return
    assert got == expected


def test_a_bad_console_flag_gets_the_whole_parsers_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--bogus"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --bogus" in err and "COMMAND" in err  # the full usage
