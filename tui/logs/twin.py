"""`convex-tui logs` with the Logs pane's filter model: the same rows (one per log line, one
outcome per execution, container lines), the same filter (regex, `!`, facets), sanitized text
lines or exact JSON lines."""

from __future__ import annotations

import asyncio
import json
from typing import Any, TextIO

import httpx

from tui.logs.export import log_line
from tui.logs.filter import LEVELS, LogFilter
from tui.logs.functions import records_from_entry
from tui.logs.record import Record


def _names(text: str | None) -> frozenset[str]:
    return frozenset(p.strip() for p in (text or "").split(",") if p.strip())


def twin_filter(args: Any) -> LogFilter:
    levels = frozenset(lv.upper() for lv in _names(getattr(args, "level", None)))
    levels = frozenset({"INFO" if lv == "LOG" else lv for lv in levels})
    unknown = levels - set(LEVELS)
    if unknown:
        raise ValueError(f"unknown level {', '.join(sorted(unknown))} (use {', '.join(LEVELS)})")
    return LogFilter(
        query=getattr(args, "filter", None) or "",
        status="failure" if getattr(args, "failures", False) else "",
        levels=levels,
        functions=_names(getattr(args, "function", None)),
        request_id=getattr(args, "request", None) or "",
    )


async def _container_windows(names: frozenset[str], tail: int, err: TextIO) -> list[Record]:
    """The last ``tail`` lines of each container, without following (bounded)."""
    from tui.logs.containers import ContainerStream, engine_client, list_containers

    rows: list[Record] = []
    async with engine_client() as engine:
        try:
            chosen = sorted(names)
            if names == {"all"}:
                chosen = await asyncio.wait_for(list_containers(engine, None), 10)
            for name in chosen:
                await asyncio.wait_for(
                    ContainerStream(name, rows.extend, client=engine, tail=tail).once(), 30
                )
        except (OSError, TimeoutError, httpx.HTTPError) as exc:
            print(f"error: container logs: {exc}", file=err)
    return rows


class Printer:
    def __init__(self, log_filter: LogFilter, out: TextIO, jsonl: bool) -> None:
        self.match = log_filter.compile()
        self.out = out
        self.jsonl = jsonl

    def __call__(self, rows: list[Record]) -> None:
        for r in sorted(rows, key=lambda r: r.time):
            if self.match(r):
                text = json.dumps(r.to_json(), ensure_ascii=False) if self.jsonl else log_line(r)
                print(text, file=self.out)
        self.out.flush()


async def run_twin(args: Any, client: Any, out: TextIO, err: TextIO) -> None:
    """Print the backlog (or the last N with --history), then follow with --follow."""
    from tui.logs.containers import Followers

    try:
        log_filter = twin_filter(args)
    except ValueError as exc:
        from tui.convex.commands import UsageError

        raise UsageError(str(exc)) from None
    printer = Printer(log_filter, out, bool(getattr(args, "jsonl", False)))
    history = getattr(args, "history", None)
    follow = bool(getattr(args, "follow", False))
    containers = _names(getattr(args, "containers", None))
    stream = client.stream_logs(history=int(history) if history is not None else True)
    first = await stream.snapshot()
    rows = [r for e in first for r in records_from_entry(e)]
    if not follow:
        if containers:
            rows += await _container_windows(containers, int(getattr(args, "tail", 100)), err)
        printer(rows)  # one merge by time of everything
        return
    printer(rows)
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[list[Record]] = asyncio.Queue()

    def emit(rows: list[Record]) -> None:  # from the container thread
        loop.call_soon_threadsafe(inbox.put_nowait, rows)

    followers = None
    if containers:
        followers = Followers(emit, tail=int(getattr(args, "tail", 100)))
        names = sorted(containers)
        if containers == {"all"}:
            names = await asyncio.to_thread(followers.list, None)
            if not names:
                print("no containers of the deployment found", file=err)
        for name in names:
            followers.start(name)

    async def functions() -> None:
        while True:
            entries = await stream.fetch()
            await inbox.put([r for e in entries for r in records_from_entry(e)])

    task = asyncio.create_task(functions())
    try:
        while True:
            printer(await inbox.get())
    finally:
        task.cancel()
        if followers is not None:
            followers.close()


def twin_main(
    args: Any, settings: Any, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """`convex-tui logs` with the pane's flags (--filter, --level, --containers, …)."""
    from tui.convex.commands import EXIT_OK, _entry

    async def main(args: Any, settings: Any, out: TextIO, err: TextIO) -> int:
        from tui.convex.commands import EXIT_USAGE, _client
        from tui.convex.errors import ConvexClientError

        async with _client(settings) as client:
            try:
                await run_twin(args, client, out, err)
            except ConvexClientError as exc:
                print(f"error: {exc.message}", file=err)
                return EXIT_USAGE
        return EXIT_OK

    # Ctrl-C is how `logs --follow` ends: a normal exit.
    return _entry(main, args, settings, out, err, on_interrupt=EXIT_OK)
