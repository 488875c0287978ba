"""The function log stream on a thread of its own (its own event loop and HTTP client).

On the UI loop, the next long poll went out only after the previous answer had been handed
to the view and painted; an execution finishing in between (a mutation's scheduled follow-up,
a few milliseconds later) came back one poll late. Here the next poll is sent while the UI is
still painting, as `npx convex logs` does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from tui.config.secret import Secret
from tui.logs.record import FUNCTIONS, Record, marker

Emit = Callable[[list[Record]], object]


class FunctionLogs:
    def __init__(
        self,
        url: str,
        admin_key: Secret | None,
        emit: Emit,
        *,
        on_error: Callable[[BaseException], object] | None = None,
        history: bool | int = True,
    ) -> None:
        self._url, self._key = url, admin_key
        self._emit, self._on_error = emit, on_error
        self._history = history
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="function-logs", daemon=True)

    def start(self) -> FunctionLogs:
        self._thread.start()
        return self

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        from tui.convex.client import ConvexClient
        from tui.logs.sources import follow_functions

        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._ready.set()
        try:
            async with ConvexClient(self._url, self._key, client_name="convex-tui-logs") as client:
                await follow_functions(client, self._emit, history=self._history)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 - a fatal answer (key refused…): said, not raised
            self._emit([marker(FUNCTIONS, f"function logs stopped: {exc}", trouble=True)])
            if self._on_error is not None:
                self._on_error(exc)

    def stop(self, timeout: float = 2.0) -> None:
        """Cancel the stream (its client closes on the way out); bounded."""
        if not self._thread.is_alive():
            return
        self._ready.wait(timeout)
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                return  # the loop already ended
        self._thread.join(timeout)
