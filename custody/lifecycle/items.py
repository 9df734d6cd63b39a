"""The item rows of the transition table.

registered ⇄ checked out; registered → offered → handed over (:mod:`custody.lifecycle.handovers`);
handed over ⇄ checked out (lab); handed over → sealed → nominated → approved → destroyed

Every row names its sources: what may happen to an item in each state is read off the table. An item in
the case team's custody (registered, or checked out from there) is recounted, tagged, consumed and
corrected by the case's clerk; from the offer on, a correction is the custodian's, with a witness, and a
sealed item is recounted or tagged only once unsealed. A destroyed item undergoes nothing but a correction
of its record with a witness.

Each act on an item is a :class:`~custody.lifecycle.table.Transition` registered here; its guards see an
:class:`~custody.lifecycle.table.Attempt` (the item as a typed :class:`~custody.records.Item`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custody.errors import InvalidInput, NotPermitted, TransitionRefused
from custody.lifecycle import refusals
from custody.lifecycle.table import (
    Attempt,
    Changes,
    Payload,
    Transition,
    optional_text,
    parse_date,
    required_text,
    transition,
)
from custody.model import CheckoutPurpose, EventType, ItemState, Role
from custody.numbers import ItemKind
from custody.records import ITEM_COLUMNS, Item

# ---------------------------------------------------------------------------------------------- guards


def target_unit_exists(attempt: Attempt) -> None:
    to_unit = required_text(attempt.payload, "to_unit")
    if not attempt.lookups.unit_exists(to_unit):
        raise TransitionRefused(refusals.TARGET_UNIT_UNKNOWN, unit_code=to_unit)
    if to_unit == attempt.item.unit_code:
        raise TransitionRefused(refusals.SAME_UNIT, evidence_no=attempt.item.evidence_no, unit_code=to_unit)


def valid_checkout(attempt: Attempt) -> None:
    purpose = required_text(attempt.payload, "purpose")
    if purpose not in {p.value for p in CheckoutPurpose}:
        raise InvalidInput(
            refusals.PURPOSE_UNKNOWN, "purpose", purposes=", ".join(p.value for p in CheckoutPurpose)
        )
    if attempt.item.state is ItemState.HANDED_OVER and purpose != CheckoutPurpose.LAB.value:
        raise TransitionRefused(
            refusals.LAB_ONLY_FROM_STORE, evidence_no=attempt.item.evidence_no, purpose=purpose
        )
    required_text(attempt.payload, "to")
    due = parse_date(required_text(attempt.payload, "due_date"), "due_date")
    if due < attempt.today:
        raise TransitionRefused(refusals.DUE_IN_PAST, due_date=due.isoformat())


def holder_lets_it_go(attempt: Attempt) -> None:
    """An item in the store leaves it (and comes back) through its own custodian; an item in case custody
    through a clerk."""
    item = attempt.item
    in_store = (item.state if attempt.event is EventType.CHECKED_OUT else checked_out_from(item)) is (
        ItemState.HANDED_OVER
    )
    if in_store:
        if item.custodian_user_id != attempt.actor.id:
            raise NotPermitted(refusals.RELEASED_BY_ITS_CUSTODIAN, evidence_no=item.evidence_no)
    elif Role.CLERK not in attempt.actor.roles:
        raise NotPermitted(refusals.OUT_OF_THE_STORE_BY_A_CLERK, evidence_no=item.evidence_no)


def checked_out_from(item: Item) -> ItemState:
    """The state a check-out left (checks-out recorded before it was kept left case custody)."""
    left = item.checked_out_from
    return ItemState.REGISTERED if left is None else ItemState(left)


def normal_uid(value: object) -> str:
    """A tag UID as upper-case hex: 4, 7 or 10 bytes (ISO/IEC 14443 single, double, triple size)."""
    if not isinstance(value, str):
        raise InvalidInput(refusals.UID_NOT_TEXT, "uid")
    uid = value.strip().replace(":", "").upper()
    if len(uid) not in (8, 14, 20) or any(c not in "0123456789ABCDEF" for c in uid):
        raise InvalidInput(refusals.UID_SHAPE, "uid", uid=value)
    return uid


def tag_free_for_item(attempt: Attempt) -> None:
    uid = normal_uid(attempt.payload.get("uid"))
    holder = attempt.lookups.item_with_tag(uid)
    if holder is not None and holder != attempt.item.evidence_no:
        raise TransitionRefused(refusals.TAG_TAKEN, uid=uid)


def valid_count(attempt: Attempt) -> None:
    quantity = attempt.payload.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise InvalidInput(refusals.COUNT_INVALID, "quantity")
    required_text(attempt.payload, "reason")


def enough_rounds(attempt: Attempt) -> None:
    rounds = attempt.payload.get("rounds")
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds <= 0:
        raise InvalidInput(refusals.ROUNDS_INVALID, "rounds")
    have = attempt.item.quantity_rounds or 0
    if rounds > have:
        raise TransitionRefused(
            refusals.NOT_ENOUGH_ROUNDS, evidence_no=attempt.item.evidence_no, have=have, rounds=rounds
        )
    required_text(attempt.payload, "reason")


# --------------------------------------------------------------------------------------------- effects


def _transfer(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"unit_code": payload["to_unit"]}


def _checkout(item: Item, payload: Mapping[str, Any]) -> Changes:
    return {
        "checkout_purpose": payload["purpose"],
        "checked_out_to": payload["to"],
        "due_date": payload["due_date"],
        # recorded since check-outs may leave the store; older ones left case custody
        "checked_out_from": payload.get("from_state", ItemState.REGISTERED.value),
    }


def _return(item: Item, _payload: Mapping[str, Any]) -> Changes:
    """Back to the state the check-out left."""
    return {
        "state": checked_out_from(item).value,
        "checkout_purpose": None,
        "checked_out_to": None,
        "due_date": None,
        "checked_out_from": None,
    }


def _count(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"quantity_rounds": payload["quantity"]}


def _consume(item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"quantity_rounds": (item.quantity_rounds or 0) - payload["rounds"]}


# ---------------------------------------------------------------------------------- recorded payloads
# What the ledger keeps of each act: everything its effect needs, so replay rebuilds the same item.


def _record_transfer(attempt: Attempt) -> Payload:
    return {
        "from_unit": attempt.item.unit_code,
        "to_unit": required_text(attempt.payload, "to_unit"),
        "reason": optional_text(attempt.payload, "reason"),
    }


def _record_checkout(attempt: Attempt) -> Payload:
    recorded = {name: required_text(attempt.payload, name) for name in ("purpose", "to", "due_date")}
    return {**recorded, "from_state": attempt.item.state.value}


def _record_return(attempt: Attempt) -> Payload:
    return {"note": optional_text(attempt.payload, "note")}


def _record_count(attempt: Attempt) -> Payload:
    return {
        "quantity": attempt.payload["quantity"],
        "previous": attempt.item.quantity_rounds,
        "reason": required_text(attempt.payload, "reason"),
    }


def _bind_tag(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"tag_uid": payload["uid"]}


def _record_tag(attempt: Attempt) -> Payload:
    return {
        "uid": normal_uid(attempt.payload["uid"]),
        "previous_uid": attempt.item.tag_uid,
        "tag_type": str(attempt.payload.get("tag_type") or ""),
    }


def _record_consume(attempt: Attempt) -> Payload:
    return {"rounds": attempt.payload["rounds"], "reason": required_text(attempt.payload, "reason")}


# --------------------------------------------------------------------------------------------- the table

_IN_CASE_CUSTODY = frozenset({ItemState.REGISTERED})
# Where contents and records may change without unsealing: in case custody, out at the lab or in court,
# in the custodian's store before sealing.
_UNSEALED = frozenset({ItemState.REGISTERED, ItemState.CHECKED_OUT, ItemState.HANDED_OVER})
_EVERY_STATE = frozenset(ItemState)
_CLERKS = frozenset({Role.CLERK})
_HOLDERS = frozenset({Role.CLERK, Role.CUSTODIAN})
_AMMUNITION = frozenset({ItemKind.AMMUNITION})

transition(
    Transition(
        EventType.TRANSFERRED,
        _IN_CASE_CUSTODY,
        ItemState.REGISTERED,
        _CLERKS,
        guards=(target_unit_exists,),
        effect=_transfer,
        record=_record_transfer,
    )
)
transition(
    Transition(
        EventType.CHECKED_OUT,
        frozenset({ItemState.REGISTERED, ItemState.HANDED_OVER}),  # from the store: to the lab only
        ItemState.CHECKED_OUT,
        _HOLDERS,  # a clerk from case custody, the item's custodian from the store
        guards=(holder_lets_it_go, valid_checkout),
        effect=_checkout,
        record=_record_checkout,
    )
)
transition(
    Transition(
        EventType.RETURNED,
        frozenset({ItemState.CHECKED_OUT}),
        ItemState.REGISTERED,  # or the store: the state the check-out left (its effect names it)
        _HOLDERS,
        guards=(holder_lets_it_go,),
        effect=_return,
        record=_record_return,
    )
)
transition(
    Transition(
        EventType.COUNTED,
        _UNSEALED,
        None,
        _HOLDERS,
        guards=(valid_count,),
        effect=_count,
        record=_record_count,
        kinds=_AMMUNITION,
    )
)
transition(
    Transition(
        EventType.CONSUMED,
        frozenset({ItemState.REGISTERED, ItemState.CHECKED_OUT}),
        None,
        frozenset({Role.CLERK, Role.INVESTIGATOR}),
        guards=(enough_rounds,),
        effect=_consume,
        record=_record_consume,
        kinds=_AMMUNITION,
    )
)
transition(
    Transition(
        EventType.TAG_BOUND,
        _UNSEALED,
        None,
        _HOLDERS,
        guards=(tag_free_for_item,),
        effect=_bind_tag,
        record=_record_tag,
    )
)
# A sighting by a station's scanner or reader: recorded against the item, changing nothing about it.
# Stations are authenticated by their key, not by a user role; see custody.scans.
transition(Transition(EventType.SIGHTED, _EVERY_STATE, None, frozenset(), changes_item=False))


_ITEM_FIELDS = frozenset(ITEM_COLUMNS)


def registered_item(item_id: int, case_id: int, version: int, payload: Mapping[str, Any]) -> Item:
    """An item as its intake event leaves it (for replay)."""
    values = {k: v for k, v in payload.items() if k in _ITEM_FIELDS}
    values.update(id=item_id, case_id=case_id, state=ItemState.REGISTERED, version=version)
    values["kind"] = ItemKind(values["kind"])
    return Item(**values)
