"""`convex-tui logs` with the Logs pane's filter model: the same rows (one per log line, one
outcome per execution, container lines), the same filter (regex, `!`, facets), sanitized text
lines or exact JSON lines."""

from __future__ import annotations

import asyncio
import json
from typing import Any, TextIO

from tui.docker.models import Selector
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


async def _container_windows(
    names: frozenset[str], tail: int, err: TextIO, selector: Selector
) -> list[Record]:
    """The last ``tail`` lines of each container, without following (bounded)."""
    from tui.logs.containers import ContainerStream, list_containers
    from tui.logs.engine import EngineError

    rows: list[Record] = []
    try:
        chosen = sorted(names)
        if names == {"all"}:
            chosen = await asyncio.to_thread(list_containers, None, selector)  # bounded: 10 s
        for name in chosen:
            stream = ContainerStream(name, rows.extend, tail=tail)
            try:
                await asyncio.wait_for(asyncio.to_thread(stream.once), 30)
            finally:
                stream.stop()
    except (OSError, TimeoutError, EngineError) as exc:
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


async def run_twin(
    args: Any, client: Any, out: TextIO, err: TextIO, selector: Selector | None = None
) -> None:
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
            tail = int(getattr(args, "tail", 100))
            rows += await _container_windows(containers, tail, err, selector or Selector())
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
            names = await asyncio.to_thread(followers.list, selector or Selector())
            if not names:
                print("no containers of the deployment found", file=err)
        for name in names:
            followers.start(name)

    async def functions() -> None:
        from tui.logs.functions import overflow_marker

        overflows = 0
        while True:
            entries = await stream.fetch()
            rows = [r for e in entries for r in records_from_entry(e)]
            if stream.overflows != overflows:
                overflows = stream.overflows
                rows.insert(
                    0, overflow_marker(stream.overflow_size, rows[0].time if rows else None)
                )
            await inbox.put(rows)

    task = asyncio.create_task(functions())
    try:
        while True:
            printer(await inbox.get())
    finally:
        task.cancel()
        if followers is not None:
            followers.close()


def _selector(settings: Any) -> Selector:
    """The deployment's containers, by the Status pane's rule."""
    project_dir = getattr(settings, "project_dir", None)
    return Selector(
        project=getattr(settings, "compose_project", None),
        project_dir=str(project_dir) if project_dir else None,
    )


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
                await run_twin(args, client, out, err, _selector(settings))
            except ConvexClientError as exc:
                print(f"error: {exc.message}", file=err)
                return EXIT_USAGE
        return EXIT_OK

    # Ctrl-C is how `logs --follow` ends: a normal exit.
    return _entry(main, args, settings, out, err, on_interrupt=EXIT_OK)
