"""Storage locations and seals for the scan tests, written straight into sealed storage's tables.

The scan intake only reads these rows; the acts that make them (a handover accepted, a seal made with
its witness) are tested with their own modules. Sealing here changes no item's state and writes no
ledger event: a test using it checks the sightings it makes, not a replay of the items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select, update

from custody.codes import LocationCode, SealNumber
from custody.db.storage_tables import LocationRow, SealItemRow, SealRow
from custody.db.tables import ItemRow
from custody.records import Item
from custody.services import Custody

_locations = cast(Table, LocationRow.__table__)
_seals = cast(Table, SealRow.__table__)
_seal_items = cast(Table, SealItemRow.__table__)
_items = cast(Table, ItemRow.__table__)


def place(custody: Custody, code: str, name: str = "") -> str:
    """A location (and every location above it that is missing), of the unit its region names."""
    parsed = LocationCode.parse(code)
    with custody.engine.begin() as conn:
        chain = []
        at: LocationCode | None = parsed
        while at is not None:
            chain.append(at)
            at = at.parent
        for location in reversed(chain):
            if conn.execute(select(_locations.c.id).where(_locations.c.code == str(location))).first():
                continue
            conn.execute(
                insert(_locations).values(
                    code=str(location),
                    unit_code=parsed.region_code,
                    level=location.level.value,
                    parent_code=None if location.parent is None else str(location.parent),
                    name=name if location == parsed else "",
                    created_at_us=0,
                )
            )
    return str(parsed)


def seal(
    custody: Custody,
    items: Sequence[Item],
    location: str,
    sequence: int = 1,
    tag_uid: str | None = None,
    unit: str = "220102",
) -> str:
    """An intact seal of ``unit`` at ``location`` holding ``items`` (placed there, with the seal's
    number); its number."""
    seal_no = str(SealNumber.make(unit, 2026, sequence))
    custodian = custody.users.actor("ng-custodian").id
    witness = custody.users.actor("cc-custodian").id
    with custody.engine.begin() as conn:
        seal_id = conn.execute(
            insert(_seals).values(
                seal_no=seal_no,
                unit_code=unit,
                location_code=location,
                custodian_id=custodian,
                witness_id=witness,
                tag_uid=tag_uid,
                status="intact",
                sealed_at_us=1_772_415_000_000_000,
            )
        ).inserted_primary_key[0]
        for item in items:
            conn.execute(insert(_seal_items).values(seal_id=seal_id, item_id=item.id))
            conn.execute(
                update(_items).where(_items.c.id == item.id).values(seal_no=seal_no, location_code=location)
            )
    return seal_no


def lay(custody: Custody, item: Item, location: str) -> None:
    """An unsealed item lying at ``location``."""
    with custody.engine.begin() as conn:
        conn.execute(update(_items).where(_items.c.id == item.id).values(location_code=location))


def void(custody: Custody, seal_no: str, reason: str = "opened for the lab") -> None:
    """The seal opened: void, its items out of it (they stay where they lie)."""
    with custody.engine.begin() as conn:
        conn.execute(
            update(_seals)
            .where(_seals.c.seal_no == seal_no)
            .values(status="void", voided_at_us=1_772_500_000_000_000, void_reason=reason)
        )
        conn.execute(update(_items).where(_items.c.seal_no == seal_no).values(seal_no=None))


def sightings(custody: Custody, item: Item) -> list[Any]:
    return [e for e in custody.items.item(None, item.evidence_no).history if e.event_type == "sighted"]
