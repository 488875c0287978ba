"""When pushed crons run next (tui/sandbox/crons.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.sandbox.crons import BadSchedule, next_run, parse_cron

T0 = datetime(2026, 1, 31, 10, 30, 15, tzinfo=UTC)  # a Saturday


def test_each_schedule_type() -> None:
    assert next_run({"type": "interval", "seconds": 30}, T0) == T0 + timedelta(seconds=30)
    assert next_run({"type": "interval", "hours": 2}, T0) == T0 + timedelta(hours=2)
    assert next_run({"type": "hourly", "minuteUTC": 45}, T0) == T0.replace(minute=45, second=0)
    daily = next_run({"type": "daily", "hourUTC": 9, "minuteUTC": 0}, T0)
    assert daily == datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    weekly = next_run({"type": "weekly", "dayOfWeek": "monday", "hourUTC": 8, "minuteUTC": 5}, T0)
    assert weekly == datetime(2026, 2, 2, 8, 5, tzinfo=UTC)
    monthly = next_run({"type": "monthly", "day": 31, "hourUTC": 0, "minuteUTC": 0}, T0)
    assert monthly == datetime(2026, 3, 31, tzinfo=UTC)  # February has no 31st
    cron = next_run({"type": "cron", "cron": "*/15 9-17 * * 1-5"}, T0)
    assert cron == datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def test_bad_schedules_are_refused() -> None:
    for bad in ({"type": "cron", "cron": "* * *"}, {"type": "cron", "cron": "61 * * * *"},
                {"type": "weekly", "dayOfWeek": "someday"}, {"type": "nope"},
                {"type": "interval", "seconds": 0}):  # fmt: skip
        with pytest.raises(BadSchedule):
            next_run(bad, T0)


@given(
    minute=st.integers(0, 59),
    hour=st.integers(0, 23),
    dow=st.integers(0, 6),
    offset=st.integers(0, 60 * 24 * 400),
)
def test_cron_runs_are_the_next_matching_minute(
    minute: int, hour: int, dow: int, offset: int
) -> None:
    expr = f"{minute} {hour} * * {dow}"
    after = T0 + timedelta(minutes=offset)
    got = next_run({"type": "cron", "cron": expr}, after)
    assert got > after and got - after <= timedelta(days=7, minutes=1)
    assert (got.minute, got.hour, got.isoweekday() % 7) == (minute, hour, dow)
    fields = parse_cron(expr)
    assert fields[0] == {minute} and fields[4] == {dow}
