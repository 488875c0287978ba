"""The bounded, time-ordered store of rows. Never silent loss: rows pushed out of the ring are
counted in ``dropped``, rows a stream reports it could not deliver are counted in ``lost``."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from tui.logs.record import Record

DEFAULT_CAPACITY = 50_000


def _time(r: Record) -> float:
    return r.time


class RingBuffer:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = max(1, capacity)
        self.rows: list[Record] = []
        self.dropped = 0
        self.lost = 0
        self.total = 0  # every row ever added

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, batch: Iterable[Record]) -> tuple[list[Record], list[Record], list[Record]]:
        """Add rows merged by time. Returns (appended at the end in order, inserted earlier,
        evicted from the front) so a view can follow without rescanning everything."""
        rows = self.rows
        appended: list[Record] = []
        inserted: list[Record] = []
        for r in sorted(batch, key=_time):
            self.total += 1
            if not rows or rows[-1].time <= r.time:
                rows.append(r)
                appended.append(r)
            else:  # a late row (another source's clock, a slower stream): keep time order
                rows.insert(bisect.bisect_right(rows, r.time, key=_time), r)
                inserted.append(r)
        evicted: list[Record] = []
        excess = len(rows) - self.capacity
        if excess > 0:
            evicted = rows[:excess]
            del rows[:excess]
            self.dropped += excess
        return appended, inserted, evicted

    def clear(self) -> None:
        self.rows.clear()
