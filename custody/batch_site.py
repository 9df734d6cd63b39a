"""The site of a provincial destruction batch (销毁现场): its witnesses, the site session in which the
items are scanned out, the withdrawal of an approved item not destroyed, and the closing of the batch.

* :meth:`BatchSite.witness`: a witness confirms with their own credentials (the entry point proves
  them); a witness took no part in the custody of any item of the batch (actor, witness or receiver of
  any of its events), and is recorded once;
* :meth:`BatchSite.open`: a provincial destruction officer opens the site, with the method and place,
  once at least two witnesses confirmed, at least one from outside the units owning the items; a
  station may be bound to the site, its scans then taken into it (:mod:`custody.site_reads`, where the
  items are scanned out);
* :meth:`BatchSite.withdraw`: an approved item not destroyed goes back to ``sealed``, with a reason;
* :meth:`BatchSite.close`: only when every item of the batch is destroyed or withdrawn; the ledger's
  head (``seq`` and hash) at that moment is recorded in the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from custody.actors import Actor
from custody.audit_queries import open_audit_of_station
from custody.batches import Batches, BatchStatus, checked_method, require_provincial_officer
from custody.clock import from_us
from custody.db.batch_tables import DestructionBatchItemRow, DestructionBatchRow, DestructionBatchWitnessRow
from custody.db.ledger_store import read_head
from custody.db.lookups import ConnectionLookups
from custody.db.tables import ItemRow, StationRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import Message, TransitionRefused, UnknownStation
from custody.intake import clean_text
from custody.items import Items
from custody.list_acts import Target
from custody.model import EventType, ItemState
from custody.numbers import canonical_number
from custody.stations import UNKNOWN_STATION

NOT_APPROVED = Message(
    "batch.not_approved", "destruction batch {batch_id} is {status}: witnesses confirm an approved batch"
)
SITE_NOT_OPEN = Message(
    "batch.site_not_open", "destruction batch {batch_id} is {status}: its site is not open"
)
WITNESS_IN_CHAIN = Message(
    "batch.witness_in_chain",
    "{username} took part in the custody of {evidence_no}: a witness is independent of every item of "
    "the batch",
)
WITNESS_TWICE = Message("batch.witness_twice", "{username} already witnesses destruction batch {batch_id}")
WITNESS_IS_OFFICER = Message(
    "batch.witness_is_officer", "{username} records or destroys the items: the witnesses are other people"
)
TWO_WITNESSES = Message(
    "batch.two_witnesses",
    "destruction batch {batch_id} has {count} witness(es): its site opens once at least two confirmed",
)
NONE_FROM_OUTSIDE = Message(
    "batch.none_from_outside",
    "destruction batch {batch_id}: at least one witness comes from outside the units owning its items",
)
UNACCOUNTED = Message(
    "batch.unaccounted",
    "destruction batch {batch_id} closes when every approved item is destroyed or withdrawn: {numbers} not",
)
STATION_AUDITING = Message(
    "batch.station_auditing", "station {name} reads for audit {audit_id}: it reads for one thing at a time"
)
STATION_AT_SITE = Message(
    "batch.station_at_site", "station {name} reads for the site of destruction batch {batch_id} already"
)
NOT_IN_BATCH = Message("batch.item_not_in_batch", "{evidence_no} is not an approved item of batch {batch_id}")

_batches = cast(Table, DestructionBatchRow.__table__)
_batch_items = cast(Table, DestructionBatchItemRow.__table__)
_witnesses = cast(Table, DestructionBatchWitnessRow.__table__)
_items = cast(Table, ItemRow.__table__)
_users = cast(Table, UserRow.__table__)
_stations = cast(Table, StationRow.__table__)


@dataclass(frozen=True, slots=True)
class Witness:
    username: str
    full_name: str
    unit_code: str
    confirmed_at: str
    user_id: int


@dataclass(frozen=True, slots=True)
class Site:
    """What the batch records of its site: witnesses, method and place, who opened it and when, and the
    ledger's head when it closed."""

    batch_id: int
    status: BatchStatus
    witnesses: tuple[Witness, ...]
    method: str | None
    place: str | None
    officer: str | None
    opened_at: str | None
    closed_at: str | None
    closed_seq: int | None
    closed_hash: str | None
    station: str | None  # the station whose scans are taken into the open site
    officer_id: int | None  # who opened the site (a bound station's reads are on their behalf)


class BatchSite:
    """The site of a batch: witnesses, the site session, withdrawals and closing."""

    def __init__(self, store: Store, items: Items, batches: Batches) -> None:
        self.store = store
        self.items = items
        self.batches = batches

    def witness(self, actor: Actor, batch_id: int, person: Actor) -> Site:
        """Record ``person`` (authenticated by the entry point) as a witness of the approved batch."""
        require_provincial_officer(actor, "record the witnesses of destruction")
        found = self.batches.get(actor, batch_id)
        if found.status is not BatchStatus.APPROVED:
            raise TransitionRefused(NOT_APPROVED, batch_id=batch_id, status=found.status.value)
        if person.id == actor.id:
            raise TransitionRefused(WITNESS_IS_OFFICER, username=person.username)

        def change(conn: Connection) -> None:
            lookups = ConnectionLookups(conn)
            for item_id, number in conn.execute(
                select(_items.c.id, _items.c.evidence_no)
                .join(_batch_items, _batch_items.c.item_id == _items.c.id)
                .where(_batch_items.c.batch_id == batch_id)
                .order_by(_items.c.evidence_no)
            ):
                if person.id in lookups.custody_chain(item_id):
                    raise TransitionRefused(WITNESS_IN_CHAIN, username=person.username, evidence_no=number)
            known = conn.execute(
                select(_witnesses.c.user_id).where(
                    _witnesses.c.batch_id == batch_id, _witnesses.c.user_id == person.id
                )
            ).first()
            if known is not None:
                raise TransitionRefused(WITNESS_TWICE, username=person.username, batch_id=batch_id)
            conn.execute(
                insert(_witnesses).values(
                    batch_id=batch_id,
                    user_id=person.id,
                    recorded_by_id=actor.id,
                    confirmed_at_us=self.store.now_us(),
                )
            )

        self.store.write(change)
        return self.site(actor, batch_id)

    def open(self, actor: Actor, batch_id: int, method: str, place: str, station: str | None = None) -> Site:
        """Open the site of the approved batch: two witnesses confirmed, one from outside its units.
        ``station``: a station whose scans are taken into the site (on behalf of ``actor``)."""
        require_provincial_officer(actor, "open a destruction site")
        how = checked_method(method)
        where = clean_text(place, "place", required=True) or ""
        bound = None if station is None else clean_text(station, "station", required=True)
        found = self.batches.get(actor, batch_id)
        if found.status is not BatchStatus.APPROVED:
            raise TransitionRefused(NOT_APPROVED, batch_id=batch_id, status=found.status.value)
        site = self.site(actor, batch_id)
        if len(site.witnesses) < 2:
            raise TransitionRefused(TWO_WITNESSES, batch_id=batch_id, count=len(site.witnesses))
        owners = {i.unit_code for i in found.items}
        if all(w.unit_code in owners for w in site.witnesses):
            raise TransitionRefused(NONE_FROM_OUTSIDE, batch_id=batch_id)
        if any(w.username == actor.username for w in site.witnesses):
            raise TransitionRefused(WITNESS_IS_OFFICER, username=actor.username)

        def change(conn: Connection) -> None:
            if bound is not None:
                self._check_station(conn, actor, bound)
            done = conn.execute(
                update(_batches)
                .where(_batches.c.id == batch_id, _batches.c.status == BatchStatus.APPROVED.value)
                .values(
                    status=BatchStatus.SITE.value,
                    site_method=how.value,
                    site_place=where,
                    site_officer_id=actor.id,
                    site_opened_at_us=self.store.now_us(),
                    site_station_name=bound,
                )
            )
            if done.rowcount != 1:
                raise TransitionRefused(NOT_APPROVED, batch_id=batch_id, status="changed")

        self.store.write(change)
        return self.site(actor, batch_id)

    def withdraw(self, actor: Actor, batch_id: int, evidence_no: str, reason: str) -> Site:
        """An approved item of the batch not destroyed goes back to sealed, with a reason."""
        require_provincial_officer(actor, "withdraw items from destruction")
        number = canonical_number(evidence_no)
        found = self.batches.get(actor, batch_id)
        if found.status not in (BatchStatus.APPROVED, BatchStatus.SITE) or not any(
            i.evidence_no == number and i.state is ItemState.APPROVED for i in found.items
        ):
            raise TransitionRefused(NOT_IN_BATCH, evidence_no=number, batch_id=batch_id)
        targets: list[Target] = [(number, None)]
        payload = {"batch_id": batch_id, "reason": reason}
        self.items.act_list(actor, EventType.WITHDRAWN_FROM_BATCH, targets, payload)
        return self.site(actor, batch_id)

    def close(self, actor: Actor, batch_id: int) -> Site:
        """Close the batch once every approved item is destroyed or withdrawn; fix the ledger's head."""
        require_provincial_officer(actor, "close destruction batches")
        self._open_site(actor, batch_id)

        def change(conn: Connection) -> None:
            left = list(
                conn.execute(
                    select(_items.c.evidence_no)
                    .join(_batch_items, _batch_items.c.item_id == _items.c.id)
                    .where(_batch_items.c.batch_id == batch_id, _items.c.state == ItemState.APPROVED.value)
                    .order_by(_items.c.evidence_no)
                ).scalars()
            )
            if left:
                raise TransitionRefused(UNACCOUNTED, batch_id=batch_id, numbers=", ".join(left))
            head = read_head(conn)
            done = conn.execute(
                update(_batches)
                .where(_batches.c.id == batch_id, _batches.c.status == BatchStatus.SITE.value)
                .values(
                    status=BatchStatus.CLOSED.value,
                    closed_at_us=self.store.now_us(),
                    closed_seq=head.seq,
                    closed_hash=head.hash,
                )
            )
            if done.rowcount != 1:
                raise TransitionRefused(SITE_NOT_OPEN, batch_id=batch_id, status="changed")

        self.store.write(change)
        return self.site(actor, batch_id)

    def site(self, viewer: Actor | None, batch_id: int) -> Site:
        """What the batch records of its site (the batch in the viewer's scope, else unknown)."""
        self.batches.get(viewer, batch_id)
        with self.store.reading() as conn:
            return read_site(conn, batch_id)

    # ------------------------------------------------------------------------------------- inside

    def _open_site(self, actor: Actor, batch_id: int) -> Site:
        site = self.site(actor, batch_id)
        if site.status is not BatchStatus.SITE:
            raise TransitionRefused(SITE_NOT_OPEN, batch_id=batch_id, status=site.status.value)
        return site

    def _check_station(self, conn: Connection, actor: Actor, name: str) -> None:
        """A live station the officer sees, reading for no open audit and no other open site."""
        row = conn.execute(
            select(_stations.c.unit_code, _stations.c.revoked_at_us).where(_stations.c.name == name)
        ).first()
        if row is None or row[1] is not None or not self.store.sees(actor, row[0], conn):
            raise UnknownStation(UNKNOWN_STATION, name=name)
        audit = open_audit_of_station(conn, name)
        if audit is not None:
            raise TransitionRefused(STATION_AUDITING, name=name, audit_id=audit)
        other = site_of_station(conn, name)
        if other is not None:
            raise TransitionRefused(STATION_AT_SITE, name=name, batch_id=other)


def read_site(conn: Connection, batch_id: int) -> Site:
    """What the batch records of its site (its scope is the caller's to check)."""
    row = conn.execute(select(_batches).where(_batches.c.id == batch_id)).mappings().one()
    officer = None
    if row["site_officer_id"] is not None:
        officer = conn.execute(
            select(_users.c.username).where(_users.c.id == row["site_officer_id"])
        ).scalar_one()
    witnesses = tuple(
        Witness(w.username, w.full_name, w.unit_code, from_us(w.confirmed_at_us).isoformat(), w.id)
        for w in conn.execute(
            select(
                _users.c.id,
                _users.c.username,
                _users.c.full_name,
                _users.c.unit_code,
                _witnesses.c.confirmed_at_us,
            )
            .join(_witnesses, _witnesses.c.user_id == _users.c.id)
            .where(_witnesses.c.batch_id == batch_id)
            .order_by(_witnesses.c.confirmed_at_us, _users.c.username)
        )
    )
    opened, closed = row["site_opened_at_us"], row["closed_at_us"]
    return Site(
        batch_id=batch_id,
        status=BatchStatus(row["status"]),
        witnesses=witnesses,
        method=row["site_method"],
        place=row["site_place"],
        officer=officer,
        opened_at=None if opened is None else from_us(opened).isoformat(),
        closed_at=None if closed is None else from_us(closed).isoformat(),
        closed_seq=row["closed_seq"],
        closed_hash=row["closed_hash"],
        station=row["site_station_name"],
        officer_id=row["site_officer_id"],
    )


def site_of_station(conn: Connection, station: str) -> int | None:
    """The batch whose open site the station reads for, if any."""
    found: int | None = conn.execute(
        select(_batches.c.id).where(
            _batches.c.site_station_name == station, _batches.c.status == BatchStatus.SITE.value
        )
    ).scalar_one_or_none()
    return found
