"""The command line: deployment flags work before and after the subcommand."""

from __future__ import annotations

import pytest

from tui.cli import build_parser


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
