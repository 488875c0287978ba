"""Safety below the screens: the one write guard and the one sanitizer for untrusted text.

Every client (Convex, Docker, scripts, deploys) and every headless twin consults `WriteGuard`;
every human-readable output of untrusted text goes through `tui.safety.text`.
"""

from tui.safety.guard import WriteGuard, WriteKind, WriteRefused, WriteRequest
from tui.safety.text import clean, clean_line, scrub_secret, scrub_url

__all__ = [
    "WriteGuard",
    "WriteKind",
    "WriteRefused",
    "WriteRequest",
    "clean",
    "clean_line",
    "scrub_secret",
    "scrub_url",
]
