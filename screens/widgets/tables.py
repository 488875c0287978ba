"""A DataTable whose measured column widths reach the screen at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from textual.widgets import DataTable
from textual.widgets._data_table import RowKey

CellType = TypeVar("CellType")


class FittingTable(DataTable[CellType]):
    """Textual's DataTable measures auto-width columns on its next idle (`_update_dimensions`),
    and caches rendered rows by an update count that this measurement does not bump: a frame
    drawn between adding (or updating) cells and that idle keeps the old, label-wide columns
    ("1.…", "48.0 …") until something else changes. The console's first frame is such a frame
    now that the probe and Docker answer with it (issue 19). Bumping the count after each
    measurement makes the next frame draw the measured widths (Textual is pinned: 8.2.8). Every
    pane's tables use it: the Env pane, which clears and refills its tables with the same row
    keys, kept "missing on the deploym…" cut after a paint landed in that gap under load."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._update_count += 1
