"""Review dates of sealed items (复核日期): when a sealed item is next considered for disposal.

A seal sets the review date of every item it holds: the date the sealing act gives, or one year after
the day of sealing (China Standard Time). A hold (``review_held``, :mod:`custody.lifecycle.destruction`)
moves it, with a reason. The date travels in the payload of the event that sets it, so replay rebuilds
it from the ledger alone; an event of an older ledger that carries none leaves the item without one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from custody.errors import InvalidInput, Message
from custody.lifecycle.table import Attempt, parse_date

REVIEW_NOT_AFTER_TODAY = Message(
    "review.not_after_today", "a review date lies after today ({today}); {value} does not"
)
REVIEW_FIELDS = ("review_due",)  # the item column the review acts set (replay compares it)


def one_year_after(day: date) -> date:
    """The same day a year later (29 February: the 28th)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def review_date_after(value: Any, today: date, name: str) -> date | None:
    """``value`` as a review date: a date ``YYYY-MM-DD`` after ``today`` (None: none given)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(REVIEW_NOT_AFTER_TODAY, name, today=today.isoformat(), value=str(value))
    day = parse_date(value, name)
    if day <= today:
        raise InvalidInput(REVIEW_NOT_AFTER_TODAY, name, today=today.isoformat(), value=value)
    return day


def given_review_date(attempt: Attempt, name: str) -> date | None:
    """The review date the act gives in ``name``, checked: a date after the act's day (None: none given)."""
    return review_date_after(attempt.payload.get(name), attempt.today, name)


def valid_review_date(attempt: Attempt) -> None:
    """A review date given with a seal is a date after today."""
    given_review_date(attempt, "review_due")


def review_date_at_sealing(attempt: Attempt) -> str:
    """The review date a seal sets: the one given, or a year after the day of sealing."""
    return (given_review_date(attempt, "review_due") or one_year_after(attempt.today)).isoformat()
