"""What the scan intake reads of sealed storage: a seal by its number or its tag and the items inside,
a storage location and what lies there (items and seals at it and at the locations below it).

Reads only, on the connection of the scan's own transaction (:mod:`custody.scans` records the
sightings), each scoped by the caller: a seal or a location outside the station's unit is refused as
one that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from custody.clock import from_us
from custody.db.storage_tables import LocationRow, SealItemRow, SealRow
from custody.db.tables import ItemRow
from custody.db.unit_of_work import Scoped, Store
from custody.errors import Message, NotFound, TransitionRefused, UnknownItem
from custody.model import SealStatus
from custody.storage_records import Location, Seal

UNKNOWN_SEAL = Message("scan.unknown_seal", "unknown seal {seal_no}")
UNKNOWN_TAG = Message("scan.unknown_tag", "tag {uid} is bound to no item")
SEAL_TAG_MISMATCH = Message(
    "scan.seal_tag_mismatch", "tag {uid} carries seal {seal_no}, but that seal is bound to tag {bound_uid}"
)
SEAL_EMPTY = Message("scan.seal_empty", "seal {seal_no} holds no item: nothing was recorded")
UNKNOWN_LOCATION = Message("scan.unknown_location", "unknown storage location {location_code}")
SEAL_VOID = Message(
    "scan.seal_void",
    "seal {seal_no} is void (opened {voided_at}): it holds nothing any more; nothing was recorded",
)

_items = cast(Table, ItemRow.__table__)
_seals = cast(Table, SealRow.__table__)
_seal_items = cast(Table, SealItemRow.__table__)
_locations = cast(Table, LocationRow.__table__)

LISTED_AT_MOST = 500  # items (and seals) a location's answer lists; the counts are always whole

_ITEM_COLUMNS = (
    _items.c.id,
    _items.c.evidence_no,
    _items.c.case_id,
    _items.c.unit_code,
    _items.c.state,
    _items.c.version,
    _items.c.seal_no,
    _items.c.location_code,
)


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as a seal or a location scan names it."""

    id: int
    evidence_no: str
    case_id: int
    unit_code: str
    state: str
    version: int
    seal_no: str | None
    location_code: str | None

    def shown(self) -> dict[str, Any]:
        return {
            "evidence_no": self.evidence_no,
            "state": self.state,
            "version": self.version,
            "seal_no": self.seal_no,
            "location_code": self.location_code,
        }


@dataclass(frozen=True, slots=True)
class SealedAt:
    """An intact seal lying at a location, with the number of items inside."""

    seal_no: str
    location_code: str
    tag_uid: str | None
    items: int


@dataclass(frozen=True, slots=True)
class LocationContents:
    """A location and what lies at it and below it: at most :data:`LISTED_AT_MOST` of each, with the
    whole counts."""

    location: Location
    items: tuple[StoredItem, ...]
    item_count: int
    seals: tuple[SealedAt, ...]
    seal_count: int

    def shown(self) -> dict[str, Any]:
        place = self.location
        return {
            "location": {
                "code": place.code,
                "name": place.name,
                "level": place.level.value,
                "unit_code": place.unit_code,
                "parent_code": place.parent_code,
            },
            "items": [item.shown() for item in self.items],
            "item_count": self.item_count,
            "seals": [
                {
                    "seal_no": s.seal_no,
                    "location_code": s.location_code,
                    "tag_uid": s.tag_uid,
                    "items": s.items,
                }
                for s in self.seals
            ],
            "seal_count": self.seal_count,
        }


def _item(row: Sequence[Any]) -> StoredItem:
    return StoredItem(*row)


def seal_by_number(conn: Connection, seal_no: str) -> Seal | None:
    row = conn.execute(select(_seals).where(_seals.c.seal_no == seal_no)).mappings().first()
    return None if row is None else Seal.from_row(row)


def seal_by_tag(conn: Connection, uid: str) -> Seal | None:
    row = conn.execute(select(_seals).where(_seals.c.tag_uid == uid)).mappings().first()
    return None if row is None else Seal.from_row(row)


def seal_items(conn: Connection, seal: Seal) -> tuple[StoredItem, ...]:
    """The items a seal holds (held, once void), by evidence number."""
    inside = select(_seal_items.c.item_id).where(_seal_items.c.seal_id == seal.id)
    query = select(*_ITEM_COLUMNS).where(_items.c.id.in_(inside)).order_by(_items.c.evidence_no)
    return tuple(_item(row) for row in conn.execute(query))


def location_by_code(conn: Connection, code: str) -> Location | None:
    row = conn.execute(select(_locations).where(_locations.c.code == code)).mappings().first()
    return None if row is None else Location.from_row(row)


def _at_or_below(column: Any, code: str) -> ColumnElement[bool]:
    # a location's code is its parent's code and one more "-SEGMENT" (letters and digits only)
    return or_(column == code, column.like(code + "-%"))


def contents(conn: Connection, location: Location) -> LocationContents:
    """What lies at ``location`` and the locations below it: every item placed there (sealed or not,
    in whatever state: one checked out to the lab still belongs there), and the intact seals."""
    where_items = _at_or_below(_items.c.location_code, location.code)
    items = conn.execute(
        select(*_ITEM_COLUMNS)
        .where(where_items)
        .order_by(_items.c.location_code, _items.c.evidence_no)
        .limit(LISTED_AT_MOST)
    ).all()
    item_count = conn.execute(select(func.count()).select_from(_items).where(where_items)).scalar_one()
    intact = _seals.c.status == SealStatus.INTACT.value
    where_seals = _at_or_below(_seals.c.location_code, location.code) & intact
    held = (
        select(func.count())
        .select_from(_seal_items)
        .where(_seal_items.c.seal_id == _seals.c.id)
        .scalar_subquery()
    )
    seals = conn.execute(
        select(_seals.c.seal_no, _seals.c.location_code, _seals.c.tag_uid, held)
        .where(where_seals)
        .order_by(_seals.c.location_code, _seals.c.seal_no)
        .limit(LISTED_AT_MOST)
    ).all()
    seal_count = conn.execute(select(func.count()).select_from(_seals).where(where_seals)).scalar_one()
    return LocationContents(
        location,
        tuple(_item(row) for row in items),
        item_count,
        tuple(SealedAt(*row) for row in seals),
        seal_count,
    )


# -- answers of the scan intake


def seal_seen(
    conn: Connection, store: Store, source: Scoped, seal: Seal | None, named: str, uid: str | None
) -> tuple[Seal, tuple[StoredItem, ...]]:
    """The seal a scan named (``named``: its number, or the UID of a tag read alone) and its items;
    an unknown seal or one outside ``source``'s unit is refused alike, and so is a tag whose text
    names a seal bound to another tag."""
    if seal is None or not store.sees(source, seal.unit_code, conn):
        if uid is not None and named == uid:  # a tag read alone, bound to no item and no seal
            raise UnknownItem(UNKNOWN_TAG, uid=uid)
        raise NotFound(UNKNOWN_SEAL, seal_no=named)
    if uid is not None and seal.tag_uid is not None and seal.tag_uid != uid:
        raise TransitionRefused(SEAL_TAG_MISMATCH, uid=uid, seal_no=seal.seal_no, bound_uid=seal.tag_uid)
    return seal, seal_items(conn, seal)


def _seal(seal: Seal) -> dict[str, Any]:
    return {
        "kind": "seal",
        "seal_no": seal.seal_no,
        "status": seal.status.value,
        "location_code": seal.location_code,
        "tag_uid": seal.tag_uid,
        "sealed_at": seal.sealed_at.isoformat(),
    }


def seal_answer(seal: Seal, seen: Sequence[tuple[StoredItem, int]], station: str) -> dict[str, Any]:
    """The answer to a scan of an intact seal: the seal and each item inside with its sighting."""
    items = [{**item.shown(), "seq": seq} for item, seq in seen]
    return {**_seal(seal), "seq": seen[-1][1], "items": items, "station": station}


def unrecorded_seal_answer(seal: Seal, held: Sequence[StoredItem], station: str) -> dict[str, Any]:
    """The answer to a scan of a void seal (what it held, and where those items are now), or of a
    seal that holds nothing; nothing is recorded."""
    voided_at = "" if seal.voided_at_us is None else from_us(seal.voided_at_us).isoformat()
    if seal.status is SealStatus.VOID:
        text = SEAL_VOID.render({"seal_no": seal.seal_no, "voided_at": voided_at})
        warning = {"key": SEAL_VOID.key, "text": text}
    else:
        warning = {"key": SEAL_EMPTY.key, "text": SEAL_EMPTY.render({"seal_no": seal.seal_no})}
    return {
        **_seal(seal),
        "seq": None,
        "voided_at": voided_at or None,
        "void_reason": seal.void_reason,
        "items": [item.shown() for item in held],
        "station": station,
        "warnings": [warning],
        "replayed": False,
    }


def location_answer(
    conn: Connection, store: Store, source: Scoped, code: str, station: str
) -> dict[str, Any]:
    """The answer to a scan of a location code: the location and what lies there; nothing is
    recorded. An unknown location and one outside ``source``'s unit are refused alike."""
    location = location_by_code(conn, code)
    if location is None or not store.sees(source, location.unit_code, conn):
        raise NotFound(UNKNOWN_LOCATION, location_code=code)
    shown = contents(conn, location).shown()
    return {"kind": "location", "seq": None, **shown, "station": station, "replayed": False}
