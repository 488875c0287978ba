"""The hand-off between stream readers (any thread) and the pane's repaint tick: readers put
batches, the tick takes everything at once. Bounded: when the pane falls behind, the oldest
waiting rows are dropped and counted as lost (shown on screen), never silently."""

from __future__ import annotations

import threading
from collections import deque

from tui.logs.record import Record

DEFAULT_LIMIT = 200_000


class Inbox:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._batches: deque[list[Record]] = deque()
        self._count = 0
        self._lost = 0
        self._lock = threading.Lock()

    def put(self, rows: list[Record]) -> bool:
        """Queue rows; True when the inbox was empty (a sparse source: worth a prompt repaint)."""
        if not rows:
            return False
        with self._lock:
            was_empty = not self._batches
            self._batches.append(rows)
            self._count += len(rows)
            while self._count > self.limit and len(self._batches) > 1:
                old = self._batches.popleft()
                self._count -= len(old)
                self._lost += len(old)
        return was_empty

    def take(self) -> tuple[list[Record], int]:
        """Every waiting row, and how many were lost since the last take."""
        with self._lock:
            batches, self._batches = self._batches, deque()
            lost, self._lost, self._count = self._lost, 0, 0
        rows: list[Record] = []
        for b in batches:
            rows.extend(b)
        return rows, lost

    def __len__(self) -> int:
        return self._count
