"""The item rows of the transition table.

registered ⇄ checked out → handed over → sealed → nominated → approved → destroyed

Each act on an item is a :class:`~custody.lifecycle.table.Transition` registered here; its guards see an
:class:`~custody.lifecycle.table.Attempt` (the item as a typed :class:`~custody.records.Item`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custody import text
from custody.errors import MESSAGES, InvalidInput, TransitionRefused
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
from custody.model import CaseStatus, CheckoutPurpose, Department, EventType, ItemState, Role
from custody.numbers import ItemKind
from custody.records import ITEM_COLUMNS, Item

# ---------------------------------------------------------------------------------------------- guards


# The largest ledger seq a correction may name (a signed 64-bit column).
MAX_SEQ = 2**63 - 1


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
    required_text(attempt.payload, "to")
    due = parse_date(required_text(attempt.payload, "due_date"), "due_date")
    if due < attempt.today:
        raise TransitionRefused(refusals.DUE_IN_PAST, due_date=due.isoformat())


def case_closed_or_judged(attempt: Attempt) -> None:
    status = attempt.lookups.case_status(attempt.item.case_id)
    if status not in {CaseStatus.CLOSED, CaseStatus.JUDGED}:
        raise TransitionRefused(
            refusals.CASE_NOT_CONCLUDED,
            evidence_no=attempt.item.evidence_no,
            status=None if status is None else str(status),
        )


def receiver_is_same_level_public_order(attempt: Attempt) -> None:
    username = required_text(attempt.payload, "receiver")
    receiver = attempt.lookups.user(username)
    if receiver is None:
        raise TransitionRefused(refusals.UNKNOWN_RECEIVER, username=username)
    if receiver.department is not Department.PUBLIC_ORDER or Role.CUSTODIAN not in receiver.roles:
        raise TransitionRefused(refusals.RECEIVER_NOT_CUSTODIAN, username=username)
    if receiver.unit_code != attempt.item.unit_code:
        raise TransitionRefused(
            refusals.RECEIVER_OTHER_UNIT,
            username=username,
            unit_code=receiver.unit_code,
            item_unit_code=attempt.item.unit_code,
        )


_SOURCE_FIELDS: dict[str, type] = {
    "description": str,
    "source_maker": str,
    "source_workshop": str,
    "source_route": str,
    "source_seller": str,
    "source_notes": str,
}
_FIREARM_FIELDS: dict[str, type] = {
    "firearm_type": str,
    "make_model": str,
    "serial_number": str,
    "calibre": str,
    "fires_standard_ammunition": bool,
}
# What a correction may change, by kind of item: a firearm's fields never land on an ammunition lot.
CORRECTABLE_FIELDS: dict[ItemKind, dict[str, type]] = {
    ItemKind.FIREARM: {**_FIREARM_FIELDS, **_SOURCE_FIELDS},
    ItemKind.AMMUNITION: {"calibre": str, "headstamp_lot": str, **_SOURCE_FIELDS},
    ItemKind.BULLET_SAMPLE: {"description": str},
    ItemKind.CASING_SAMPLE: {"description": str},
}
CORRECTABLE_FIELD_NAMES = tuple(dict.fromkeys(n for fields in CORRECTABLE_FIELDS.values() for n in fields))
# Fields an item of that kind always has: a correction may not blank them.
_REQUIRED_FIELDS = frozenset({"firearm_type", "make_model", "serial_number", "calibre"})


def corrected_value(name: str, value: object) -> object:
    """A corrected field's value as stored: text under the text policy, flags as given."""
    if isinstance(value, bool):
        return value
    cleaned = text.clean(value, name, required=name in _REQUIRED_FIELDS)
    return (cleaned or "") if name == "description" else cleaned


def valid_correction(attempt: Attempt) -> None:
    required_text(attempt.payload, "reason")
    changes = attempt.payload.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput(refusals.CORRECTION_EMPTY, "changes")
    kind = ItemKind(attempt.item.kind)
    allowed = CORRECTABLE_FIELDS[kind]
    for name, value in changes.items():
        expected = allowed.get(name)
        if expected is None:
            raise InvalidInput(
                refusals.NOT_CORRECTABLE,
                f"changes.{name}" if isinstance(name, str) and name.isidentifier() else "changes",
                name=str(name),
                allowed=", ".join(sorted(allowed)),
            )
        if not isinstance(value, expected):
            raise InvalidInput(refusals.CORRECTION_TYPE, f"changes.{name}", name=name, type=expected.__name__)
        try:
            corrected_value(name, value)
        except InvalidInput as refused:
            raise InvalidInput(MESSAGES[refused.key], f"changes.{name}", **refused.params) from None
    corrects = attempt.payload.get("corrects_seq")
    if corrects is not None and (
        not isinstance(corrects, int)
        or isinstance(corrects, bool)
        or not 1 <= corrects <= MAX_SEQ
        or attempt.lookups.item_event_type(attempt.item.id, corrects) is None
    ):
        raise TransitionRefused(
            refusals.NOT_AN_EVENT_OF,
            seq=corrects if isinstance(corrects, int) else str(corrects),
            evidence_no=attempt.item.evidence_no,
        )


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


def _checkout(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return {
        "checkout_purpose": payload["purpose"],
        "checked_out_to": payload["to"],
        "due_date": payload["due_date"],
    }


def _return(_item: Item, _payload: Mapping[str, Any]) -> Changes:
    return {"checkout_purpose": None, "checked_out_to": None, "due_date": None}


def _hand_over(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"custodian_user_id": payload["receiver_id"]}


def _correct(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return dict(payload["changes"])


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
    return {name: required_text(attempt.payload, name) for name in ("purpose", "to", "due_date")}


def _record_return(attempt: Attempt) -> Payload:
    return {"note": optional_text(attempt.payload, "note")}


def _record_hand_over(attempt: Attempt) -> Payload:
    receiver = attempt.lookups.user(required_text(attempt.payload, "receiver"))
    assert receiver is not None  # checked by receiver_is_same_level_public_order
    return {"receiver": receiver.username, "receiver_id": receiver.id}


def _record_correction(attempt: Attempt) -> Payload:
    changes = {k: corrected_value(k, v) for k, v in attempt.payload["changes"].items()}
    return {
        "changes": changes,
        "previous": {name: attempt.item.column(name) for name in changes},
        "reason": required_text(attempt.payload, "reason"),
        "corrects_seq": attempt.payload.get("corrects_seq"),
    }


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
_ALIVE = frozenset(ItemState) - {ItemState.DESTROYED}
_EVERY_STATE = frozenset(ItemState)
_CLERKS = frozenset({Role.CLERK})
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
        _IN_CASE_CUSTODY,
        ItemState.CHECKED_OUT,
        _CLERKS,
        guards=(valid_checkout,),
        effect=_checkout,
        record=_record_checkout,
    )
)
transition(
    Transition(
        EventType.RETURNED,
        frozenset({ItemState.CHECKED_OUT}),
        ItemState.REGISTERED,
        _CLERKS,
        effect=_return,
        record=_record_return,
    )
)
transition(
    Transition(
        EventType.HANDED_OVER,
        _IN_CASE_CUSTODY,
        ItemState.HANDED_OVER,
        _CLERKS,
        guards=(case_closed_or_judged, receiver_is_same_level_public_order),
        effect=_hand_over,
        record=_record_hand_over,
        second_persons=("receiver",),
    )
)
transition(
    Transition(
        EventType.CORRECTED,
        _EVERY_STATE,
        None,
        frozenset({Role.CLERK, Role.CUSTODIAN}),
        guards=(valid_correction,),
        effect=_correct,
        record=_record_correction,
    )
)
transition(
    Transition(
        EventType.COUNTED,
        _ALIVE,
        None,
        frozenset({Role.CLERK, Role.CUSTODIAN}),
        guards=(valid_count,),
        effect=_count,
        record=_record_count,
        kinds=_AMMUNITION,
    )
)
transition(
    Transition(
        EventType.CONSUMED,
        _IN_CASE_CUSTODY | {ItemState.CHECKED_OUT},
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
        _ALIVE,
        None,
        frozenset({Role.CLERK, Role.CUSTODIAN}),
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
