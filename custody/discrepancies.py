"""Discrepancies an audit found: listed for their unit until resolved; resolved by their owner with a
reason before an auditor other than the owner, who confirms with their own credentials (the entry point
proves them before it calls here).

A resolution of a discrepancy about an item is a ledger event of that item, written in the same
transaction as the discrepancy's row: ``discrepancy_resolved`` (found elsewhere, or a record error
already fixed by a ``corrected`` event), or ``reported_lost`` (报失: the item leaves the store for good,
and the store is marked for a full audit). A discrepancy about a code that names no item of the store
(an unknown code, a void seal) is resolved on its row alone.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import Actor, require_role
from custody.audit_records import Discrepancy
from custody.clock import china_date
from custody.db.audit_tables import DiscrepancyRow
from custody.db.lookups import ConnectionLookups
from custody.db.storage_tables import StoreMarkRow
from custody.db.tables import ItemRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import InvalidInput, Message, TransitionRefused, UnknownDiscrepancy
from custody.intake import clean_text
from custody.lifecycle.audits import CONFIRMER_NOT_AUDITOR, NOT_A_RESOLUTION, OWNER_ROLES
from custody.list_acts import record_act
from custody.model import DiscrepancyStatus, EventType, Resolution, Role
from custody.records import Item

UNKNOWN_DISCREPANCY = Message("discrepancy.unknown", "unknown discrepancy {discrepancy_id}")
NOT_OWNER = Message(
    "discrepancy.not_owner", "discrepancy {discrepancy_id} is owned by {owner}: only its owner resolves it"
)
RESOLVED_ALREADY = Message("discrepancy.resolved", "discrepancy {discrepancy_id} is resolved already")
CONFIRMER_IS_OWNER = Message(
    "discrepancy.confirmer_is_owner", "an auditor other than the owner confirms a resolution"
)
LOST_NEEDS_ITEM = Message(
    "discrepancy.lost_needs_item",
    "discrepancy {discrepancy_id} names no item of the store: nothing to report lost",
)

_discrepancies = cast(Table, DiscrepancyRow.__table__)
_items = cast(Table, ItemRow.__table__)
_users = cast(Table, UserRow.__table__)
_marks = cast(Table, StoreMarkRow.__table__)


class Discrepancies:
    """Audit discrepancies and their resolution."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list(
        self,
        viewer: Actor | None,
        unit_code: str | None = None,
        status: DiscrepancyStatus | None = DiscrepancyStatus.OPEN,
    ) -> list[Discrepancy]:
        """The discrepancies of the units the viewer sees (or of ``unit_code`` and the units below it),
        oldest first."""
        query = (
            select(_discrepancies, _users.c.username)
            .join(_users, _users.c.id == _discrepancies.c.owner_id)
            .order_by(_discrepancies.c.id)
        )
        if status is not None:
            query = query.where(_discrepancies.c.status == status.value)
        with self.store.reading() as conn:
            units = self.store.units(conn, fresh=True)
            return [
                Discrepancy.from_row(row, row["username"])
                for row in conn.execute(query).mappings()
                if self.store.sees(viewer, row["unit_code"], conn)
                and (unit_code is None or units.within(row["unit_code"], unit_code))
            ]

    def get(self, viewer: Actor | None, discrepancy_id: int) -> Discrepancy:
        with self.store.reading() as conn:
            return self._find(conn, viewer, discrepancy_id)

    def resolve(
        self, owner: Actor, discrepancy_id: int, resolution: str, reason: str, confirmer: Actor | None
    ) -> Discrepancy:
        """Resolve the discrepancy (its owner) before ``confirmer`` (an auditor other than the owner)."""
        require_role(owner, OWNER_ROLES, "resolve discrepancies")
        chosen = _resolution(resolution)
        why = clean_text(reason, "reason", required=True) or ""
        if confirmer is None or confirmer.id == owner.id:
            raise TransitionRefused(CONFIRMER_IS_OWNER)
        if Role.AUDITOR not in confirmer.roles:
            raise TransitionRefused(CONFIRMER_NOT_AUDITOR, username=confirmer.username)

        def change(conn: Connection) -> Discrepancy:
            found = self._find(conn, owner, discrepancy_id)
            if found.status is not DiscrepancyStatus.OPEN:
                raise TransitionRefused(RESOLVED_ALREADY, discrepancy_id=discrepancy_id)
            if found.owner_id != owner.id:
                raise TransitionRefused(NOT_OWNER, discrepancy_id=discrepancy_id, owner=found.owner or "")
            if not self.store.sees(confirmer, found.unit_code, conn):
                raise TransitionRefused(CONFIRMER_NOT_AUDITOR, username=confirmer.username)
            now = self.store.now_us()
            seq = None
            if found.item_id is not None:
                seq = self._record(conn, found, chosen, why, owner, confirmer, now)
            elif chosen is Resolution.REPORTED_LOST:
                raise TransitionRefused(LOST_NEEDS_ITEM, discrepancy_id=discrepancy_id)
            conn.execute(
                update(_discrepancies)
                .where(
                    _discrepancies.c.id == discrepancy_id,
                    _discrepancies.c.status == DiscrepancyStatus.OPEN.value,
                )
                .values(
                    status=DiscrepancyStatus.RESOLVED.value,
                    resolution=chosen.value,
                    reason=why,
                    resolved_by_id=owner.id,
                    confirmed_by_id=confirmer.id,
                    resolved_at_us=now,
                    resolved_seq=seq,
                )
            )
            if chosen is Resolution.REPORTED_LOST:
                conn.execute(
                    insert(_marks).values(
                        unit_code=found.unit_code,
                        reason="item reported lost",
                        marked_at_us=now,
                        marked_seq=seq,
                    )
                )
            return self._find(conn, owner, discrepancy_id)

        return self.store.write(change)

    def _record(
        self,
        conn: Connection,
        found: Discrepancy,
        chosen: Resolution,
        why: str,
        owner: Actor,
        confirmer: Actor,
        now: int,
    ) -> int:
        """The resolution's ledger event on the discrepancy's item; its seq."""
        event = (
            EventType.REPORTED_LOST if chosen is Resolution.REPORTED_LOST else EventType.DISCREPANCY_RESOLVED
        )
        transition = lifecycle.transition_for(event)
        row = conn.execute(select(_items).where(_items.c.id == found.item_id)).mappings().one()
        item = Item.from_row(row)
        payload = {
            "discrepancy_id": found.id,
            "audit_id": found.audit_id,
            "finding": found.finding.value,
            "resolution": chosen.value,
            "reason": why,
        }
        lookups = ConnectionLookups(conn, lambda unit: self.store.sees(owner, unit, conn))
        attempt = lifecycle.Attempt(event, item, owner, payload, china_date(now), lookups, confirmer)
        transition.check(attempt)
        _after, head = record_act(
            conn, transition, item, transition.record(attempt), owner, now, "", "", confirmer
        )
        return head.seq

    def _find(self, conn: Connection, viewer: Actor | None, discrepancy_id: int) -> Discrepancy:
        row = (
            conn.execute(
                select(_discrepancies, _users.c.username)
                .join(_users, _users.c.id == _discrepancies.c.owner_id)
                .where(_discrepancies.c.id == discrepancy_id)
            )
            .mappings()
            .first()
        )
        if row is None or not self.store.sees(viewer, row["unit_code"], conn):
            raise UnknownDiscrepancy(UNKNOWN_DISCREPANCY, discrepancy_id=discrepancy_id)
        return Discrepancy.from_row(row, row["username"])


def _resolution(value: str) -> Resolution:
    try:
        return Resolution(value)
    except ValueError:
        raise InvalidInput(
            NOT_A_RESOLUTION, "resolution", resolution=value, allowed=", ".join(r.value for r in Resolution)
        ) from None
