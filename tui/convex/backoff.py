"""Exponential backoff with jitter, shared by the log stream and the WebSocket."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """``initial·2^n`` capped at ``maximum``, ±``jitter``/2 of that (like the JS client's).

    Jitter spreads the reconnects of many consoles after a backend restart.
    """

    initial: float = 0.25
    maximum: float = 8.0
    jitter: float = 0.5
    retries: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        base = float(min(self.initial * (2.0**self.retries), self.maximum))
        self.retries += 1
        spread: float = self._rng.random() - 0.5
        return max(0.0, base + base * self.jitter * spread)

    def reset(self) -> None:
        self.retries = 0
