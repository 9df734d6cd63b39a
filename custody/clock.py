"""Time: one injected clock, so tests stay deterministic.

The ledger stores UTC as integer microseconds since the Unix epoch; calendar questions (year of intake,
due dates, overdue) are answered in China Standard Time.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
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


def china_date(us: int) -> date:
    """The calendar date in China Standard Time of a UTC microsecond timestamp."""
    return from_us(us).astimezone(CHINA).date()
