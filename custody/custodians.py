"""A change of custodian (保管人变更): a unit's store passes to another custodian of the same unit.

Every item of the store the old custodian holds (accepted, sealed or not) passes to the new one in one
writer act (``custodian_changed`` on each item), the intact seals they made with it; and the store is
marked as needing a full audit (a ``store_marks`` row, cleared by that audit). The old custodian acts
(or an administrator, for a custodian who is gone); the new one confirms with their own credentials,
which the entry point proves before it calls here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.db.storage_tables import SealRow, StoreMarkRow
from custody.db.tables import ItemRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import Message, SecondPersonNotConfirmed, TransitionRefused
from custody.items import Items
from custody.list_acts import Acted, Target
from custody.model import EventType, ItemState, Role, SealStatus
from custody.records import Item

NOTHING_TO_HAND_ON = Message(
    "custodian.nothing_to_hand_on", "no item of the store of unit {unit_code} is in the custody of {username}"
)
STORE_CHANGED = Message(
    "custodian.store_changed", "the store of unit {unit_code} changed meanwhile: try the change again"
)
SAME_PERSON = Message("custodian.same_person", "{username} cannot hand the store on to themselves")

CHANGE_ROLES = frozenset({Role.CUSTODIAN, Role.ADMIN})
NEW_CUSTODIAN = "new custodian"  # the second person of a change, as refusals name them
_IN_STORE = (ItemState.HANDED_OVER.value, ItemState.SEALED.value)

_items = cast(Table, ItemRow.__table__)
_seals = cast(Table, SealRow.__table__)
_marks = cast(Table, StoreMarkRow.__table__)
_users = cast(Table, UserRow.__table__)


@dataclass(frozen=True)
class CustodianChange:
    """What a change of custodian did: the items handed on, the new custodian, the audit mark."""

    unit_code: str
    to: str
    items: tuple[Item, ...]
    mark_id: int
    marked_seq: int  # the ledger seq of the change's last event


class Custodians:
    """Changes of a store's custodian."""

    def __init__(self, store: Store, items: Items) -> None:
        self.store = store
        self.items = items

    def change(self, actor: Actor, unit_code: str, new_custodian: Actor) -> CustodianChange:
        """Hand every item of the unit's store that ``actor`` holds to ``new_custodian`` (already
        confirmed by their own credentials). An administrator who is no custodian hands on every item
        of the store that the new custodian does not hold already."""
        require_role(actor, CHANGE_ROLES, "change the custodian of a store")
        self.store.require_unit(actor, unit_code, "change the custodian of the store of")
        if not self.store.sees(actor, new_custodian.unit_code):
            raise SecondPersonNotConfirmed(NEW_CUSTODIAN)
        if new_custodian.id == actor.id:
            raise TransitionRefused(SAME_PERSON, username=actor.username)
        held = [
            _items.c.unit_code == unit_code,
            _items.c.state.in_(_IN_STORE),
            _items.c.custodian_user_id.is_not(None),
        ]
        if Role.CUSTODIAN in actor.roles or Role.ADMIN not in actor.roles:
            held.append(_items.c.custodian_user_id == actor.id)
        else:
            held.append(_items.c.custodian_user_id != new_custodian.id)
        with self.store.reading() as conn:
            rows = conn.execute(
                select(_items.c.evidence_no, _items.c.custodian_user_id, _users.c.username)
                .join(_users, _users.c.id == _items.c.custodian_user_id)
                .where(*held)
                .order_by(_items.c.evidence_no)
            ).all()
        if not rows:
            raise TransitionRefused(NOTHING_TO_HAND_ON, unit_code=unit_code, username=actor.username)
        previous = {row[1] for row in rows}
        names = ", ".join(sorted({row[2] for row in rows}))
        done: dict[str, int] = {}

        def record(conn: Connection, acted: Sequence[Acted]) -> None:
            # every item held is handed on: one accepted since the list was read refuses the change
            if conn.execute(select(func.count()).select_from(_items).where(*held)).scalar_one():
                raise TransitionRefused(STORE_CHANGED, unit_code=unit_code)
            conn.execute(
                update(_seals)
                .where(
                    _seals.c.unit_code == unit_code,
                    _seals.c.status == SealStatus.INTACT.value,
                    _seals.c.custodian_id.in_(sorted(previous)),
                )
                .values(custodian_id=new_custodian.id)
            )
            seq = acted[-1].head.seq
            done["seq"] = seq
            done["mark"] = conn.execute(
                insert(_marks)
                .values(
                    unit_code=unit_code,
                    reason=f"custodian change: {names} → {new_custodian.username}",
                    marked_at_us=self.store.now_us(),
                    marked_seq=seq,
                    cleared_at_us=None,
                )
                .returning(_marks.c.id)
            ).scalar_one()

        targets: list[Target] = [(row[0], None) for row in rows]
        payload = {"to": new_custodian.username}
        acted = self.items.act_list(actor, EventType.CUSTODIAN_CHANGED, targets, payload, also=record)
        items = tuple(each.item for each in acted)
        return CustodianChange(unit_code, new_custodian.username, items, done["mark"], done["seq"])
