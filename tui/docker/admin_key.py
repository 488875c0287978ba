"""Write a freshly generated admin key into ``.env.convex.local`` (pure file logic).

The file is rewritten atomically (temp file + rename) with mode 600, the previous version is kept
as ``.env.convex.local.bak-<UTC timestamp>`` (mode 600, the newest three kept), and every other line (comments, order, other
variables) is left exactly as it was.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tui.config.secret import Secret

ADMIN_KEY_VAR = "CONVEX_SELF_HOSTED_ADMIN_KEY"
KEEP_BACKUPS = 3  # old keys are secrets too: a few copies to roll back to, not a pile
_ASSIGN_RE = re.compile(r"^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=[ \t]*)")


@dataclass(frozen=True, slots=True)
class EnvWriteResult:
    path: Path
    backup: Path | None  # None when the file did not exist before
    replaced: bool  # True when an existing assignment was updated


def write_admin_key_to_env_file(
    path: str | os.PathLike[str], key: Secret | str, *, now: datetime | None = None
) -> EnvWriteResult:
    """Set ``CONVEX_SELF_HOSTED_ADMIN_KEY`` in ``path`` (created if missing).

    Every existing assignment of the variable is updated in place (``export`` prefix and quote
    style kept); if there is none, one is appended, single-quoted.
    """
    target = Path(path)
    value = key.reveal() if isinstance(key, Secret) else key
    if not value or any(c in value for c in "\n\r\"'\\ "):
        raise ValueError("refusing to write an empty or multi-word admin key")
    old_text = target.read_text(encoding="utf-8") if target.exists() else None
    lines = (old_text or "").splitlines(keepends=True)
    replaced = False
    for i, line in enumerate(lines):
        m = _ASSIGN_RE.match(line)
        if m and m.group(2) == ADMIN_KEY_VAR:
            ending = "\n" if line.endswith("\n") else ""
            rest = line[m.end() :]
            quote = rest[0] if rest[:1] in ("'", '"') else ""
            lines[i] = f"{m.group(1)}{ADMIN_KEY_VAR}{m.group(3)}{quote}{value}{quote}{ending}"
            replaced = True
    if not replaced:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        # Quoted: the key contains "|", which would be a pipe if the file is ever `source`d.
        lines.append(f"{ADMIN_KEY_VAR}='{value}'\n")

    backup = None
    if old_text is not None:
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
        backup = target.with_name(f"{target.name}.bak-{stamp}")
        # Created 600 from the first byte: the backup holds the old key.
        fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(target.read_bytes())
    _atomic_write(target, "".join(lines))
    _prune_backups(target)
    return EnvWriteResult(target, backup, replaced)


def backups_of(target: Path) -> list[Path]:
    """The ``.bak-<UTC stamp>`` copies of ``target``, oldest first (the stamps sort)."""
    return sorted(target.parent.glob(f"{glob.escape(target.name)}.bak-*"))


def _prune_backups(target: Path) -> None:
    for old in backups_of(target)[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)


def _atomic_write(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
