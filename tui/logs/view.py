"""What the pane shows, without Textual: the ring buffer seen through a filter, kept in step as
rows arrive (no rescans), with follow/pause, the count of rows that arrived while paused and
match navigation (`n`/`N`)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from operator import attrgetter

from tui.logs.buffer import DEFAULT_CAPACITY, RingBuffer
from tui.logs.filter import LogFilter
from tui.logs.record import Record

_TIME = attrgetter("time")


class LogView:
    def __init__(self, capacity: int = DEFAULT_CAPACITY, log_filter: LogFilter | None = None):
        self.buffer = RingBuffer(capacity)
        self.filter = log_filter or LogFilter()
        self.matcher = self.filter.compile()
        self.visible: list[Record] = self.buffer.rows if self.matcher.everything else []
        self.follow = True
        self.arrived = 0  # rows that joined the view while following was paused
        self.version = 0  # bumps on every change the screen must repaint
        self.layout_version = 0  # bumps when rows were inserted or removed (not appended)
        self._match_count: tuple[int, int] | None = None  # (version, count)

    # ------------------------------------------------------------ rows in

    def add(self, batch: Iterable[Record]) -> int:
        """Merge rows in; returns how many rows left the front of the view (a paused screen
        moves its scroll position up by that many to keep showing the same rows).

        Without a filter (the common case, and the one a flood hits) the view *is* the
        buffer's list: nothing per row beyond the sort. ``Record.shown`` is kept only while a
        filter is set (`set_filter` recomputes it for every row)."""
        match = self.matcher
        rows = sorted(batch, key=_TIME)
        if match.everything:
            cut_time, evicted = self.buffer.add_sorted(rows)  # self.visible follows
            if cut_time is not None or evicted:
                self.layout_version += 1
            if not self.follow:
                self.arrived += len(rows)
            self.version += 1
            return len(evicted)
        new = 0
        for r in rows:
            r.shown = shown = match(r)
            new += shown
        cut_time, evicted = self.buffer.add_sorted(rows)
        visible = self.visible
        if cut_time is None:
            visible.extend(r for r in rows if r.shown)
        gone = 0
        for r in evicted:
            if r.shown:
                r.shown = False
                gone += 1
        if cut_time is not None:
            buf = self.buffer.rows
            if buf and buf[0].time > cut_time:  # the merge reached the evicted rows: rebuild
                self.visible = visible = [r for r in buf if r.shown]
            else:
                if gone:
                    del visible[:gone]
                vcut = bisect.bisect_left(visible, cut_time, key=_TIME)
                start = bisect.bisect_left(buf, cut_time, key=_TIME)
                visible[vcut:] = [r for r in buf[start:] if r.shown]
            self.layout_version += 1
        elif gone:
            del visible[:gone]
            self.layout_version += 1
        if not self.follow:
            self.arrived += new
        self.version += 1
        return gone

    @property
    def dropped(self) -> int:
        return self.buffer.dropped

    @property
    def lost(self) -> int:
        return self.buffer.lost

    def count_lost(self, n: int) -> None:
        if n > 0:
            self.buffer.lost += n
            self.version += 1

    # ------------------------------------------------------------ filter

    def set_filter(self, log_filter: LogFilter) -> None:
        self.filter = log_filter
        self.matcher = match = log_filter.compile()
        if match.everything:
            self.visible = self.buffer.rows  # the same list: it follows every change
        else:
            self.visible = []
            for r in self.buffer.rows:
                r.shown = match(r)
                if r.shown:
                    self.visible.append(r)
        self.version += 1
        self.layout_version += 1

    def clear(self) -> None:
        """Clear the view (the buffer too: a fresh start; the counters stay honest)."""
        self.buffer.clear()
        self.visible = self.buffer.rows if self.matcher.everything else []
        self.arrived = 0
        self.version += 1
        self.layout_version += 1

    # ------------------------------------------------------------ follow

    def pause(self) -> None:
        if self.follow:
            self.follow = False
            self.arrived = 0

    def resume(self) -> None:
        self.follow = True
        self.arrived = 0
        self.version += 1

    # ------------------------------------------------------------ matches

    def is_match(self, r: Record) -> bool:
        return self.matcher.pattern is not None and self.matcher.query(r)

    def match_count(self) -> int:
        if self.matcher.pattern is None:
            return 0
        if self._match_count is None or self._match_count[0] != self.version:
            if self.filter.narrow:
                n = len(self.visible)
            else:
                n = sum(1 for r in self.visible if self.matcher.query(r))
            self._match_count = (self.version, n)
        return self._match_count[1]

    def next_match(self, index: int, forward: bool = True) -> int | None:
        """The index of the next (or previous) matching row after ``index``, wrapping around."""
        n = len(self.visible)
        if not n or self.matcher.pattern is None:
            return None
        step = 1 if forward else -1
        i = index
        for _ in range(n):
            i = (i + step) % n
            if self.matcher.query(self.visible[i]):
                return i
        return None

    def match_ordinal(self, index: int) -> int:
        """1-based position of the row at ``index`` among the matches (for "3/120")."""
        if self.filter.narrow:
            return index + 1
        return sum(1 for r in self.visible[: index + 1] if self.matcher.query(r))
