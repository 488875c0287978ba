"""Messages the Data pane's workers post to it (the screen's handlers own every state change)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui.convex.models import DocumentPage, IndexInfo
    from tui.data.source import DeploymentMeta, TableEntry

PAGE_SIZE = 100  # rows of a table's first page (it paints at once); only rows in view paint
AHEAD_SIZE = 500  # rows of every later page: few round trips while a key is held
MAX_PAGES = 7  # pages held: at most 3,500 documents, whatever the table's size
# Rows kept loaded beyond the view: at 3,000 rows/s a page may take 0.5 s on a loaded machine
# and the held key still finds its rows (bench/data_browser.py counts the keys that did not).
PREFETCH = 3 * AHEAD_SIZE


def page_size(cursor: str | None) -> int:
    """A page's size follows from its start, so a page re-fetched by cursor (scrolling back,
    a live subscription) covers the same rows as the first time."""
    return PAGE_SIZE if cursor is None else AHEAD_SIZE


@dataclass
class TablesLoaded(Message):
    tables: list[TableEntry]
    meta: DeploymentMeta


@dataclass
class PageReady(Message):
    generation: int
    at: str = ""  # "top"/"bottom": put the cursor there (a new window); "" keeps it


@dataclass
class IndexesReady(Message):
    generation: int
    indexes: tuple[IndexInfo, ...]


@dataclass
class CountReady(Message):
    generation: int
    table: str
    count: int | None


@dataclass
class LivePage(Message):
    generation: int
    index: int  # the window's page index
    start: str | None  # the cursor it was subscribed from (ignored if the window moved on)
    page: DocumentPage
