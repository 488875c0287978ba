"""Background warm-up yields to the keys (a base of `ConsoleApp`, issue 19).

The Convex client's import (httpx, websockets) and the panes' reading hold the GIL in 5 ms
slices beside the UI thread: a pane key pressed meanwhile took up to twice as long to paint.
Such work asks `quiet_in` / `keys_quiet` first and goes once the keys have paused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual import events
from textual.app import App

# Background warm-up waits for the keys to pause this long.
KEY_QUIET_S = 0.15


class KeysFirst(App[int]):
    _last_key = 0.0  # time.monotonic() of the last key pressed
    _warm_by = 0.0  # deferred work goes by then whatever the keys do

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._last_key = time.monotonic()
        await super().on_event(event)

    def quiet_in(self) -> float:
        """Seconds until the keys count as paused (0 or less: they are)."""
        return KEY_QUIET_S - (time.monotonic() - self._last_key)

    def keys_defer(self, retry: Callable[[], object], bound: float) -> bool:
        """True when keys are coming: ``retry`` is then called once they pause, and ``bound``
        seconds after the first deferral at the latest."""
        now = time.monotonic()
        if not self._warm_by:
            self._warm_by = now + bound
        wait = self.quiet_in()
        if wait > 0 and now < self._warm_by:
            self.set_timer(min(wait, self._warm_by - now), retry)
            return True
        return False

    async def keys_quiet(self, bound: float) -> None:
        """Until no key has come for KEY_QUIET_S, or ``bound`` seconds at most."""
        until = time.monotonic() + bound
        while (wait := self.quiet_in()) > 0:
            left = until - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(wait, left))
