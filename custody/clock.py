"""Time: one injected clock, so tests stay deterministic.

The ledger stores UTC as integer microseconds since the Unix epoch; calendar questions (year of intake,
due dates, overdue) are answered in China Standard Time.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now_us(self) -> int:
        """UTC now, in integer microseconds since the Unix epoch."""
        ...


class SystemClock:
    def now_us(self) -> int:
        return time.time_ns() // 1000


class FixedClock:
    """A clock that only moves when told to (tests, demo data)."""

    def __init__(self, start: datetime) -> None:
        self._us = to_us(start)

    def now_us(self) -> int:
        return self._us

    def advance(self, seconds: float) -> None:
        self._us += int(seconds * 1_000_000)

    def set(self, moment: datetime) -> None:
        self._us = to_us(moment)


def to_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("a time without a timezone is ambiguous")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    return datetime.fromtimestamp(us // 1_000_000, tz=UTC).replace(microsecond=us % 1_000_000)


def _local_date(us: int) -> date:
    return from_us(us).astimezone(CHINA).date()


class _Day:
    """The last date answered and the UTC microseconds it spans (acts come in runs on the same day)."""

    __slots__ = ("end", "start", "value")

    def __init__(self, start: int, end: int, value: date) -> None:
        self.start = start
        self.end = end
        self.value = value


_last_day = [_Day(0, 0, date(1970, 1, 1))]  # replaced whole, so threads never see half of one


def china_date(us: int) -> date:
    """The calendar date in China Standard Time of a UTC microsecond timestamp."""
    day = _last_day[0]
    if day.start <= us < day.end:
        return day.value
    local = from_us(us).astimezone(CHINA)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    next_midnight = (midnight.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=CHINA)
    start, end, value = to_us(midnight), to_us(next_midnight), local.date()
    # kept only when both ends of the span fall on that date (a zone's offset change is respected)
    if start <= us < end and value == _local_date(start) == _local_date(end - 1):
        _last_day[0] = _Day(start, end, value)
    return value
