"""Edit a text in the user's `$VISUAL`/`$EDITOR`: the console steps aside (Textual's suspend),
the editor gets a private temporary file, and the console comes back with what was saved.

One round trip for every pane that offers it (the Functions pane's arguments, the Data pane's
documents). Every failure is said in a toast and returns None: no terminal to hand over (the
console in a browser), an editor that cannot start, an editor that exits with an error.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App, SuspendNotSupported

from tui.safety.text import clean_line


def edit_externally(app: App[object], text: str, *, suffix: str, here: str) -> str | None:
    """The text as the editor saved it, or None (said in a toast); ``here`` names the way to
    edit inside the console instead, for a console with no terminal to hand over."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, name = tempfile.mkstemp(suffix=suffix, prefix="convex-tui-")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            with app.suspend():
                code = subprocess.call([*shlex.split(editor), str(path)])  # noqa: S603 - the user's editor
        except SuspendNotSupported:
            app.notify(
                f"$EDITOR needs the console in a terminal (not a browser): {here}.",
                severity="warning",
                markup=False,
            )
            return None
        except (OSError, ValueError) as exc:
            app.notify(f"Cannot start {clean_line(editor)}: {exc}", severity="error", markup=False)
            return None
        if code != 0:
            app.notify(f"{clean_line(editor)} exited with {code}: nothing changed.", markup=False)
            return None
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)
