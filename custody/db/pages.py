"""Keyset pagination of a listing into typed records.

A page is cut on an integer key (the row id) and its cursor is the last key seen, so a page never
repeats or skips rows when others are added meanwhile. A cursor is opaque to clients; one that this
service did not give out is refused as invalid input.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.engine import Connection

from custody.errors import InvalidInput, Message

R = TypeVar("R")

MAX_PAGE = 200

BAD_CURSOR = Message("page.bad_cursor", "cursor is not one this service gave out")
BAD_LIMIT = Message("page.bad_limit", "limit must be 1 … {max_page}")
_CURSOR_TAG = "v1:"


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list[R]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{last_id}".encode()).rstrip(b"=").decode("ascii")


def after_cursor(cursor: str | None) -> int | None:
    """The id a cursor stands for (None: the first page); refuse one this service did not make."""
    if cursor is None or cursor == "":
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_TAG)
    if not text.startswith(_CURSOR_TAG) or not number.isdigit() or len(number) > 18:
        raise InvalidInput(BAD_CURSOR, "cursor")
    return int(number)


def check_limit(limit: int) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(BAD_LIMIT, "limit", max_page=MAX_PAGE)
    return limit


def fetch_page(
    conn: Connection,
    query: Select[Any],
    column: Any,
    cursor: str | None,
    limit: int,
    record: Callable[[Mapping[Any, Any]], R],
    *,
    newest_first: bool = True,
) -> Page[R]:
    """One page of ``query`` in the order of ``column`` (an integer key): the ``limit`` rows after
    ``cursor`` as records, and the cursor after them when there are more."""
    check_limit(limit)
    after = after_cursor(cursor)
    if after is not None:
        query = query.where(column < after if newest_first else column > after)
    query = query.order_by(column.desc() if newest_first else column).limit(limit + 1)
    rows = list(conn.execute(query).mappings())
    shown = rows[:limit]
    more = len(rows) > limit
    return Page([record(r) for r in shown], encode_cursor(shown[-1][column.key]) if more else None)
