"""The deploy summary from the CLI's output and the function lists; the runner's line handling
under arbitrary bytes (hypothesis): only SGR escapes survive, the key never does."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from tui.config.secret import Secret
from tui.scripts.deploy import parse_output, with_functions
from tui.scripts.runner import make_run

CLI_OUTPUT = """\
- Deploying to http://127.0.0.1:3210...
\x1b[32m✔\x1b[39m Added table indexes:
  [+] messages.by_author   author, _creationTime
  [+] tasks.by_status   status, _creationTime
\x1b[32m✔\x1b[39m Deleted table indexes:
  [-] tasks.by_old   old, _creationTime
\x1b[32m✔\x1b[39m Deployed Convex functions to http://127.0.0.1:3210
"""


def test_summary_from_cli_output_and_function_lists() -> None:
    summary = parse_output(CLI_OUTPUT.splitlines(), ok=True)
    assert summary.added_indexes == ("messages.by_author", "tasks.by_status")
    assert summary.removed_indexes == ("tasks.by_old",)
    summary = with_functions(summary, ["a.js:x", "a.js:y"], ["a.js:x", "b.js:z"])
    assert summary.functions_added == ("b.js:z",) and summary.functions_removed == ("a.js:y",)
    assert summary.text() == "deployed +1 fn -1 fn +2 idx -1 idx"
    assert "functions added: b.js:z" in summary.details()
    unchanged = with_functions(parse_output([], ok=True), ["a"], ["a"])
    assert unchanged.text() == "deployed, no changes"


def test_failed_summary_keeps_the_error_line() -> None:
    lines = ["Bundling...", '✘ [ERROR] Could not resolve "./does-not-exist"', "Error: exit"]
    summary = parse_output(lines, ok=False)
    assert summary.text() == "deploy failed: Error: exit"
    assert not summary.ok


KEY = "convex-self-hosted|01" + "ab" * 30
_NON_SGR = re.compile(r"\x1b(?!\[[0-9;:]*m)")


@given(st.lists(st.binary(max_size=40), max_size=8))
def test_output_lines_are_safe(chunks: list[bytes]) -> None:
    run = make_run("t", ("true",), "/", "http://x", Secret(KEY))
    for chunk in chunks:
        run._add(chunk + KEY.encode()[: len(chunk) % 5] + b"\n" + KEY.encode())
    for line in run.lines:
        assert KEY not in line
        assert not _NON_SGR.search(line)
        assert not any(c in line for c in "\r\x07\x9b\x00")


_PIECES = st.sampled_from(
    [
        "\x1b[31m",
        "\x1b[0m",
        "\x1b]0;t\x07",
        "\x1b[2J",
        "\t",
        "\u202e",
        "\x9b1m",
        "\u2028",
        "é",
        "a",
        " ",
        "\x07",
    ]
)


@given(st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=12))
def test_fast_path_is_the_sanitizer(pieces: list[str]) -> None:
    """The runner's shortcut gives exactly what `clean(keep_sgr=True)` gives."""
    from tui.safety.text import clean

    line = "".join(pieces).replace("\n", "").replace("\r", "")
    run = make_run("t", ("true",), "/", "http://x", None)
    run._add(line.encode())
    assert run.lines == [clean(line, keep_sgr=True)]
