"""Items: registration (:mod:`custody.registration`), the lifecycle acts on an item, and an item's reads.

Each act is one write: load the item in the actor's scope, check (version, role, lifecycle state,
guards: :mod:`custody.lifecycle`), update the current state with a conditional UPDATE on the version
read, append the event to the hash-chained ledger. A refusal raises a
:class:`~custody.errors.CustodyError` and its savepoint is rolled back: nothing of it is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import Actor, require_role
from custody.audit_blind import blind_scopes, item_hidden
from custody.clock import china_date
from custody.db.lookups import ConnectionLookups
from custody.db.tables import CaseRow, EventRow, ItemRow, UserRow
from custody.errors import Message, StaleVersion, TransitionRefused, UnknownItem, UnknownUser
from custody.intake import clean_text
from custody.list_acts import ListActs, record_act
from custody.model import EventType, ItemState
from custody.numbers import EvidenceNumber
from custody.records import Event, Item, Timeline, TimelineRow
from custody.registration import Registration

UNKNOWN_ITEM = Message("item.unknown", "unknown item {evidence_no}")
STALE_VERSION = Message(
    "item.stale_version",
    "{evidence_no} changed since it was read (version {expected_version}, now {version})",
)
UNKNOWN_WITNESS = Message("item.unknown_witness", "unknown witness {username}")
WITNESS_OUT_OF_REACH = Message(
    "item.witness_out_of_reach",
    "witness {username} belongs to unit {unit_code}, which does not hold {evidence_no}: a witness is of the "
    "item's unit or a unit above it",
)

_items = cast(Table, ItemRow.__table__)
_cases = cast(Table, CaseRow.__table__)
_users = cast(Table, UserRow.__table__)
_events = cast(Table, EventRow.__table__)
_TIMELINE = text(
    "SELECT e.seq, e.recorded_at_us, e.event_type, a.username, w.username, e.station, e.device, e.hash "
    "FROM custody_events e LEFT JOIN users a ON a.id = e.actor_id LEFT JOIN users w ON w.id = e.witness_id "
    "WHERE e.item_id = :item_id ORDER BY e.seq DESC"
)
_ITEM_BY_NUMBER = select(_items).where(_items.c.evidence_no == bindparam("evidence_no"))
_ITEM_AND_CASE_BY_NUMBER = (
    select(_items, _cases.c.case_no)
    .join(_cases, _cases.c.id == _items.c.case_id)
    .where(_items.c.evidence_no == bindparam("evidence_no"))
)


class Items(Registration, ListActs):
    """Items of the custody: registered (:class:`~custody.registration.Registration`), acted on, read."""

    # ------------------------------------------------------------------------------------------ acts

    def act(
        self,
        actor: Actor,
        evidence_no: str,
        event: EventType,
        expected_version: int,
        payload: Mapping[str, Any] | None = None,
        witness: str | None = None,
        station: str = "",
        device: str = "",
    ) -> Item:
        """Record one lifecycle act on an item read at ``expected_version``; return the item after it."""
        number = str(EvidenceNumber.parse(evidence_no))
        transition = lifecycle.transition_for(event)
        request = dict(payload or {})

        def change(conn: Connection) -> Item:
            item = self.load(conn, actor, number)
            if item.version != expected_version:
                raise StaleVersion(
                    STALE_VERSION, evidence_no=number, expected_version=expected_version, version=item.version
                )
            require_role(actor, transition.roles, f"record {event.value}")
            lookups = ConnectionLookups(conn, lambda unit: self.store.sees(actor, unit, conn))
            witness_actor = self._witness(conn, lookups, item, witness) if witness else None
            now = self.store.now_us()
            attempt = lifecycle.Attempt(event, item, actor, request, china_date(now), lookups, witness_actor)
            transition.check(attempt)
            recorded = transition.record(attempt)
            after, _head = record_act(
                conn,
                transition,
                item,
                recorded,
                actor,
                now,
                clean_text(station, "station") or "",
                clean_text(device, "device") or "",
                witness_actor,
            )
            return after

        return self.store.write(change)

    def _witness(self, conn: Connection, lookups: ConnectionLookups, item: Item, username: str) -> Actor:
        """A witness is a user of the actor's scope (anyone else is answered as missing) who may see
        the item: of its unit or of a unit above it."""
        found = lookups.user(username)
        if found is None:
            raise UnknownUser(UNKNOWN_WITNESS, username=username)
        if not self.store.sees(found, item.unit_code, conn):
            raise TransitionRefused(
                WITNESS_OUT_OF_REACH,
                username=username,
                unit_code=found.unit_code,
                evidence_no=item.evidence_no,
            )
        return found

    def transfer(self, actor: Actor, evidence_no: str, version: int, to_unit: str, reason: str = "") -> Item:
        return self.act(
            actor, evidence_no, EventType.TRANSFERRED, version, {"to_unit": to_unit, "reason": reason}
        )

    def check_out(
        self, actor: Actor, evidence_no: str, version: int, purpose: str, to: str, due_date: str
    ) -> Item:
        payload = {"purpose": purpose, "to": to, "due_date": due_date}
        return self.act(actor, evidence_no, EventType.CHECKED_OUT, version, payload)

    def return_item(self, actor: Actor, evidence_no: str, version: int, note: str = "") -> Item:
        return self.act(actor, evidence_no, EventType.RETURNED, version, {"note": note})

    def correct(
        self,
        actor: Actor,
        evidence_no: str,
        version: int,
        changes: dict[str, Any],
        reason: str,
        corrects_seq: int | None = None,
        witness: str | None = None,
    ) -> Item:
        """A correction: before the handover offer by the case's clerk; from it on by the custodian, with
        a ``witness`` (a user the entry point has authenticated: their password or session token)."""
        payload = {"changes": changes, "reason": reason, "corrects_seq": corrects_seq}
        return self.act(actor, evidence_no, EventType.CORRECTED, version, payload, witness=witness)

    def bind_tag(
        self,
        actor: Actor,
        evidence_no: str,
        version: int,
        uid: str,
        tag_type: str = "",
        station: str = "",
        device: str = "",
    ) -> Item:
        """Record that the tag ``uid`` (written with the evidence number) now belongs to the item."""
        payload = {"uid": uid, "tag_type": tag_type}
        event = EventType.TAG_BOUND
        return self.act(actor, evidence_no, event, version, payload, station=station, device=device)

    # ----------------------------------------------------------------------------------------- reads

    def load(self, conn: Connection, viewer: Actor | None, number: str, with_case: bool = False) -> Item:
        """The item of this (canonical) number in the viewer's scope; outside it, answered as missing
        (``with_case``: with its case number, in the same statement)."""
        query = _ITEM_AND_CASE_BY_NUMBER if with_case else _ITEM_BY_NUMBER
        row = conn.execute(query, {"evidence_no": number}).mappings().first()
        if row is None or not self.store.sees(viewer, row["unit_code"], conn):
            raise UnknownItem(UNKNOWN_ITEM, evidence_no=number)
        return Item.from_row(row)

    def item(self, viewer: Actor | None, evidence_no: str) -> Item:
        """The item's current state with its case number and full history (events in seq order)."""
        number = str(EvidenceNumber.parse(evidence_no))
        with self.store.reading() as conn:
            item = self.load(conn, viewer, number)
            if item_hidden(blind_scopes(conn, viewer), item.unit_code, item.location_code, item.state.value):
                raise UnknownItem(UNKNOWN_ITEM, evidence_no=number)  # counted blind by this auditor now
            case_no = conn.execute(select(_cases.c.case_no).where(_cases.c.id == item.case_id)).scalar_one()
            return replace(item, case_no=case_no, history=history_of(conn, item.id))

    def timeline(self, viewer: Actor | None, evidence_no: str) -> Timeline:
        """The item and its events as a desk lists them, newest first: one statement for the events,
        the users named in it (what :meth:`item` gives, without the payloads)."""
        number = str(EvidenceNumber.parse(evidence_no))
        with self.store.reading() as conn:
            item = self.load(conn, viewer, number, with_case=True)
            if item_hidden(blind_scopes(conn, viewer), item.unit_code, item.location_code, item.state.value):
                raise UnknownItem(UNKNOWN_ITEM, evidence_no=number)
            read = conn.execute(_TIMELINE, {"item_id": item.id})
            rows = read.cursor.fetchall()  # the driver's own tuples: thousands of events, no Row objects
            read.close()
        made = tuple.__new__  # a row is already the record's tuple: no per-row constructor call
        return Timeline(item, tuple([made(TimelineRow, row) for row in rows]))

    def overdue(self, viewer: Actor | None = None, today: date | None = None) -> list[Item]:
        """Checked-out items whose due date has passed (China Standard Time), oldest first."""
        day = (today or china_date(self.store.now_us())).isoformat()
        query = (
            select(_items, _cases.c.case_no)
            .join(_cases, _cases.c.id == _items.c.case_id)
            .where(_items.c.state == ItemState.CHECKED_OUT.value, _items.c.due_date < day)
            .order_by(_items.c.due_date, _items.c.evidence_no)
        )
        scope = self.store.scope_of(viewer)
        if scope is not None:
            query = query.where(_items.c.unit_code.in_(sorted(scope)))
        with self.store.reading() as conn:
            return [Item.from_row(r) for r in conn.execute(query).mappings()]


def history_of(conn: Connection, item_id: int) -> tuple[Event, ...]:
    """An item's events in seq order, with user names."""
    names = dict(conn.execute(select(_users.c.id, _users.c.username)).all())
    rows = conn.execute(
        select(_events).where(_events.c.item_id == item_id).order_by(_events.c.seq)
    ).mappings()
    return tuple(Event.from_row(r, names) for r in rows)
