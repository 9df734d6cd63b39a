"""Reading seals: a seal by number, the items under it, and the last read of its tag by a station
(:class:`SealView`, what ``custody seal show`` and ``GET /api/v1/seals/{seal_no}`` answer)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from custody.clock import from_us
from custody.db.storage_tables import SealItemRow, SealRow
from custody.db.tables import EventRow, ItemRow
from custody.model import EventType
from custody.records import Item
from custody.storage_records import Location, Seal

_seals = cast(Table, SealRow.__table__)
_seal_items = cast(Table, SealItemRow.__table__)
_items = cast(Table, ItemRow.__table__)
_events = cast(Table, EventRow.__table__)


@dataclass(frozen=True)
class TagReading:
    """The last read of a seal's tag by a station: its tamper loop as the reader found it (``closed``,
    ``open``, ``not_measured``, ``unreadable``; None when the read reported none), whether the tag had
    recorded the loop open before, and when and where it was read."""

    tamper: str | None
    opened_before: bool | None
    seq: int
    recorded_at: str  # ISO 8601, UTC
    station: str

    @property
    def broken(self) -> bool:
        """The read shows the seal broken: its loop open now or once before."""
        return self.tamper == "open" or self.opened_before is True


@dataclass(frozen=True)
class SealView:
    """A seal as a reader sees it: the seal, the items under it (for a void seal, those it held), its
    location, the custodian's and witness's names, and the last read of its tag (None: never read, or no
    tag)."""

    seal: Seal
    items: tuple[Item, ...]
    location: Location
    custodian: str  # username
    custodian_name: str  # full name, as labels print it
    witness: str  # username
    last_reading: TagReading | None


def seal_row(conn: Connection, number: str) -> Seal | None:
    row = conn.execute(select(_seals).where(_seals.c.seal_no == number)).mappings().first()
    return None if row is None else Seal.from_row(row)


def members(conn: Connection, seal_id: int) -> tuple[Item, ...]:
    rows = conn.execute(
        select(_items)
        .join(_seal_items, _seal_items.c.item_id == _items.c.id)
        .where(_seal_items.c.seal_id == seal_id)
        .order_by(_items.c.evidence_no)
    ).mappings()
    return tuple(Item.from_row(r) for r in rows)


def last_reading(conn: Connection, seal: Seal, item_ids: list[int]) -> TagReading | None:
    """The latest sighting of the seal's tag (its UID read by a station; a scan of the printed seal
    number tells nothing of the tag), or None: no tag, or never read."""
    if seal.tag_uid is None or not item_ids:
        return None
    rows = conn.execute(
        select(_events.c.seq, _events.c.recorded_at_us, _events.c.station, _events.c.payload)
        .where(_events.c.item_id.in_(item_ids), _events.c.event_type == EventType.SIGHTED.value)
        .order_by(_events.c.seq.desc())
    )
    for seq, recorded_at_us, station, text in rows:
        payload: Mapping[str, Any] = json.loads(text)
        if payload.get("uid") == seal.tag_uid:
            tamper, before = payload.get("tamper"), payload.get("tamper_opened_before")
            return TagReading(
                None if tamper is None else str(tamper),
                before if isinstance(before, bool) else None,
                seq,
                from_us(recorded_at_us).isoformat(),
                station,
            )
    return None
