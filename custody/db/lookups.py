"""What lifecycle guards may ask of the store (:class:`custody.lifecycle.Lookups`), answered inside the
act's write transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.engine import Connection

from custody.actors import Actor, actor_from_row
from custody.db.audit_tables import DiscrepancyRow
from custody.db.destruction_tables import DestructionApplicationItemRow, DestructionApplicationRow
from custody.db.storage_tables import SealRow
from custody.db.tables import CaseRow, EventRow, ItemRow, UnitRow, UserRow

_items = cast(Table, ItemRow.__table__)
_cases = cast(Table, CaseRow.__table__)
_units = cast(Table, UnitRow.__table__)
_events = cast(Table, EventRow.__table__)
_users = cast(Table, UserRow.__table__)
_seals = cast(Table, SealRow.__table__)
_discrepancies = cast(Table, DiscrepancyRow.__table__)
_applications = cast(Table, DestructionApplicationRow.__table__)
_application_items = cast(Table, DestructionApplicationItemRow.__table__)
_USER_BY_NAME = select(_users).where(_users.c.username == bindparam("username"))


def active_user(conn: Connection, username: str) -> Actor | None:
    """The active user of this name, or None."""
    row = conn.execute(_USER_BY_NAME, {"username": username}).mappings().first()
    return None if row is None or not row["active"] else actor_from_row(row)


class ConnectionLookups:
    """Lookups on one connection. With ``visible`` (the acting user's scope), a user outside it is
    answered as missing, so naming a receiver or a witness tells nothing about the users one may not see.
    """

    def __init__(self, conn: Connection, visible: Callable[[str], bool] | None = None) -> None:
        self._conn = conn
        self._visible = visible

    def user(self, username: str) -> Actor | None:
        found = active_user(self._conn, username)
        if found is None or (self._visible is not None and not self._visible(found.unit_code)):
            return None
        return found

    def unit_exists(self, code: str) -> bool:
        return self._conn.execute(select(_units.c.code).where(_units.c.code == code)).first() is not None

    def case_status(self, case_id: int) -> str:
        return str(self._conn.execute(select(_cases.c.status).where(_cases.c.id == case_id)).scalar_one())

    def item_event_type(self, item_id: int, seq: int) -> str | None:
        return self._conn.execute(
            select(_events.c.event_type).where(_events.c.item_id == item_id, _events.c.seq == seq)
        ).scalar_one_or_none()

    def item_with_tag(self, uid: str) -> str | None:
        """The evidence number of the item holding the tag, or the number of the seal holding it (a
        seal tag is never bound to an item), or None."""
        holder: str | None = self._conn.execute(
            select(_items.c.evidence_no).where(_items.c.tag_uid == uid)
        ).scalar_one_or_none()
        if holder is None:
            holder = self._conn.execute(
                select(_seals.c.seal_no).where(_seals.c.tag_uid == uid)
            ).scalar_one_or_none()
        return holder

    def custody_chain(self, item_id: int) -> frozenset[int]:
        """Who took part in the item's custody: the actor and the witness of each of its events, and
        the person each event handed it to (``receiver_id``, ``custodian_id``, ``to_id`` in its
        payload); a station's sighting and an audit's read or closing take no part in custody."""
        rows = self._conn.execute(
            select(_events.c.actor_id, _events.c.witness_id, _events.c.payload).where(
                _events.c.item_id == item_id, _events.c.event_type.not_in(NOT_CUSTODY)
            )
        )
        people: set[int] = set()
        for actor_id, witness_id, payload in rows:
            people.update(p for p in (actor_id, witness_id) if p is not None)
            named = json.loads(payload)
            people.update(named[key] for key in RECEIVED if isinstance(named.get(key), int))
        return frozenset(people)

    def open_discrepancies(self, item_id: int) -> int:
        return int(
            self._conn.execute(
                select(func.count())
                .select_from(_discrepancies)
                .where(_discrepancies.c.item_id == item_id, _discrepancies.c.status == "open")
            ).scalar_one()
        )

    def sample_kinds(self, item_id: int) -> frozenset[str]:
        return frozenset(
            self._conn.execute(
                select(_items.c.kind).where(_items.c.sample_of_item_id == item_id).distinct()
            ).scalars()
        )

    def open_application(self, item_id: int) -> int | None:
        return self._conn.execute(
            select(_applications.c.id)
            .join(_application_items, _application_items.c.application_id == _applications.c.id)
            .where(_application_items.c.item_id == item_id, _applications.c.status == "open")
            .limit(1)
        ).scalar_one_or_none()


RECEIVED = ("receiver_id", "custodian_id", "to_id")  # payload fields naming who received an item
NOT_CUSTODY = ("sighted", "audit_seen", "audited")  # events that take no part in an item's custody
