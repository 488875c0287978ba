"""Run a blocking call on its own thread and collect its result later: the few concurrent
requests of `convex-tui status` without concurrent.futures (which loads logging, ~5 ms: a
tenth of a bare request, issue 19). The console's prober uses a real thread pool."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """``Background(fn, *args).result()``: fn's return value, or its exception raised here."""

    def __init__(self, fn: Callable[..., T], *args: Any) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[..., T], args: tuple[Any, ...]) -> None:
        try:
            self._value = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller of result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


class ThreadPerCall:
    """The ``submit`` of an Executor, one thread per call (for a handful of calls)."""

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Background[T]:
        return Background(fn, *args)
