"""Seals (封存): accepted items put under a numbered seal at a storage location, with a witness.

A seal holds one or more items a custodian has accepted into their unit's store (``handed_over``). Its
number (:class:`custody.codes.SealNumber`) is ``S`` + the unit's code + the year of sealing + a gapless
sequence per unit and year, taken in the transaction that seals; an optional tamper-evident NFC tag
carries the number and is bound to the seal by its UID. Every act on a seal is one writer act over all
its items (:meth:`custody.items.Items.act_list`): each item gets its own event with the seal number in
the payload, and the seal's rows change in the same transaction, or nothing is written.

* :meth:`Seals.create` seals items (``sealed``) and inserts the seal and its items;
* :meth:`Seals.open` unseals them (``unsealed``, with a reason and a witness): the seal is void for good,
  its items go back to ``handed_over`` and are sealed again under a new number;
* :meth:`Seals.move` relocates a seal (``relocated`` for each item);
* :meth:`Seals.show` reads a seal with its items, its location and the tamper status of the last read
  of its tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.audit_blind import blind_scopes, hidden
from custody.clock import china_date
from custody.codes import LocationCode, SealNumber
from custody.custodians import CustodianChange, Custodians
from custody.db.storage_tables import SealItemRow, SealRow, SealSequenceRow
from custody.db.tables import ItemRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import (
    InvalidInput,
    Message,
    SecondPersonNotConfirmed,
    TransitionRefused,
    UnknownSeal,
)
from custody.intake import clean_text
from custody.items import Items
from custody.lifecycle.items import normal_uid
from custody.lifecycle.reviews import review_date_after
from custody.list_acts import Acted, Target
from custody.locations import Locations
from custody.model import EventType, Role, SealStatus
from custody.records import Item
from custody.seal_reads import SealView, last_reading, members, seal_row
from custody.storage_records import Seal

UNKNOWN_SEAL = Message("seal.unknown", "unknown seal {seal_no}")
LOCATION_OF_OTHER_UNIT = Message(
    "seal.location_other_unit",
    "location {location_code} belongs to unit {location_unit}; the store of {username} is unit {unit_code}",
)
SEAL_TAG_TAKEN = Message(
    "seal.tag_taken", "tag {uid} is bound to {holder} already: a seal takes a tag of its own"
)
SEAL_VOID = Message("seal.void", "seal {seal_no} was opened: it is void (its items are sealed anew)")
SEAL_CHANGED = Message("seal.changed_meanwhile", "seal {seal_no} changed meanwhile: read it again")
SEAL_SAME_LOCATION = Message("seal.same_location", "seal {seal_no} lies at {location_code} already")
SEALS_USED_UP = Message("seal.numbers_used_up", "unit {unit_code} has used every seal number of {year}")
NEEDS_WITNESS = Message("seal.needs_witness", "a seal is made and opened before a witness")

SEAL_ROLES = frozenset({Role.CUSTODIAN})
WITNESS = "witness"  # the second person of a seal act, as refusals name them

_seals = cast(Table, SealRow.__table__)
_seal_items = cast(Table, SealItemRow.__table__)
_sequences = cast(Table, SealSequenceRow.__table__)
_items = cast(Table, ItemRow.__table__)
_users = cast(Table, UserRow.__table__)


class Seals:
    """Seals of the units' stores, each act one transaction over every item of the seal."""

    def __init__(self, store: Store, items: Items, locations: Locations) -> None:
        self.store = store
        self.items = items
        self.locations = locations
        self.custodians = Custodians(store, items)

    def custodian_change(self, actor: Actor, unit_code: str, new_custodian: Actor) -> CustodianChange:
        """The unit's store passes from ``actor`` to ``new_custodian`` (:mod:`custody.custodians`)."""
        return self.custodians.change(actor, unit_code, new_custodian)

    # ------------------------------------------------------------------------------------------ acts

    def create(
        self,
        actor: Actor,
        location_code: str,
        evidence_nos: Sequence[str],
        witness: Actor | None,
        tag_uid: str | None = None,
        review_due: str | None = None,
    ) -> Seal:
        """Seal the items (accepted, held by ``actor``) at the location before ``witness``; with
        ``tag_uid``, the seal tag carrying the number is bound to the seal. Each item's review date is
        ``review_due`` (a date after today), or a year after the day of sealing. Returns the new seal."""
        require_role(actor, SEAL_ROLES, "seal items")
        location = str(LocationCode.parse(location_code))
        uid = None if tag_uid is None else normal_uid(tag_uid)
        self._require_witness(actor, witness)
        assert witness is not None
        review_date_after(review_due, china_date(self.store.now_us()), "review_due")  # before any item
        with self.store.reading() as conn:  # the place first: a wrong one is named before any item
            self._check_place(conn, actor, location)
        made: dict[str, Any] = {}

        def prepare(conn: Connection, _items: Sequence[Item]) -> dict[str, Any]:
            """In the act's transaction, once its items are loaded: the place, the tag, the number."""
            self._check_place(conn, actor, location)
            if uid is not None:
                _require_free_tag(conn, uid)
            now = self.store.now_us()
            year = china_date(now).year
            number = str(SealNumber.make(actor.unit_code, year, _next_seal(conn, actor.unit_code, year)))
            made.update(seal_no=number, now=now)
            return {"seal_no": number, "location_code": location, "tag_uid": uid, "review_due": review_due}

        def record(conn: Connection, acted: Sequence[Acted]) -> None:
            seal_id = conn.execute(
                insert(_seals)
                .values(
                    seal_no=made["seal_no"],
                    unit_code=actor.unit_code,
                    location_code=location,
                    custodian_id=actor.id,
                    witness_id=witness.id,
                    tag_uid=uid,
                    status=SealStatus.INTACT.value,
                    sealed_at_us=made["now"],
                )
                .returning(_seals.c.id)
            ).scalar_one()
            rows = [{"seal_id": seal_id, "item_id": each.item.id} for each in acted]
            conn.execute(insert(_seal_items), rows)
            made["seal"] = _stored(conn, made["seal_no"])

        targets: list[Target] = [(number, None) for number in evidence_nos]
        self.items.act_list(actor, EventType.SEALED, targets, prepare, witness=witness, also=record)
        return cast(Seal, made["seal"])

    def open(self, actor: Actor, seal_no: str, reason: str, witness: Actor | None) -> Seal:
        """Open the seal before ``witness``, for ``reason``: its items are unsealed (back in the store,
        not sealed) and the seal is void. Returns the void seal."""
        require_role(actor, SEAL_ROLES, "open seals")
        number = str(SealNumber.parse(seal_no))
        why = clean_text(reason, "reason", required=True) or ""
        self._require_witness(actor, witness)
        seal, members = self._intact(actor, number)
        done: dict[str, Seal] = {}

        def record(conn: Connection, _acted: Sequence[Acted]) -> None:
            now = self.store.now_us()
            changed = conn.execute(
                update(_seals)
                .where(_seals.c.id == seal.id, _seals.c.status == SealStatus.INTACT.value)
                .values(status=SealStatus.VOID.value, voided_at_us=now, void_reason=why)
            )
            if changed.rowcount != 1 or _member_ids(conn, seal.id) != {m.id for m in members}:
                raise TransitionRefused(SEAL_CHANGED, seal_no=number)
            done["seal"] = _stored(conn, number)

        targets: list[Target] = [(item.evidence_no, None) for item in members]
        payload = {"seal_no": number, "reason": why}
        self.items.act_list(actor, EventType.UNSEALED, targets, payload, witness=witness, also=record)
        return done["seal"]

    def move(self, actor: Actor, seal_no: str, to_location: str) -> Seal:
        """Move the seal (and every item under it) to another location of its unit's store."""
        require_role(actor, SEAL_ROLES, "move seals")
        number = str(SealNumber.parse(seal_no))
        to = str(LocationCode.parse(to_location))
        seal, members = self._intact(actor, number)
        with self.store.reading() as conn:
            self._check_place(conn, actor, to, seal.unit_code)
        if seal.location_code == to:
            raise TransitionRefused(SEAL_SAME_LOCATION, seal_no=number, location_code=to)
        done: dict[str, Seal] = {}

        def prepare(conn: Connection, _items: Sequence[Item]) -> dict[str, Any]:
            self._check_place(conn, actor, to, seal.unit_code)
            return {"seal_no": number, "to": to}

        def record(conn: Connection, _acted: Sequence[Acted]) -> None:
            changed = conn.execute(
                update(_seals)
                .where(
                    _seals.c.id == seal.id,
                    _seals.c.status == SealStatus.INTACT.value,
                    _seals.c.location_code == seal.location_code,
                )
                .values(location_code=to)
            )
            if changed.rowcount != 1 or _member_ids(conn, seal.id) != {m.id for m in members}:
                raise TransitionRefused(SEAL_CHANGED, seal_no=number)
            done["seal"] = _stored(conn, number)

        targets: list[Target] = [(item.evidence_no, None) for item in members]
        self.items.act_list(actor, EventType.RELOCATED, targets, prepare, also=record)
        return done["seal"]

    # ----------------------------------------------------------------------------------------- reads

    def get(self, viewer: Actor | None, seal_no: str) -> Seal:
        """The seal of this number in the viewer's scope; outside it, answered as missing."""
        number = str(SealNumber.parse(seal_no))
        with self.store.reading() as conn:
            return self._find(conn, viewer, number)

    def show(self, viewer: Actor | None, seal_no: str) -> SealView:
        """The seal with its items, its location, who sealed and witnessed it, and its tag's last read."""
        number = str(SealNumber.parse(seal_no))
        with self.store.reading() as conn:
            seal = self._find(conn, viewer, number)
            if seal.status is SealStatus.INTACT and hidden(
                blind_scopes(conn, viewer), seal.unit_code, seal.location_code
            ):
                raise UnknownSeal(UNKNOWN_SEAL, seal_no=number)  # counted blind by this auditor now
            held = members(conn, seal.id)
            location = self.locations.find(conn, None, seal.location_code)
            people = {
                row[0]: (row[1], row[2])
                for row in conn.execute(
                    select(_users.c.id, _users.c.username, _users.c.full_name).where(
                        _users.c.id.in_([seal.custodian_id, seal.witness_id])
                    )
                )
            }
            reading = last_reading(conn, seal, [m.id for m in held])
        custodian, custodian_name = people[seal.custodian_id]
        return SealView(seal, held, location, custodian, custodian_name, people[seal.witness_id][0], reading)

    # ------------------------------------------------------------------------------------- helpers

    def _find(self, conn: Connection, viewer: Actor | None, number: str) -> Seal:
        seal = seal_row(conn, number)
        if seal is None or not self.store.sees(viewer, seal.unit_code, conn):
            raise UnknownSeal(UNKNOWN_SEAL, seal_no=number)
        return seal

    def _intact(self, actor: Actor, number: str) -> tuple[Seal, tuple[Item, ...]]:
        """The intact seal in the actor's scope and the items under it (read before the act; the act
        checks them again in its own transaction)."""
        with self.store.reading() as conn:
            seal = self._find(conn, actor, number)
            if seal.status is not SealStatus.INTACT:
                raise TransitionRefused(SEAL_VOID, seal_no=number)
            return seal, members(conn, seal.id)

    def _check_place(
        self, conn: Connection, actor: Actor, location: str, unit_code: str | None = None
    ) -> None:
        """The location exists in the actor's scope and belongs to the store (the actor's unit, or
        ``unit_code``)."""
        found = self.locations.find(conn, actor, location)
        store = unit_code or actor.unit_code
        if found.unit_code != store:
            raise TransitionRefused(
                LOCATION_OF_OTHER_UNIT,
                location_code=location,
                location_unit=found.unit_code,
                username=actor.username,
                unit_code=store,
            )

    def _require_witness(self, actor: Actor, witness: Actor | None) -> None:
        """A witness is named, and is someone of the actor's scope who may see the actor's store."""
        if witness is None:
            raise InvalidInput(NEEDS_WITNESS, "witness")
        if not self.store.sees(actor, witness.unit_code) or not self.store.sees(witness, actor.unit_code):
            raise SecondPersonNotConfirmed(WITNESS)


# ------------------------------------------------------------------------------------------ functions


def _next_seal(conn: Connection, unit_code: str, year: int) -> int:
    """The next seal sequence of the unit and year: gapless, taken under the write lock (the bump of a
    refused act is rolled back with it)."""
    where = (_sequences.c.unit_code == unit_code, _sequences.c.year == year)
    bumped = conn.execute(
        update(_sequences)
        .where(*where)
        .values(last_sequence=_sequences.c.last_sequence + 1)
        .returning(_sequences.c.last_sequence)
    ).first()
    if bumped is None:
        conn.execute(insert(_sequences).values(unit_code=unit_code, year=year, last_sequence=1))
        return 1
    if bumped[0] > 999_999:
        raise TransitionRefused(SEALS_USED_UP, unit_code=unit_code, year=year)
    return int(bumped[0])


def _require_free_tag(conn: Connection, uid: str) -> None:
    """No seal (intact or void) and no item holds the tag."""
    seal = conn.execute(select(_seals.c.seal_no).where(_seals.c.tag_uid == uid)).scalar_one_or_none()
    item = conn.execute(select(_items.c.evidence_no).where(_items.c.tag_uid == uid)).scalar_one_or_none()
    holder = seal or item
    if holder is not None:
        raise TransitionRefused(SEAL_TAG_TAKEN, uid=uid, holder=holder)


def _stored(conn: Connection, number: str) -> Seal:
    """The seal just written, as stored."""
    seal = seal_row(conn, number)
    assert seal is not None
    return seal


def _member_ids(conn: Connection, seal_id: int) -> set[int]:
    return set(conn.execute(select(_seal_items.c.item_id).where(_seal_items.c.seal_id == seal_id)).scalars())
