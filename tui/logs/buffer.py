"""The bounded, time-ordered store of rows. Never silent loss: rows pushed out of the ring are
counted in ``dropped``, rows a stream reports it could not deliver are counted in ``lost``."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from operator import attrgetter

from tui.logs.record import Record

DEFAULT_CAPACITY = 50_000


_TIME = attrgetter("time")


class RingBuffer:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = max(1, capacity)
        self.rows: list[Record] = []
        self.dropped = 0
        self.lost = 0
        self.total = 0  # every row ever added

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, batch: Iterable[Record]) -> tuple[float | None, list[Record]]:
        """Add rows merged by time. Returns (the time from which the buffer's order changed, or
        None when every row went to the end; the rows evicted from the front) so a view can
        follow without rescanning everything."""
        return self.add_sorted(sorted(batch, key=_TIME))

    def add_sorted(self, new: list[Record]) -> tuple[float | None, list[Record]]:
        """`add` for rows already in time order."""
        if not new:
            return None, []
        rows = self.rows
        self.total += len(new)
        cut_time: float | None = None
        if not rows or rows[-1].time <= new[0].time:
            rows.extend(new)
        else:
            # Late rows (a stream that lags, another source's clock): merge the tail once.
            # Timsort merges the two sorted runs in linear time.
            cut_time = new[0].time
            cut = bisect.bisect_left(rows, cut_time, key=_TIME)
            rows[cut:] = sorted(rows[cut:] + new, key=_TIME)
        evicted: list[Record] = []
        excess = len(rows) - self.capacity
        if excess > 0:
            evicted = rows[:excess]
            del rows[:excess]
            self.dropped += excess
        return cut_time, evicted

    def clear(self) -> None:
        self.rows.clear()
