"""The README's key table is generated from the one key table (tui/keys.py), so it cannot drift."""

from __future__ import annotations

from pathlib import Path

from tui.keys import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_key_table_is_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    assert markdown_table() in text, (
        "README's key table differs from tui/keys.py: paste "
        "`python -c 'from tui.keys import markdown_table; print(markdown_table())'`"
    )
