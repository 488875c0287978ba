"""A bounded window of pages over a cursor-paged table: flat memory on any table size.

Cursors are opaque and only go forward, so the window remembers the cursor that starts every
page it has seen (a short string per page) and keeps the documents of at most ``max_pages``
consecutive pages. Scrolling on fetches the next page and drops the farthest one; scrolling
back re-fetches a dropped page by its cursor. "Jump to the end" is a new window in the opposite
order (the first page of the reversed order is the table's end), so it costs one request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from tui.convex.models import DocumentPage

Fetch = Callable[[str | None], Awaitable[DocumentPage]]
Doc = dict[str, Any]
MAX_EMPTY_PAGES = 50  # a selective filter can return empty pages: keep going, but not forever


class PageWindow:
    def __init__(self, fetch: Fetch, *, max_pages: int = 8) -> None:
        self._fetch = fetch
        self.max_pages = max(2, max_pages)
        self.cursors: list[str | None] = [None]  # cursors[i] fetches page i
        self.sizes: list[int] = []  # rows in page i, once fetched
        self.pages: dict[int, tuple[Doc, ...]] = {}
        self.last_page: int | None = None  # index of the page that said isDone
        self.errors: tuple[str, ...] = ()
        self.fetches = 0
        self._rows: list[Doc] | None = None

    # ------------------------------------------------------------ state

    @property
    def first(self) -> int:
        return min(self.pages) if self.pages else 0

    @property
    def last(self) -> int:
        return max(self.pages) if self.pages else -1

    @property
    def loaded(self) -> bool:
        return bool(self.pages)

    @property
    def at_start(self) -> bool:
        return self.first == 0

    @property
    def at_end(self) -> bool:
        return self.last_page is not None and self.last == self.last_page

    @property
    def offset(self) -> int:
        """Rows before the window (in this window's order)."""
        return sum(self.sizes[: self.first])

    @property
    def seen_rows(self) -> int:
        """Rows in every page fetched so far (the whole result once ``complete``)."""
        return sum(self.sizes)

    @property
    def complete(self) -> bool:
        return self.last_page is not None

    def rows(self) -> list[Doc]:
        """The window's documents in its order (rebuilt only after a change)."""
        if self._rows is None:
            out: list[Doc] = []
            for i in sorted(self.pages):
                out.extend(self.pages[i])
            self._rows = out
        return self._rows

    def page_bounds(self, index: int) -> tuple[str | None, str | None]:
        """The cursors a page starts at and ends at (None: the result's end); a live page is
        subscribed with both, so it grows or shrinks in place instead of shifting."""
        end = self.cursors[index + 1] if index + 1 < len(self.cursors) else None
        return self.cursors[index], end

    def page_of_row(self, row: int) -> int | None:
        """The page holding window row ``row`` (0 = the window's first row)."""
        start = 0
        for i in sorted(self.pages):
            size = len(self.pages[i])
            if row < start + size:
                return i
            start += size
        return None

    # ------------------------------------------------------------ loading

    async def load_first(self) -> None:
        self.cursors, self.sizes, self.pages, self.last_page = [None], [], {}, None
        self._rows = None
        await self._load(0)
        await self._skip_empty(forward=True)

    async def forward(self) -> bool:
        """Fetch the page after the window; False when the window already ends the result."""
        if self.at_end or self.last + 1 >= len(self.cursors):
            return False
        await self._load(self.last + 1)
        self._evict(keep_high=True)
        await self._skip_empty(forward=True)
        return True

    async def back(self) -> bool:
        """Re-fetch the page before the window; False at the start."""
        if self.first == 0:
            return False
        await self._load(self.first - 1)
        self._evict(keep_high=False)
        return True

    async def reload(self) -> None:
        """Re-fetch the pages in the window (after a write): the view reflects the server."""
        if not self.pages:
            await self.load_first()
            return
        pages = sorted(self.pages)
        if self.last_page is not None and self.last_page >= pages[0]:
            self.last_page = None  # rows may have been added: the old end is not known
        self.pages, self._rows = {}, None
        for i in pages:
            if i >= len(self.cursors):
                break
            await self._load(i)
            if self.last_page is not None:
                break
        await self._skip_empty(forward=True)

    def replace_page(self, index: int, page: DocumentPage) -> None:
        """A live update of a loaded page (same cursor, new contents)."""
        if index in self.pages:
            self._store(index, page)

    async def _load(self, index: int) -> None:
        page = await self._fetch(self.cursors[index])
        self.fetches += 1
        self._store(index, page)

    def _store(self, index: int, page: DocumentPage) -> None:
        self._rows = None
        self.pages[index] = page.docs
        if index < len(self.sizes):
            self.sizes[index] = len(page.docs)
        else:
            self.sizes.append(len(page.docs))
        self.errors = page.errors
        if page.is_done or page.cursor is None:
            self.last_page = index
            self._truncate_after(index)
            return
        if self.last_page == index:
            self.last_page = None  # the last page grew past its size: more follows now
        if index + 1 >= len(self.cursors):
            self.cursors.append(page.cursor)
        elif self.cursors[index + 1] != page.cursor:
            # The data moved under a re-fetched page: what follows starts over from here.
            self._truncate_after(index)
            self.cursors.append(page.cursor)

    def _truncate_after(self, index: int) -> None:
        del self.cursors[index + 1 :]
        del self.sizes[index + 1 :]
        for i in [i for i in self.pages if i > index]:
            del self.pages[i]

    async def _skip_empty(self, *, forward: bool) -> None:
        tries = 0
        while (
            forward
            and not self.pages.get(self.last)
            and not self.at_end
            and tries < MAX_EMPTY_PAGES
        ):
            await self._load(self.last + 1)
            self._evict(keep_high=True)
            tries += 1

    def _evict(self, *, keep_high: bool) -> None:
        while len(self.pages) > self.max_pages:
            self._rows = None
            del self.pages[self.first if keep_high else self.last]


async def iter_pages(fetch: Fetch, limit: int | None = None) -> AsyncIterator[tuple[Doc, ...]]:
    """Every page from the start, holding none of them (export, the headless twin)."""
    cursor: str | None = None
    seen = 0
    while True:
        page = await fetch(cursor)
        docs = page.docs
        if limit is not None and seen + len(docs) > limit:
            docs = docs[: limit - seen]
        seen += len(docs)
        if page.errors and not docs:
            raise FilterRejected(page.errors)
        if docs:
            yield docs
        if page.is_done or page.cursor is None or (limit is not None and seen >= limit):
            return
        cursor = page.cursor


class FilterRejected(Exception):
    """The server answered a filter with validation errors instead of documents."""

    def __init__(self, errors: tuple[str, ...]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))
