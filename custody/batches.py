"""Provincial destruction batches (销毁批次): a destruction officer of the province builds a batch from
open destruction applications, with the planned method, place and date; another provincial destruction
officer approves it with their own credentials.

Each act is one writer act over every item it concerns (:meth:`custody.items.Items.act_list`):

* :meth:`Batches.create` / :meth:`Batches.add`: the items of the applications taken are ``batched``
  (one event per item, its application and the batch in the payload), the applications become
  ``batched``; an application, and so an item, is in one batch only (the keys of the batch's tables
  hold it too);
* :meth:`Batches.approve`: every item of the batch ``approved``, the approver recorded as the witness of
  each event; the builder never approves.

A batch concerns the units of its items: outside them it is answered as missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.clock import from_us
from custody.db.batch_tables import (
    DestructionBatchApplicationRow,
    DestructionBatchItemRow,
    DestructionBatchRow,
)
from custody.db.destruction_tables import DestructionApplicationItemRow, DestructionApplicationRow
from custody.db.tables import ItemRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import InvalidInput, Message, NotPermitted, TransitionRefused, UnknownBatch
from custody.intake import clean_text
from custody.items import Items
from custody.lifecycle.batches import is_provincial_officer
from custody.lifecycle.table import parse_date
from custody.list_acts import Acted, Target
from custody.model import ApplicationStatus, EventType, ItemState, Role
from custody.numbers import ItemKind


class BatchStatus(StrEnum):
    OPEN = "open"  # being built: applications may be added
    APPROVED = "approved"  # approved by a second provincial destruction officer
    SITE = "site"  # its site is open: items are scanned out before the witnesses
    CLOSED = "closed"  # every approved item destroyed or withdrawn; the ledger's head recorded


class Method(StrEnum):
    """How the items of a batch are destroyed."""

    SMELTING = "smelting"  # 熔炼
    CUTTING = "cutting"  # 切割
    CRUSHING = "crushing"  # 压碎
    SHREDDING = "shredding"  # 粉碎


UNKNOWN_BATCH = Message("batch.unknown", "unknown destruction batch {batch_id}")
NOT_PROVINCIAL_OFFICER = Message(
    "batch.officer_not_provincial",
    "{username} may not {act}: destruction batches are the province's (a destruction officer of its "
    "public-order department)",
)
UNKNOWN_METHOD = Message("batch.unknown_method", "unknown method {method!r}: one of {methods}")
NO_APPLICATIONS = Message("batch.no_applications", "a batch takes at least one destruction application")
APPLICATION_NOT_OPEN = Message(
    "batch.application_not_open",
    "destruction application {application_id} is {status}: a batch takes open applications only",
)
UNKNOWN_APPLICATION = Message("batch.unknown_application", "unknown destruction application {application_id}")
ONCE_BATCHED = Message(
    "batch.item_once_batched",
    "{evidence_no} was in destruction batch {batch_id} and withdrawn from it: it is not batched again",
)
BATCH_NOT_OPEN = Message("batch.not_open", "destruction batch {batch_id} is {status}: it is no longer built")
BATCH_EMPTY = Message("batch.empty", "destruction batch {batch_id} holds no nominated item")

OFFICERS = frozenset({Role.DESTRUCTION_OFFICER})
READ_ROLES = frozenset({Role.DESTRUCTION_OFFICER, Role.AUDITOR, Role.ADMIN, Role.CUSTODIAN})

_batches = cast(Table, DestructionBatchRow.__table__)
_batch_applications = cast(Table, DestructionBatchApplicationRow.__table__)
_batch_items = cast(Table, DestructionBatchItemRow.__table__)
_applications = cast(Table, DestructionApplicationRow.__table__)
_application_items = cast(Table, DestructionApplicationItemRow.__table__)
_items = cast(Table, ItemRow.__table__)
_users = cast(Table, UserRow.__table__)


@dataclass(frozen=True, slots=True)
class BatchItem:
    evidence_no: str
    kind: ItemKind
    state: ItemState
    unit_code: str
    application_id: int | None
    rounds: int | None
    item_id: int


@dataclass(frozen=True, slots=True)
class Batch:
    """A destruction batch as it stands, with its applications and items."""

    id: int
    created_by: str
    created_at: str  # ISO 8601, UTC
    method: Method
    place: str
    planned_date: str  # YYYY-MM-DD
    status: BatchStatus
    approved_by: str | None
    approved_at: str | None
    application_ids: tuple[int, ...]
    items: tuple[BatchItem, ...]


def require_provincial_officer(actor: Actor, act: str) -> None:
    require_role(actor, OFFICERS, act)
    if not is_provincial_officer(actor):
        raise NotPermitted(NOT_PROVINCIAL_OFFICER, username=actor.username, act=act)


def checked_method(value: str) -> Method:
    try:
        return Method(value)
    except ValueError:
        raise InvalidInput(
            UNKNOWN_METHOD, "method", method=value, methods=", ".join(m.value for m in Method)
        ) from None


class Batches:
    """Provincial destruction batches, each act one transaction over every item it concerns."""

    def __init__(self, store: Store, items: Items) -> None:
        self.store = store
        self.items = items

    def create(
        self, actor: Actor, method: str, place: str, planned_date: str, application_ids: Sequence[int]
    ) -> Batch:
        """Build a batch from open applications: their items are batched. Returns the open batch."""
        require_provincial_officer(actor, "build destruction batches")
        how = checked_method(method)
        where = clean_text(place, "place", required=True) or ""
        when = parse_date(planned_date, "date").isoformat()
        made: dict[str, int] = {}

        def insert_batch(conn: Connection) -> int:
            made["id"] = conn.execute(
                insert(_batches)
                .values(
                    created_by_id=actor.id,
                    created_at_us=self.store.now_us(),
                    method=how.value,
                    place=where,
                    planned_date=when,
                    status=BatchStatus.OPEN.value,
                )
                .returning(_batches.c.id)
            ).scalar_one()
            return made["id"]

        self._take(actor, insert_batch, application_ids)
        return self.get(actor, made["id"])

    def add(self, actor: Actor, batch_id: int, application_ids: Sequence[int]) -> Batch:
        """Add open applications to an open batch: their items are batched."""
        require_provincial_officer(actor, "build destruction batches")
        self._require_open(self.get(actor, batch_id))

        def the_batch(conn: Connection) -> int:
            status = conn.execute(select(_batches.c.status).where(_batches.c.id == batch_id)).scalar_one()
            if status != BatchStatus.OPEN.value:
                raise TransitionRefused(BATCH_NOT_OPEN, batch_id=batch_id, status=status)
            return batch_id

        self._take(actor, the_batch, application_ids)
        return self.get(actor, batch_id)

    def approve(self, actor: Actor, batch_id: int, approver: Actor) -> Batch:
        """Approve the open batch, ``approver`` (another provincial destruction officer, authenticated by
        the entry point) confirming: every item of it is approved."""
        require_provincial_officer(actor, "approve destruction batches")
        found = self.get(actor, batch_id)
        self._require_open(found)
        with self.store.reading() as conn:
            builder_id = conn.execute(
                select(_batches.c.created_by_id).where(_batches.c.id == batch_id)
            ).scalar_one()
        targets: list[Target] = [(i.evidence_no, None) for i in found.items if i.state is ItemState.NOMINATED]
        if not targets:
            raise TransitionRefused(BATCH_EMPTY, batch_id=batch_id)

        def record(conn: Connection, _acted: Sequence[Acted]) -> None:
            changed = conn.execute(
                update(_batches)
                .where(_batches.c.id == batch_id, _batches.c.status == BatchStatus.OPEN.value)
                .values(
                    status=BatchStatus.APPROVED.value,
                    approved_by_id=approver.id,
                    approved_at_us=self.store.now_us(),
                )
            )
            if changed.rowcount != 1:
                raise TransitionRefused(BATCH_NOT_OPEN, batch_id=batch_id, status="decided")

        payload = {"batch_id": batch_id, "builder_id": builder_id}
        self.items.act_list(actor, EventType.APPROVED, targets, payload, witness=approver, also=record)
        return self.get(actor, batch_id)

    def get(self, viewer: Actor | None, batch_id: int) -> Batch:
        """The batch with its items, if it concerns the viewer (the units of its items)."""
        if viewer is not None:
            require_role(viewer, READ_ROLES, "read destruction batches")
        with self.store.reading() as conn:
            return visible_batch(conn, self.store, viewer, batch_id)

    # ------------------------------------------------------------------------------------- inside

    @staticmethod
    def _require_open(found: Batch) -> None:
        if found.status is not BatchStatus.OPEN:
            raise TransitionRefused(BATCH_NOT_OPEN, batch_id=found.id, status=found.status.value)

    def _take(self, actor: Actor, batch: Any, application_ids: Sequence[int]) -> None:
        """Batch the items of the open applications named, in one writer act; ``batch(conn)`` gives the
        batch's id inside the transaction (making the batch when it is new)."""
        taken = sorted(set(application_ids))
        if not taken:
            raise InvalidInput(NO_APPLICATIONS, "applications")
        numbers: list[str] = []
        with self.store.reading() as conn:
            for application_id in taken:
                status = conn.execute(
                    select(_applications.c.status).where(_applications.c.id == application_id)
                ).scalar_one_or_none()
                if status is None:
                    raise TransitionRefused(UNKNOWN_APPLICATION, application_id=application_id)
                if status != ApplicationStatus.OPEN.value:
                    raise TransitionRefused(
                        APPLICATION_NOT_OPEN, application_id=application_id, status=status
                    )
                numbers += conn.execute(
                    select(_items.c.evidence_no)
                    .join(_application_items, _application_items.c.item_id == _items.c.id)
                    .where(_application_items.c.application_id == application_id)
                    .order_by(_items.c.evidence_no)
                ).scalars()
            once = conn.execute(  # an item is in one batch only, ever (withdrawn from it or not)
                select(_items.c.evidence_no, _batch_items.c.batch_id)
                .join(_batch_items, _batch_items.c.item_id == _items.c.id)
                .where(_items.c.evidence_no.in_(numbers))
                .order_by(_items.c.evidence_no)
            ).first()
            if once is not None:
                raise TransitionRefused(ONCE_BATCHED, evidence_no=once[0], batch_id=once[1])
        made: dict[str, int] = {}

        def prepare(conn: Connection, _items: Sequence[Any]) -> Mapping[str, Any]:
            made["id"] = batch(conn)
            return {"batch_id": made["id"], "application_ids": taken}

        def record(conn: Connection, acted: Sequence[Acted]) -> None:
            for application_id in taken:
                changed = conn.execute(
                    update(_applications)
                    .where(
                        _applications.c.id == application_id,
                        _applications.c.status == ApplicationStatus.OPEN.value,
                    )
                    .values(status=ApplicationStatus.BATCHED.value)
                )
                if changed.rowcount != 1:
                    raise TransitionRefused(
                        APPLICATION_NOT_OPEN, application_id=application_id, status="decided"
                    )
            conn.execute(
                insert(_batch_applications),
                [{"batch_id": made["id"], "application_id": a} for a in taken],
            )
            rows = [{"batch_id": made["id"], "item_id": each.item.id} for each in acted]
            conn.execute(insert(_batch_items), rows)

        targets: list[Target] = [(number, None) for number in numbers]
        self.items.act_list(actor, EventType.BATCHED, targets, prepare, also=record)


def visible_batch(conn: Connection, store: Store, viewer: Actor | None, batch_id: int) -> Batch:
    """The batch with its items if it concerns the viewer (the units of its items), else unknown."""
    found = _read(conn, batch_id)
    units = set() if found is None else {i.unit_code for i in found.items}
    seen = viewer is None or any(store.sees(viewer, unit, conn) for unit in units)
    if found is None or not seen:
        raise UnknownBatch(UNKNOWN_BATCH, batch_id=batch_id)
    return found


def _read(conn: Connection, batch_id: int) -> Batch | None:
    builder = _users.alias("builder")
    approver = _users.alias("approver")
    row = (
        conn.execute(
            select(_batches, builder.c.username.label("builder"), approver.c.username.label("approver"))
            .join(builder, builder.c.id == _batches.c.created_by_id)
            .outerjoin(approver, approver.c.id == _batches.c.approved_by_id)
            .where(_batches.c.id == batch_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    taken = tuple(
        conn.execute(
            select(_batch_applications.c.application_id)
            .where(_batch_applications.c.batch_id == batch_id)
            .order_by(_batch_applications.c.application_id)
        ).scalars()
    )
    items = conn.execute(
        select(
            _items.c.id,
            _items.c.evidence_no,
            _items.c.kind,
            _items.c.state,
            _items.c.unit_code,
            _items.c.quantity_rounds,
            _application_items.c.application_id,
        )
        .join(_batch_items, _batch_items.c.item_id == _items.c.id)
        .outerjoin(
            _application_items,
            (_application_items.c.item_id == _items.c.id)
            & _application_items.c.application_id.in_(taken or (-1,)),
        )
        .where(_batch_items.c.batch_id == batch_id)
        .order_by(_items.c.evidence_no)
    )
    approved = row["approved_at_us"]
    return Batch(
        id=row["id"],
        created_by=row["builder"],
        created_at=from_us(row["created_at_us"]).isoformat(),
        method=Method(row["method"]),
        place=row["place"],
        planned_date=row["planned_date"],
        status=BatchStatus(row["status"]),
        approved_by=row["approver"],
        approved_at=None if approved is None else from_us(approved).isoformat(),
        application_ids=taken,
        items=tuple(
            BatchItem(
                evidence_no=i.evidence_no,
                kind=ItemKind(i.kind),
                state=ItemState(i.state),
                unit_code=i.unit_code,
                application_id=i.application_id,
                rounds=i.quantity_rounds,
                item_id=i.id,
            )
            for i in items
        ),
    )
