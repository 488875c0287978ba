"""A pushed ``convex/crons.ts``: when each job runs next, and the timers that run them.

Schedules are the ones ``cronJobs().export()`` produces (``interval``, ``hourly``, ``daily``,
``weekly``, ``monthly``, ``cron``), all in UTC. A run goes through the deployment like a
scheduled function (identity: system, caller ``Cron``), so it shows in the log stream.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
# Cron fields: minute, hour, day of month, month, day of week (0 = Sunday).
RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
SEARCH_LIMIT = timedelta(days=366 * 5)
RunJob = Callable[[str, dict[str, Any]], Awaitable[Any]]


class BadSchedule(ValueError):
    """A schedule the sandbox cannot interpret."""


def _field(text: str, low: int, high: int) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = int(base)
            end = high if step_text else start
        if step < 1 or start < low or end > high or start > end:
            raise BadSchedule(f"cron field {text!r} is out of range {low}-{high}")
        out.update(range(start, end + 1, step))
    return out


def parse_cron(expr: str) -> tuple[set[int], ...]:
    parts = expr.split()
    if len(parts) != 5:
        raise BadSchedule(f"cron expression {expr!r} must have 5 fields")
    fields = [_field(p, lo, hi) for p, (lo, hi) in zip(parts, RANGES, strict=True)]
    fields[4] = {d % 7 for d in fields[4]}
    return tuple(fields)


def _cron_next(expr: str, after: datetime) -> datetime:
    minutes, hours, doms, months, dows = parse_cron(expr)
    parts = expr.split()
    dom_any, dow_any = parts[2] == "*", parts[4] == "*"
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = after + SEARCH_LIMIT
    while t <= limit:
        if t.month not in months:
            t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            continue
        dom_ok, dow_ok = t.day in doms, (t.isoweekday() % 7) in dows
        day_ok = dom_ok and dow_ok if dom_any or dow_any else dom_ok or dow_ok
        if not day_ok:
            t = t.replace(hour=0, minute=0) + timedelta(days=1)
            continue
        if t.hour not in hours:
            t = t.replace(minute=0) + timedelta(hours=1)
            continue
        if t.minute not in minutes:
            t += timedelta(minutes=1)
            continue
        return t
    raise BadSchedule(f"cron expression {expr!r} never fires")


def next_run(schedule: dict[str, Any], after: datetime) -> datetime:
    """The first run strictly after ``after`` (an aware UTC datetime)."""
    kind = schedule.get("type")
    minute = int(schedule.get("minuteUTC", 0))
    hour = int(schedule.get("hourUTC", 0))
    if kind == "interval":
        seconds = float(schedule.get("seconds") or 0) + 60 * float(schedule.get("minutes") or 0)
        seconds += 3600 * float(schedule.get("hours") or 0)
        if seconds <= 0:
            raise BadSchedule("an interval must be positive")
        return after + timedelta(seconds=seconds)
    if kind == "hourly":
        return _cron_next(f"{minute} * * * *", after)
    if kind == "daily":
        return _cron_next(f"{minute} {hour} * * *", after)
    if kind == "weekly":
        weekday = str(schedule.get("dayOfWeek", "")).lower()
        if weekday not in DAYS:
            raise BadSchedule(f"unknown day of week {weekday!r}")
        return _cron_next(f"{minute} {hour} * * {DAYS.index(weekday)}", after)
    if kind == "monthly":
        day = int(schedule.get("day", 1))
        t = after
        for _ in range(13):  # months without that day (e.g. the 31st) are skipped
            candidate = _cron_next(f"{minute} {hour} {day} * *", t)
            if (
                candidate.day == day
                and day <= calendar.monthrange(candidate.year, candidate.month)[1]
            ):
                return candidate
            t = candidate
        raise BadSchedule(f"day {day} never occurs")
    if kind == "cron":
        return _cron_next(str(schedule.get("cron", "")), after)
    raise BadSchedule(f"unknown schedule type {kind!r}")


class CronRunner:
    """Timers for the installed push's crons; ``install`` replaces them all."""

    def __init__(self, run: RunJob) -> None:
        self._run = run
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.jobs: dict[str, dict[str, Any]] = {}

    def install(self, specs: dict[str, Any]) -> None:
        self.stop()
        for name, spec in specs.items():
            try:
                next_run(spec["schedule"], datetime.now(UTC))
            except (BadSchedule, KeyError, ValueError) as exc:
                log.warning("cron %s is not scheduled: %s", name, exc)
                continue
            self.jobs[name] = spec
            self._arm(name)

    def _arm(self, name: str) -> None:
        spec = self.jobs.get(name)
        if spec is None:
            return
        now = datetime.now(UTC)
        delay = (next_run(spec["schedule"], now) - now).total_seconds()
        loop = asyncio.get_running_loop()
        self._timers[name] = loop.call_later(max(0.0, delay), self._fire, name)

    def _fire(self, name: str) -> None:
        spec = self.jobs.get(name)
        if spec is None:
            return
        args = (spec.get("args") or [{}])[0]
        task = asyncio.get_running_loop().create_task(self._one(name, spec["name"], args))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._arm(name)  # like the backend, the next run does not wait for this one

    async def _one(self, cron: str, path: str, args: dict[str, Any]) -> None:
        try:
            await self._run(path, args)
        except Exception:
            log.exception("cron %s (%s) failed to run", cron, path)

    def stop(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self.jobs.clear()
