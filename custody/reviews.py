"""The disposition queue (处置队列) of a unit's sealed store, and holds of a sealed item's review.

A sealed item carries a review date (set at sealing: :mod:`custody.lifecycle.reviews`). The queue lists,
for the units the viewer sees (or ``unit_code`` and the units below it), the sealed and nominated items
that need a decision: **overdue** (the review date passed), **due** (within the horizon asked for, or
no review date recorded: sealed before review dates existed), **held** (the review date in force was set
by a hold: with its reason and new date) and **nominated** (named in an open destruction application).
A custodian holds an item's review (``review_held``) with a reason and a new date; the queue reads holds
from the ledger, where they are recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.clock import china_date
from custody.db.destruction_tables import DestructionApplicationItemRow, DestructionApplicationRow
from custody.db.tables import CaseRow, EventRow, ItemRow
from custody.db.unit_of_work import UNKNOWN_UNIT, Store
from custody.errors import InvalidInput, Message, UnknownUnit
from custody.intake import clean_text
from custody.items import Items
from custody.model import ApplicationStatus, EventType, ItemState, ReviewStanding, Role
from custody.numbers import ItemKind
from custody.records import Item

HORIZON_RANGE = Message("review.horizon_range", "the horizon is 0 to {limit} days, got {days}")

HOLD_ROLES = frozenset({Role.CUSTODIAN})
QUEUE_ROLES = frozenset({Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER, Role.ADMIN})
DEFAULT_HORIZON_DAYS = 30
MAX_HORIZON_DAYS = 3660
_ORDER = {s: n for n, s in enumerate(ReviewStanding)}

_items = cast(Table, ItemRow.__table__)
_cases = cast(Table, CaseRow.__table__)
_events = cast(Table, EventRow.__table__)
_applications = cast(Table, DestructionApplicationRow.__table__)
_application_items = cast(Table, DestructionApplicationItemRow.__table__)


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    """One item of the disposition queue."""

    evidence_no: str
    kind: ItemKind
    unit_code: str
    case_no: str
    state: ItemState
    seal_no: str | None
    location_code: str | None
    review_due: str | None  # ISO date
    standing: ReviewStanding
    held_reason: str | None = None  # the hold in force: why
    application_id: int | None = None  # the open application naming the item


class Reviews:
    """The disposition queue and review holds."""

    def __init__(self, store: Store, items: Items) -> None:
        self.store = store
        self.items = items

    def hold(
        self, actor: Actor, evidence_no: str, reason: str, until: str, version: int | None = None
    ) -> Item:
        """Hold a sealed item's review until ``until`` (a date after today), for ``reason``; ``version``:
        the item's version the caller read (None: as it is now)."""
        require_role(actor, HOLD_ROLES, "hold reviews")
        why = clean_text(reason, "reason", required=True) or ""
        read = version if version is not None else self.items.item(actor, evidence_no).version
        payload = {"reason": why, "until": until}
        return self.items.act(actor, evidence_no, EventType.REVIEW_HELD, read, payload)

    def queue(
        self,
        viewer: Actor,
        unit_code: str | None = None,
        horizon_days: int = DEFAULT_HORIZON_DAYS,
        today: date | None = None,
    ) -> list[ReviewEntry]:
        """The items of the queue, overdue first, then due, held and nominated; each by review date."""
        require_role(viewer, QUEUE_ROLES, "read the disposition queue")
        if not 0 <= horizon_days <= MAX_HORIZON_DAYS:
            raise InvalidInput(HORIZON_RANGE, "within", limit=MAX_HORIZON_DAYS, days=horizon_days)
        day = today or china_date(self.store.now_us())
        with self.store.reading() as conn:
            units = self._units(conn, viewer, unit_code)
            query = (
                select(_items, _cases.c.case_no)
                .join(_cases, _cases.c.id == _items.c.case_id)
                .where(_items.c.state.in_([ItemState.SEALED.value, ItemState.NOMINATED.value]))
            )
            if units is not None:
                query = query.where(_items.c.unit_code.in_(sorted(units)))
            rows = [Item.from_row(r) for r in conn.execute(query).mappings()]
            holds = _holds_in_force(conn, {i.id for i in rows})
            nominated = _open_applications(conn, {i.id for i in rows if i.state is ItemState.NOMINATED})
        horizon = (day + timedelta(days=horizon_days)).isoformat()
        entries = []
        for item in rows:
            entry = _entry(item, day.isoformat(), horizon, holds.get(item.id), nominated.get(item.id))
            if entry is not None:
                entries.append(entry)
        entries.sort(key=lambda e: (_ORDER[e.standing], e.review_due or "", e.evidence_no))
        return entries

    def _units(self, conn: Connection, viewer: Actor, unit_code: str | None) -> set[str] | None:
        """The units the queue covers (None: all): the viewer's scope, narrowed to ``unit_code``."""
        allowed = self.store.scope_of(viewer, conn)
        if unit_code is None:
            return allowed
        tree = self.store.units(conn, fresh=True)
        if unit_code not in tree:
            raise UnknownUnit(UNKNOWN_UNIT, unit_code=unit_code)
        wanted = tree.below(unit_code)
        return wanted if allowed is None else allowed & wanted


def _entry(
    item: Item, today: str, horizon: str, hold: str | None, application_id: int | None
) -> ReviewEntry | None:
    def entry(standing: ReviewStanding, **more: object) -> ReviewEntry:
        return ReviewEntry(
            item.evidence_no,
            item.kind,
            item.unit_code,
            item.case_no or "",
            item.state,
            item.seal_no,
            item.location_code,
            item.review_due,
            standing,
            **more,  # type: ignore[arg-type]
        )

    if item.state is ItemState.NOMINATED:
        return entry(ReviewStanding.NOMINATED, application_id=application_id)
    due = item.review_due
    if due is not None and due < today:
        return entry(ReviewStanding.OVERDUE, held_reason=hold)
    if hold is not None:
        return entry(ReviewStanding.HELD, held_reason=hold)
    if due is None or due <= horizon:
        return entry(ReviewStanding.DUE)
    return None


def _holds_in_force(conn: Connection, item_ids: set[int]) -> dict[int, str]:
    """The reason of each item's hold whose date is in force: its last ``review_held`` event comes after
    its last ``sealed`` event (a new seal sets a new review date)."""
    if not item_ids:
        return {}
    setting = (
        select(_events.c.item_id, func.max(_events.c.seq).label("seq"))
        .where(_events.c.event_type.in_([EventType.SEALED.value, EventType.REVIEW_HELD.value]))
        .where(_events.c.item_id.in_(select(_items.c.id).where(_items.c.state == ItemState.SEALED.value)))
        .group_by(_events.c.item_id)
        .subquery()
    )
    rows = conn.execute(
        select(_events.c.item_id, _events.c.payload)
        .join(setting, setting.c.seq == _events.c.seq)
        .where(_events.c.event_type == EventType.REVIEW_HELD.value)
    )
    return {item_id: json.loads(payload)["reason"] for item_id, payload in rows if item_id in item_ids}


def _open_applications(conn: Connection, item_ids: set[int]) -> dict[int, int]:
    if not item_ids:
        return {}
    rows = conn.execute(
        select(_application_items.c.item_id, _application_items.c.application_id)
        .join(_applications, _applications.c.id == _application_items.c.application_id)
        .where(_applications.c.status == ApplicationStatus.OPEN.value)
    )
    return {item_id: app_id for item_id, app_id in rows if item_id in item_ids}
