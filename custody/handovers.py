"""Handovers (移交): a clerk offers a list of items of one closed or judged case to a named custodian of
the same-level public-order department (治安); that custodian accepts or refuses it with their own
credentials (they are the acting user of the acceptance).

Each act is one writer transaction over the whole list (:meth:`custody.list_acts.ListActs.act_list`):
every item passes every guard of its row (:mod:`custody.lifecycle.handovers`) or nothing is written and
the refusal names each item with its reason. The ``handovers`` row is written in the same transaction
as the items' events (before them on the offer, so that each event names it), ``handover_items`` after
them. A handover outside the reader's scope is answered as missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from custody.actors import Actor
from custody.cases import Cases
from custody.db.lookups import ConnectionLookups
from custody.db.pages import Page, fetch_page
from custody.db.storage_tables import HandoverItemRow, HandoverRow
from custody.db.tables import CaseRow, EventRow, ItemRow, UnitRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import (
    HandoverDecided,
    Message,
    TransitionRefused,
    UnknownHandover,
)
from custody.handover_slip import HandoverSlip, LedgerPoint, SlipItem, SlipPerson
from custody.intake import clean_text
from custody.items import Items
from custody.lifecycle import refusals
from custody.list_acts import Acted
from custody.model import EventType, HandoverStatus
from custody.records import Item
from custody.report_point import point_in
from custody.storage_records import Handover

UNKNOWN_HANDOVER = Message("handover.unknown", "unknown handover {handover_id}")
HANDOVER_DECIDED = Message("handover.decided", "handover {handover_id} is {status} already")

_handovers = cast(Table, HandoverRow.__table__)
_handover_items = cast(Table, HandoverItemRow.__table__)
_items = cast(Table, ItemRow.__table__)
_cases = cast(Table, CaseRow.__table__)
_users = cast(Table, UserRow.__table__)
_units = cast(Table, UnitRow.__table__)
_events = cast(Table, EventRow.__table__)


class Handovers:
    """Offer, accept, refuse and read handovers, and a handover's slip."""

    def __init__(self, store: Store, items: Items, cases: Cases) -> None:
        self.store = store
        self.items = items
        self.cases = cases

    # ------------------------------------------------------------------------------------------ acts

    def offer(
        self,
        actor: Actor,
        case_no: str,
        custodian_username: str,
        evidence_nos: Sequence[str],
        case_unit: str | None = None,
    ) -> Handover:
        """Offer the items ``evidence_nos`` of case ``case_no`` (of ``case_unit`` when several units in
        the actor's scope use the number) to ``custodian_username``: every item becomes ``offered``, or
        none does."""
        receiver = clean_text(custodian_username, "receiver", required=True) or ""
        made: dict[str, int] = {}

        def prepare(conn: Connection, _items_loaded: Sequence[Item]) -> Mapping[str, Any]:
            case = self.cases.find(conn, actor, case_no, case_unit)
            made["id"] = self._insert(conn, actor, case.id, case.unit_code, receiver)
            return {
                "handover_id": made["id"],
                "receiver": receiver,
                "case_id": case.id,
                "case_no": case.case_no,
            }

        def also(conn: Connection, acted: Sequence[Acted]) -> None:
            rows = [{"handover_id": made["id"], "item_id": done.item.id} for done in acted]
            conn.execute(insert(_handover_items), rows)

        targets = [(number, None) for number in evidence_nos]
        self.items.act_list(actor, EventType.HANDOVER_OFFERED, targets, prepare, also=also)
        return self.get(actor, made["id"])

    def _insert(self, conn: Connection, actor: Actor, case_id: int, unit_code: str, receiver: str) -> int:
        """The handover's row, before its items' events name it. A receiver outside the actor's scope
        is unknown, as a missing one; whether they may receive is each item's row's to say."""
        found = ConnectionLookups(conn, lambda unit: self.store.sees(actor, unit, conn)).user(receiver)
        if found is None:
            raise TransitionRefused(refusals.UNKNOWN_RECEIVER, username=receiver)
        values = {
            "case_id": case_id,
            "unit_code": unit_code,
            "offered_by_id": actor.id,
            "custodian_id": found.id,
            "status": HandoverStatus.OFFERED.value,
            "offered_at_us": self.store.now_us(),
        }
        return int(conn.execute(insert(_handovers).values(**values)).inserted_primary_key[0])  # type: ignore[index]

    def accept(self, actor: Actor, handover_id: int) -> Handover:
        """The named custodian accepts: every item becomes ``handed_over``, in their custody."""
        return self._decide(actor, handover_id, EventType.HANDOVER_ACCEPTED, HandoverStatus.ACCEPTED, None)

    def refuse(self, actor: Actor, handover_id: int, reason: str) -> Handover:
        """The named custodian refuses, with a reason: every item goes back to ``registered``."""
        text = clean_text(reason, "reason", required=True) or ""
        return self._decide(actor, handover_id, EventType.HANDOVER_REFUSED, HandoverStatus.REFUSED, text)

    def _decide(
        self, actor: Actor, handover_id: int, event: EventType, status: HandoverStatus, reason: str | None
    ) -> Handover:
        with self.store.reading() as conn:
            handover = self._load(conn, actor, handover_id)
            targets = [(item.evidence_no, None) for item in _items_of(conn, handover.id)]
            custodian = _username(conn, handover.custodian_id)
        _still_open(handover)
        facts: dict[str, Any] = {
            "handover_id": handover.id,
            "custodian_id": handover.custodian_id,
            "custodian": custodian,
            "offered_by_id": handover.offered_by_id,
        }
        if reason is not None:
            facts["reason"] = reason

        def prepare(conn: Connection, _items_loaded: Sequence[Item]) -> Mapping[str, Any]:
            decided = {
                "status": status.value,
                "decided_at_us": self.store.now_us(),
                "decided_by_id": actor.id,
            }
            done = conn.execute(
                update(_handovers)
                .where(_handovers.c.id == handover.id, _handovers.c.status == HandoverStatus.OFFERED.value)
                .values(**decided, refusal_reason=reason)
            )
            if done.rowcount != 1:  # decided meanwhile
                _still_open(self._load(conn, actor, handover.id))
            return facts

        self.items.act_list(actor, event, targets, prepare)
        return self.get(actor, handover.id)

    # ----------------------------------------------------------------------------------------- reads

    def _load(self, conn: Connection, viewer: Actor | None, handover_id: int) -> Handover:
        row = conn.execute(select(_handovers).where(_handovers.c.id == handover_id)).mappings().first()
        if row is None or not self.store.sees(viewer, row["unit_code"], conn):
            raise UnknownHandover(UNKNOWN_HANDOVER, handover_id=handover_id)
        return Handover.from_row(row)

    def get(self, viewer: Actor | None, handover_id: int) -> Handover:
        """A handover with its case number, both people's usernames and its items."""
        with self.store.reading() as conn:
            return _read(conn, self._load(conn, viewer, handover_id))

    def list(
        self,
        viewer: Actor | None,
        status: HandoverStatus | None = None,
        cursor: str | None = None,
        limit: int = 50,
        custodian_id: int | None = None,
    ) -> Page[Handover]:
        """Handovers of the viewer's unit and the units below, newest first (``status``: only those;
        ``custodian_id``: only those offered to that custodian)."""
        query = select(_handovers)
        if status is not None:
            query = query.where(_handovers.c.status == HandoverStatus(status).value)
        if custodian_id is not None:
            query = query.where(_handovers.c.custodian_id == custodian_id)
        scope = self.store.scope_of(viewer)
        if scope is not None:
            query = query.where(_handovers.c.unit_code.in_(sorted(scope)))
        with self.store.reading() as conn:
            page = fetch_page(conn, query, _handovers.c.id, cursor, limit, Handover.from_row)
            return Page([_read(conn, h) for h in page.rows], page.next_cursor)

    def slip(self, viewer: Actor | None, handover_id: int) -> HandoverSlip:
        """What the handover's slip (移交清单) prints: the items, both people with their units, the
        times, and the ledger events that hold the handover (the last event of each act: the chain up
        to it covers every item's event of that act)."""
        with self.store.reading() as conn:
            handover = _read(conn, self._load(conn, viewer, handover_id))
            people = _people(conn, (handover.offered_by_id, handover.custodian_id))
            units = dict(conn.execute(select(_units.c.code, _units.c.name_zh)).all())
            return HandoverSlip(
                handover_id=handover.id,
                case_no=handover.case_no or "",
                unit_code=handover.unit_code,
                unit_name=str(units.get(handover.unit_code, "")),
                status=handover.status.value,
                offered_by=_person(people[handover.offered_by_id], units),
                custodian=_person(people[handover.custodian_id], units),
                offered_at_us=handover.offered_at_us,
                decided_at_us=handover.decided_at_us,
                refusal_reason=handover.refusal_reason,
                items=tuple(_slip_item(item) for item in handover.items),
                ledger=_ledger_points(conn, handover),
                checkpoint=point_in(conn).checkpoint,
            )


def _still_open(handover: Handover) -> None:
    if handover.status is not HandoverStatus.OFFERED:
        raise HandoverDecided(HANDOVER_DECIDED, handover_id=handover.id, status=handover.status.value)


def _items_of(conn: Connection, handover_id: int) -> tuple[Item, ...]:
    query = (
        select(_items)
        .join(_handover_items, _handover_items.c.item_id == _items.c.id)
        .where(_handover_items.c.handover_id == handover_id)
        .order_by(_items.c.evidence_no)
    )
    return tuple(Item.from_row(row) for row in conn.execute(query).mappings())


def _username(conn: Connection, user_id: int) -> str:
    return str(conn.execute(select(_users.c.username).where(_users.c.id == user_id)).scalar_one())


def _read(conn: Connection, handover: Handover) -> Handover:
    """The handover with its case number, usernames and items."""
    case_no = conn.execute(select(_cases.c.case_no).where(_cases.c.id == handover.case_id)).scalar_one()
    return Handover(
        id=handover.id,
        case_id=handover.case_id,
        unit_code=handover.unit_code,
        offered_by_id=handover.offered_by_id,
        custodian_id=handover.custodian_id,
        status=handover.status,
        offered_at_us=handover.offered_at_us,
        decided_at_us=handover.decided_at_us,
        decided_by_id=handover.decided_by_id,
        refusal_reason=handover.refusal_reason,
        items=_items_of(conn, handover.id),
        case_no=str(case_no),
        offered_by=_username(conn, handover.offered_by_id),
        custodian=_username(conn, handover.custodian_id),
    )


def _people(conn: Connection, ids: Sequence[int]) -> dict[int, Mapping[str, Any]]:
    query = select(_users.c.id, _users.c.username, _users.c.full_name, _users.c.unit_code)
    rows = conn.execute(query.where(_users.c.id.in_(ids))).mappings()
    return {row["id"]: dict(row) for row in rows}


def _person(row: Mapping[str, Any], units: Mapping[str, str]) -> SlipPerson:
    unit = row["unit_code"]
    return SlipPerson(row["username"], row["full_name"], unit, str(units.get(unit, "")))


def _slip_item(item: Item) -> SlipItem:
    return SlipItem(
        item.evidence_no,
        item.kind,
        item.firearm_type,
        item.make_model,
        item.serial_number,
        item.calibre,
        item.quantity_rounds,
    )


_SLIP_EVENTS = (EventType.HANDOVER_OFFERED, EventType.HANDOVER_ACCEPTED, EventType.HANDOVER_REFUSED)


def _ledger_points(conn: Connection, handover: Handover) -> tuple[LedgerPoint, ...]:
    """Per act of the handover, its last event (every item's event of the act lies before it in the
    chain): its seq, its hash, its time."""
    query = (
        select(
            _events.c.seq, _events.c.hash, _events.c.recorded_at_us, _events.c.event_type, _events.c.payload
        )
        .where(
            _events.c.item_id.in_([item.id for item in handover.items]),
            _events.c.event_type.in_([e.value for e in _SLIP_EVENTS]),
        )
        .order_by(_events.c.seq)
    )
    last: dict[str, LedgerPoint] = {}
    for seq, digest, at_us, event_type, payload in conn.execute(query):
        if json.loads(payload).get("handover_id") == handover.id:
            last[event_type] = LedgerPoint(event_type, seq, digest, at_us)
    return tuple(sorted(last.values(), key=lambda point: point.seq))
