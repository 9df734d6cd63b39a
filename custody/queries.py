"""Read-side listings: item search (including the source-and-flow fields), cases, with keyset pagination.

Every listing takes the viewer and returns only rows of the viewer's unit and the units below it (the
province sees all): an out-of-scope row is never counted, hinted at or paged over. Pages are cut on the
row id (newest first for items and cases), and the cursor is the last id seen, so a page never repeats or
skips rows when others are added meanwhile. A cursor is opaque to clients; one that this service did not
give out is refused as invalid input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Select, Table, or_, select
from typing_extensions import TypeVar

from custody.actors import Actor
from custody.audit_blind import blind_scopes, visible_items
from custody.clock import CHINA, to_us
from custody.db import pages
from custody.db.pages import MAX_PAGE, Page, after_cursor, check_limit, encode_cursor
from custody.db.tables import CaseRow, ItemRow
from custody.db.unit_of_work import UNKNOWN_UNIT, Store
from custody.errors import InvalidInput, Message, UnknownUnit
from custody.model import CaseStatus, ItemState, Role
from custody.numbers import ItemKind
from custody.records import Case, Item
from custody.text import clean

UNKNOWN_SEARCH_FIELD = Message("search.unknown_field", "unknown search field {name}")

_items = cast(Table, ItemRow.__table__)
_cases = cast(Table, CaseRow.__table__)

T = TypeVar("T", default=dict[str, Any])


def fetch_page(
    store: Store,
    query: Select[Any],
    column: Any,
    cursor: str | None,
    limit: int,
    view: Callable[[dict[str, Any]], T] = dict,  # type: ignore[assignment]
    *,
    newest_first: bool = True,
) -> Page[T]:
    """One page of ``query`` in the order of ``column`` (an integer key; keyset pagination): the
    ``limit`` rows after ``cursor``, and the cursor after them when there are more
    (:func:`custody.db.pages.fetch_page`, read through the store)."""
    with store.reading() as conn:
        return pages.fetch_page(
            conn, query, column, cursor, limit, lambda row: view(dict(row)), newest_first=newest_first
        )


def contains(column: Any, text: str) -> Any:
    """Case-insensitive substring match with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def china_day_start_us(day: date) -> int:
    return to_us(datetime.combine(day, time(0), tzinfo=CHINA))


@dataclass(frozen=True)
class ItemSearch:
    """What an item search may ask; every text field matches a case-insensitive substring."""

    q: str | None = None  # any text field: number, serial, make, calibre, description, source and flow
    kind: ItemKind | None = None
    state: ItemState | None = None
    unit_code: str | None = None  # that unit and the units below it
    case_no: str | None = None
    serial_number: str | None = None
    make_model: str | None = None
    firearm_type: str | None = None
    calibre: str | None = None
    fires_standard_ammunition: bool | None = None
    headstamp_lot: str | None = None
    source_maker: str | None = None
    source_workshop: str | None = None
    source_route: str | None = None
    source_seller: str | None = None
    source_notes: str | None = None
    registered_from: date | None = None  # China Standard Time, inclusive
    registered_to: date | None = None  # inclusive


_SUBSTRING_FIELDS = (
    "serial_number",
    "make_model",
    "firearm_type",
    "calibre",
    "headstamp_lot",
    "source_maker",
    "source_workshop",
    "source_route",
    "source_seller",
    "source_notes",
)
_FREE_TEXT_COLUMNS = ("evidence_no", "description", *_SUBSTRING_FIELDS)


def _cleaned(search: ItemSearch) -> ItemSearch:
    """The search with its text under the text policy: a control character in a search field is refused
    (a NUL would otherwise end the pattern early and match every row)."""
    texts: dict[str, Any] = {
        f.name: clean(getattr(search, f.name), f.name)
        for f in fields(ItemSearch)
        if isinstance(getattr(search, f.name), str) and f.name not in {"kind", "state"}
    }
    return replace(search, **texts)


class _HasStore(Protocol):
    @property
    def store(self) -> Store: ...


class Queries:
    """Listings of items and cases within the viewer's scope, a page at a time."""

    def __init__(self, over: Store | _HasStore) -> None:
        """``over``: the store, or whatever holds it (the composition root)."""
        self._over = over

    @property
    def store(self) -> Store:
        return self._over if isinstance(self._over, Store) else self._over.store

    def scope(self, viewer: Actor, unit_code: str | None = None) -> set[str] | None:
        """Units a listing may show (None: all), narrowed to ``unit_code`` and below when given."""
        tree = self.store.units(fresh=True)
        allowed = self.store.scope_of(viewer)
        if unit_code is None:
            return allowed
        if unit_code not in tree:
            raise UnknownUnit(UNKNOWN_UNIT, unit_code=unit_code)
        wanted = tree.below(unit_code)
        return wanted if allowed is None else allowed & wanted

    def items(
        self, viewer: Actor, search: ItemSearch | None = None, cursor: str | None = None, limit: int = 50
    ) -> Page[Item]:
        """Items matching ``search`` in the viewer's scope, newest first, with their case number."""
        wanted = _cleaned(search or ItemSearch())
        check_limit(limit)
        query: Select[Any] = select(_items, _cases.c.case_no).join(_cases, _cases.c.id == _items.c.case_id)
        units = self.scope(viewer, wanted.unit_code)
        if units is not None:
            query = query.where(_items.c.unit_code.in_(sorted(units)))
        query = query.where(*self._item_conditions(wanted))
        if Role.AUDITOR in viewer.roles:
            with self.store.reading() as conn:
                unseen = visible_items(blind_scopes(conn, viewer))  # what the viewer counts blind now
            if unseen is not None:
                query = query.where(unseen)
        return fetch_page(self.store, query, _items.c.id, cursor, limit, Item.from_row)

    @staticmethod
    def _item_conditions(search: ItemSearch) -> list[Any]:
        conditions: list[Any] = []
        if search.q:
            conditions.append(or_(*(contains(_items.c[name], search.q) for name in _FREE_TEXT_COLUMNS)))
        for name in ("kind", "state"):
            value = getattr(search, name)
            if value is not None:
                conditions.append(_items.c[name] == str(value))
        if search.case_no is not None:
            conditions.append(_cases.c.case_no == search.case_no)
        if search.fires_standard_ammunition is not None:
            conditions.append(_items.c.fires_standard_ammunition.is_(search.fires_standard_ammunition))
        for name in _SUBSTRING_FIELDS:
            value = getattr(search, name)
            if value:
                conditions.append(contains(_items.c[name], value))
        if search.registered_from is not None:
            conditions.append(_items.c.registered_at_us >= china_day_start_us(search.registered_from))
        if search.registered_to is not None and search.registered_to < date.max:  # date.max: no end
            end = china_day_start_us(search.registered_to + timedelta(days=1))
            conditions.append(_items.c.registered_at_us < end)
        return conditions

    def cases(
        self,
        viewer: Actor,
        status: CaseStatus | None = None,
        unit_code: str | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Case]:
        """Cases in the viewer's scope, newest first; ``q`` matches the case number or title."""
        check_limit(limit)
        q = clean(q, "q")
        query = select(_cases)
        units = self.scope(viewer, unit_code)
        if units is not None:
            query = query.where(_cases.c.unit_code.in_(sorted(units)))
        if status is not None:
            query = query.where(_cases.c.status == str(status))
        if q:
            query = query.where(or_(contains(_cases.c.case_no, q), contains(_cases.c.title, q)))
        return fetch_page(self.store, query, _cases.c.id, cursor, limit, Case.from_row)


def search_from(values: Mapping[str, Any]) -> ItemSearch:
    """An :class:`ItemSearch` from the named values given (others left open)."""
    names = {f.name for f in fields(ItemSearch)}
    unknown = set(values) - names
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(UNKNOWN_SEARCH_FIELD, name, name=name)
    return ItemSearch(**{k: v for k, v in values.items() if v is not None})


__all__ = [
    "MAX_PAGE",
    "ItemSearch",
    "Page",
    "Queries",
    "after_cursor",
    "check_limit",
    "encode_cursor",
    "fetch_page",
    "search_from",
]
