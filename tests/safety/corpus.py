"""The injection corpus (issue 9): what a hostile deployment, container or env file may send.

Every human-readable output must show these inert: `inert()` is the check (no ESC, no C0 but
newline/tab, no C1, no bidi/format characters, no lone surrogates, valid UTF-8).
"""

from __future__ import annotations

import re
import unicodedata

PAYLOADS: dict[str, str] = {
    "rich_markup": "[bold red]MARKUP[/] [link=http://evil.example]x[/link] [@click=app.quit]q[/]",
    "osc0_title": "\x1b]0;PWNED-TITLE\x07",
    "osc2_title_st": "\x1b]2;PWNED-TITLE\x1b\\",
    "osc8_link": "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "osc52_clipboard": "\x1b]52;c;cHduZWQ=\x07",
    "csi_clear": "\x1b[2J\x1b[3J\x1b[H",
    "csi_moves": "\x1b[10;10H\x1b[5A\x1b[2K\x1b[1;1f",
    "c1_csi": "\x9b2J\x9d0;c1-title\x9c",
    "dcs_apc": "\x1bPq#0;2;0;0;0\x1b\\\x1b_apc\x1b\\",
    "bidi": "safe\u202eexe.txt\u2066hidden\u2069\u200f",
    "controls": "bell\x07back\x08\x08form\x0cnul\x00del\x7fcr\rend",
    "lone_surrogate": "half\ud800pair",
    "long_line": "L" * 20_000,
}
# Bytes only a byte channel (env file, container output) can carry.
INVALID_UTF8 = b"bad\xff\xfe\xc3(utf8"
CORPUS_SIZE = len(PAYLOADS) + 1
MARK = "PAYLOAD"  # a visible word in each, to find the line again

SGR = re.compile(r"\x1b\[[0-9;:]*m")


def inert(text: str) -> bool:
    return all(
        c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Cs")
        for c in text
    ) and "\u2028" not in text and "\u2029" not in text  # fmt: skip


def offending(text: str) -> list[str]:
    """The characters that make ``text`` not inert (for assertion messages)."""
    bad = {
        repr(c) for c in text if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf", "Cs")
    }
    return sorted(bad)


def terminal_bytes_ok(data: bytes) -> tuple[bool, str]:
    """Bytes written to a terminal: valid UTF-8 and inert."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return False, f"invalid UTF-8 at {exc.start}"
    bad = offending(text)
    return (not bad), ", ".join(bad)
