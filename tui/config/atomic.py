"""Replace a small file in one step, safely when two writers race.

Each write goes to a temporary file of its own beside the target and is renamed over it, so a
reader sees the old file or the new one, never half of one. A fixed temporary name was shared
by concurrent writers: one renamed it away under the other, whose rename then failed (typing a
Logs filter saved it once per key, on worker threads: "No such file or directory").
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str, *, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
