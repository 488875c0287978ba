"""Where the window's documents sit in the grid, and their cells with column widths.

No Textual here: the grid widget asks for rows by position, the pane maps positions to the
window's documents with `place`, and `GridCells` keeps each document's cells (computed once per
document version) and column widths that only ever grow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len

from tui.data.cells import cell_text, columns, field_value
from tui.data.window import PageWindow

CELL_WIDTH = 40
Doc = dict[str, Any]
Cells = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Placement:
    """The window's rows are grid rows ``first .. first + count`` of ``total``; ``exact`` says
    ``total`` is the result's true size (else it is what is known so far, plus one "…")."""

    first: int
    count: int
    total: int
    exact: bool
    reversed: bool

    def window_row(self, row: int) -> int | None:
        """The window row (index into ``PageWindow.rows()``) shown at grid row ``row``."""
        k = row - self.first
        if not 0 <= k < self.count:
            return None
        return self.count - 1 - k if self.reversed else k


def place(window: PageWindow, *, reversed_: bool, known_total: int | None) -> Placement:
    """Grid positions of a window. Unfiltered, the count is known and rows sit at their true
    position; a filtered result counts what has been seen (exact once it is complete).
    A reversed window (after "jump to the end") fills the grid from the bottom."""
    n = len(window.rows())
    before = window.offset  # rows before the window, in the window's own order
    seen_end = before + n
    total = known_total if known_total is not None else None
    if total is None and window.complete:
        total = window.seen_rows
    exact = total is not None
    if total is None or total < seen_end + (0 if window.at_end else 1):
        # Unknown or stale (rows were added): what is known, and one more row while not done.
        total = max(total or 0, seen_end + (0 if window.at_end else 1))
    if not reversed_:
        return Placement(before, n, total, exact, False)
    return Placement(total - seen_end, n, total, exact, True)


def position_text(p: Placement, cursor: int) -> str:
    """``row 1,234 of 1,000,000`` (or ``of ≥300`` while a filtered result is still counted;
    from the end, ``12 from the end``)."""
    if p.reversed and not p.exact:
        return f"row {p.total - cursor:,} from the end"
    of = f"{p.total:,}" if p.exact else f"≥{p.first + p.count:,}"
    return f"row {cursor + 1:,} of {of}"


class GridCells:
    """Cells of the documents in the window, and the grid's columns with their widths.

    Columns: the schema's order, then the inferred shape's, then fields seen in the loaded
    documents (a later page with a new field adds a column). A document's cells are computed
    when its row is first painted (rows scrolled past unseen cost nothing), once per document
    version. Widths start from the first page (`measure`) and grow when a row painted later is
    wider (up to ``CELL_WIDTH``; ``widened`` tells the owner to re-lay the columns); they never
    shrink while the table is open, so columns do not jump as pages come and go."""

    def __init__(self, declared: Sequence[str] = (), inferred: Sequence[str] = ()) -> None:
        self.declared, self.inferred = tuple(declared), tuple(inferred)
        self.columns: list[str] = columns(self.declared, self.inferred)
        self.widths: list[int] = [min(cell_len(c), CELL_WIDTH) for c in self.columns]
        self.widened = False
        self._docs: dict[str, Doc] = {}
        self._cells: dict[str, tuple[Doc, Cells]] = {}

    def add(self, docs: Iterable[Doc]) -> bool:
        """Take the window's documents; True when a new field added a column."""
        added = False
        known = set(self.columns)
        for doc in docs:
            self._docs[str(doc["_id"])] = doc
            for name in doc:
                if name not in known:
                    known.add(name)
                    self.columns.append(name)
                    self.widths.append(min(cell_len(name), CELL_WIDTH))
                    added = True
        if added:
            self._cells.clear()  # every row gets a cell for the new column
        return added

    def measure(self, docs: Iterable[Doc]) -> bool:
        """Compute these documents' cells now (the first page); True when widths grew."""
        for doc in docs:
            self.cells(str(doc["_id"]))
        widened, self.widened = self.widened, False
        return widened

    def cells(self, doc_id: str) -> Cells | None:
        doc = self._docs.get(doc_id)
        if doc is None:
            return None
        cached = self._cells.get(doc_id)
        if cached is not None and cached[0] is doc:
            return cached[1]
        row = tuple(
            cell_text(field_value(doc, c), c, CELL_WIDTH, compact_ids=True) for c in self.columns
        )
        self._cells[doc_id] = (doc, row)
        widths = self.widths
        for i, (text, _) in enumerate(row):
            width = cell_len(text)
            if width > widths[i]:
                widths[i] = min(width, CELL_WIDTH)
                self.widened = True
        return row

    def doc(self, doc_id: str) -> Doc | None:
        return self._docs.get(doc_id)

    def keep_only(self, ids: Iterable[str]) -> None:
        """Forget documents that left the window (memory stays flat on any table size)."""
        keep = set(ids)
        for doc_id in [d for d in self._docs if d not in keep]:
            del self._docs[doc_id]
            self._cells.pop(doc_id, None)


def changed_ids(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> set[str]:
    """Ids of documents that are new or whose contents differ between two versions of a page."""
    before = {str(d["_id"]): d for d in old}
    return {str(d["_id"]) for d in new if before.get(str(d["_id"])) != d}
