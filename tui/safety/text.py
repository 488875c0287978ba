"""The one sanitizer for untrusted text shown to people (logs, documents, env values, URLs,
container output, server errors), in the console and in every headless command.

- `clean`: drops every C0/C1 control and escape sequence except newline and tab (and, with
  ``keep_sgr``, SGR colour sequences), bidi overrides and other format characters, and
  replaces invalid UTF-8; the result is safe to print and to give to Rich as plain `Text`.
- `clean_line`: the same for one line (newlines become ``⏎``), optionally cut to a width.
- `scrub_url`: a URL as it may be shown — no userinfo, no query or fragment values.
- `scrub_secret`: removes an admin key (and its halves) from any text.
- `show_url`: `scrub_url` and `scrub_secret` together — how every pane and command shows a URL.
- `safe_stream`: a stdout/stderr wrapper that cleans (and scrubs the key from) every write; the
  headless commands print all human-readable output through one.

JSON outputs are never passed through here: they stay exact (json.dumps escapes controls).
"""

from __future__ import annotations

import io
import re
import unicodedata
from typing import TextIO, cast
from urllib.parse import urlsplit, urlunsplit

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC (ESC P|X|^|_ ... ST),
# two-byte escapes; and the 8-bit C1 forms of the same.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?           # CSI
  | (?:\x1b\]|\x9d).*?(?:\x07|\x1b\\|\x9c|$)    # OSC, to BEL or ST (or the end)
  | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]).*?(?:\x1b\\|\x9c|$)  # DCS, SOS, PM, APC
  | \x1b[ -/]*[0-~]?                            # other escapes (incl. a lone ESC)
    """,
    re.VERBOSE | re.DOTALL,
)
_SGR = re.compile(r"\x1b\[[0-9;:]*m")
# Anything but printable ASCII, newline and tab: text without it has nothing to clean.
_NOT_PLAIN = re.compile(r"[^\x20-\x7e\n\t]")
_SGR_MARK = "\x00sgr{}\x00"


def _is_unsafe(ch: str) -> bool:
    if ch in "\n\t":
        return False
    cat = unicodedata.category(ch)
    # Cc: C0/C1 controls; Cf: format (bidi overrides, zero-width); Cs: lone surrogates.
    return cat in ("Cc", "Cf", "Cs") or ch in "\u2028\u2029"


def to_text(data: str | bytes) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data


def clean(text: str | bytes, *, keep_sgr: bool = False) -> str:
    """Untrusted text made inert for a terminal. Newlines and tabs stay."""
    s = to_text(text)
    if _NOT_PLAIN.search(s) is None:
        return s  # fastest path: plain ASCII (JSON values, most log lines), one regex scan
    if "\x1b" not in s and "\x9b" not in s and all(not _is_unsafe(c) for c in s):
        return s  # fast path: no escape, no unsafe character
    kept: list[str] = []
    if keep_sgr:

        def stash(m: re.Match[str]) -> str:
            kept.append(m.group(0))
            return _SGR_MARK.format(len(kept) - 1)

        s = _SGR.sub(stash, s.replace("\x00", ""))
    s = _ESCAPES.sub("", s)
    s = (
        "".join(c for c in s if c == "\x00" or not _is_unsafe(c))
        if keep_sgr
        else "".join(c for c in s if not _is_unsafe(c))
    )
    if keep_sgr:
        s = re.sub(r"\x00sgr(\d+)\x00", lambda m: kept[int(m.group(1))], s).replace("\x00", "")
    return s


def clean_line(text: str | bytes, width: int | None = None) -> str:
    """One display line: `clean`, newlines shown as ⏎, tabs as spaces, cut to ``width``."""
    s = clean(text).replace("\r\n", "\n").replace("\n", "⏎").replace("\t", "    ")
    if width is not None and len(s) > width:
        s = s[: max(0, width - 1)] + "…"
    return s


def scrub_secret(text: str, secret: str | None, replacement: str = "<admin key>") -> str:
    """Remove every occurrence of the admin key (and its hex part) from ``text``."""
    if not secret:
        return text
    text = text.replace(secret, replacement)
    _, sep, tail = secret.rpartition("|")
    if sep and len(tail) >= 12:
        text = text.replace(tail, replacement)
    # A cut-off copy (a truncated cell, a wrapped line) must not show half of it either.
    half = len(secret) // 2
    for part in (secret[:half], secret[half:]):
        if len(part) >= 12:
            text = text.replace(part, replacement)
    return text


def scrub_url(url: str) -> str:
    """A URL fit to show: userinfo dropped, query/fragment values replaced, controls removed."""
    s = clean_line(url)
    try:
        parts = urlsplit(s)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<invalid URL>" if ("?" in s or "@" in s) else s
    if not parts.scheme or not parts.netloc:
        return "<redacted>" if ("?" in s or "@" in s or "|" in s) else s
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    # A key is "name|hex": a path segment holding one is not shown either.
    path = "/…" if "|" in parts.path or "%7c" in parts.path.lower() else parts.path
    query = "&".join(f"{_query_name(kv)}=…" for kv in parts.query.split("&") if kv)
    return urlunsplit((parts.scheme, netloc, path, query, "…" if parts.fragment else ""))


def _query_name(pair: str) -> str:
    name = pair.split("=", 1)[0]
    return name if len(name) <= 32 and "|" not in name else "…"


def show_url(url: str | None, secret: object = None) -> str:
    """`scrub_url`, then any copy of the admin key removed: what every pane and command shows."""
    if not url:
        return ""
    shown = scrub_url(url)
    key = _reveal(secret)
    return scrub_secret(shown, key) if key else shown


def _reveal(secret: object) -> str | None:
    if secret is None or isinstance(secret, str):
        return secret or None
    reveal = getattr(secret, "reveal", None)
    return str(reveal()) if callable(reveal) else None


class SafeWriter(io.TextIOBase):
    """A text stream for human-readable output: every write is `clean`ed (and the admin key, if
    given, scrubbed) before it reaches the terminal. Headless commands wrap stdout/stderr in it
    for everything that is not JSON, so no code path can forget to sanitize."""

    def __init__(self, stream: TextIO, secret: object = None) -> None:
        self._stream = stream
        self._key = _reveal(secret)

    @property
    def raw(self) -> TextIO:
        return self._stream

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        text = clean(s)
        if self._key:
            text = scrub_secret(text, self._key)
        self._stream.write(text)
        return len(s)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()


def safe_stream(stream: TextIO, secret: object = None) -> TextIO:
    """`stream` behind a :class:`SafeWriter`, typed as the `TextIO` callers expect."""
    return cast(TextIO, SafeWriter(stream, secret))
