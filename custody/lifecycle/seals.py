"""The rows of sealed storage: sealing (封存), unsealing (启封), relocation and a change of custodian.

handed over → sealed → (unsealed) handed over; relocated and custodian_changed keep the state.

A seal, a location and a custodian change are not items: each act is recorded on every item it concerns
(one event per item, the seal number in the payload; :mod:`custody.seals` acts on the whole list in one
transaction). Only the custodian who holds an item seals, unseals or moves it; a seal's witness is
neither that custodian nor anyone in the item's custody chain (whoever acted on, witnessed or received
it before).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custody.codes import LocationCode, SealNumber
from custody.errors import Message, TransitionRefused
from custody.lifecycle.items import normal_uid
from custody.lifecycle.reviews import review_date_at_sealing, valid_review_date
from custody.lifecycle.table import Attempt, Changes, Payload, Transition, required_text, transition
from custody.model import Department, EventType, ItemState, Role
from custody.records import Item

NOT_YOUR_ITEM = Message(
    "seal.not_custodian",
    "{evidence_no} is not in the custody of {username}: only its custodian seals, unseals or moves it",
)
WITNESS_IN_CHAIN = Message(
    "seal.witness_in_chain",
    "witness {username} took part in the custody of {evidence_no}: a seal's witness is someone who never "
    "acted on, witnessed or received the item",
)
NOT_IN_SEAL = Message("seal.item_not_in_seal", "{evidence_no} is not under seal {seal_no}")
SAME_LOCATION = Message("relocation.same_location", "{evidence_no} lies at {location_code} already")
NOT_CHANGED_BY = Message(
    "custodian.not_current",
    "{evidence_no} is not in the custody of {username}: its custodian or an administrator hands it on",
)
UNKNOWN_NEW_CUSTODIAN = Message("custodian.unknown", "unknown user {username}")
NEW_NOT_CUSTODIAN = Message(
    "custodian.not_a_custodian",
    "{username} is not a sealed-storage custodian of a public-order department",
)
NEW_OTHER_UNIT = Message(
    "custodian.other_unit",
    "{username} belongs to unit {unit_code}; {evidence_no} stays in the store of unit {item_unit_code}",
)
ALREADY_CUSTODIAN = Message("custodian.same", "{username} holds {evidence_no} already")

# ---------------------------------------------------------------------------------------------- guards


def held_by_actor(attempt: Attempt) -> None:
    """The actor is the custodian who holds the item."""
    if attempt.item.custodian_user_id != attempt.actor.id:
        raise TransitionRefused(
            NOT_YOUR_ITEM, evidence_no=attempt.item.evidence_no, username=attempt.actor.username
        )


def valid_seal(attempt: Attempt) -> None:
    """A seal number, a location code and, if any, a tag UID of the right shapes."""
    SealNumber.parse(attempt.payload.get("seal_no"))
    LocationCode.parse(attempt.payload.get("location_code"))
    if attempt.payload.get("tag_uid") is not None:
        normal_uid(attempt.payload["tag_uid"])


def witness_outside_chain(attempt: Attempt) -> None:
    """The witness never acted on, witnessed or received the item (nor holds it: the actor does)."""
    witness = attempt.witness
    if witness is None:
        return
    if witness.id == attempt.item.custodian_user_id or witness.id in attempt.lookups.custody_chain(
        attempt.item.id
    ):
        raise TransitionRefused(
            WITNESS_IN_CHAIN, username=witness.username, evidence_no=attempt.item.evidence_no
        )


def under_the_seal(attempt: Attempt) -> None:
    """The item lies under the seal the act names."""
    seal_no = str(SealNumber.parse(attempt.payload.get("seal_no")))
    if attempt.item.seal_no != seal_no:
        raise TransitionRefused(NOT_IN_SEAL, evidence_no=attempt.item.evidence_no, seal_no=seal_no)


def reason_given(attempt: Attempt) -> None:
    required_text(attempt.payload, "reason")


def elsewhere(attempt: Attempt) -> None:
    """A relocation moves the item to another location."""
    to = str(LocationCode.parse(attempt.payload.get("to")))
    if attempt.item.location_code == to:
        raise TransitionRefused(SAME_LOCATION, evidence_no=attempt.item.evidence_no, location_code=to)


def handed_on_by_holder(attempt: Attempt) -> None:
    """The item's own custodian, or an administrator, hands it on."""
    actor = attempt.actor
    if Role.ADMIN not in actor.roles and attempt.item.custodian_user_id != actor.id:
        raise TransitionRefused(NOT_CHANGED_BY, evidence_no=attempt.item.evidence_no, username=actor.username)


def new_custodian_of_the_store(attempt: Attempt) -> None:
    """The new custodian is a public-order custodian of the item's unit, not the one holding it."""
    username = required_text(attempt.payload, "to")
    person = attempt.lookups.user(username)
    if person is None:
        raise TransitionRefused(UNKNOWN_NEW_CUSTODIAN, username=username)
    if person.department is not Department.PUBLIC_ORDER or Role.CUSTODIAN not in person.roles:
        raise TransitionRefused(NEW_NOT_CUSTODIAN, username=username)
    if person.unit_code != attempt.item.unit_code:
        raise TransitionRefused(
            NEW_OTHER_UNIT,
            username=username,
            unit_code=person.unit_code,
            evidence_no=attempt.item.evidence_no,
            item_unit_code=attempt.item.unit_code,
        )
    if person.id == attempt.item.custodian_user_id:
        raise TransitionRefused(ALREADY_CUSTODIAN, username=username, evidence_no=attempt.item.evidence_no)


# ---------------------------------------------------------------------------- payloads and effects


def _record_seal(attempt: Attempt) -> Payload:
    uid = attempt.payload.get("tag_uid")
    return {
        "seal_no": str(SealNumber.parse(attempt.payload["seal_no"])),
        "location_code": str(LocationCode.parse(attempt.payload["location_code"])),
        "tag_uid": None if uid is None else normal_uid(uid),
        "review_due": review_date_at_sealing(attempt),
    }


def _seal(_item: Item, payload: Mapping[str, Any]) -> Changes:
    # the review date: a seal of an older ledger carries none
    review_due = payload.get("review_due")
    return {
        "seal_no": payload["seal_no"],
        "location_code": payload["location_code"],
        "review_due": review_due,
    }


def _record_unseal(attempt: Attempt) -> Payload:
    return {
        "seal_no": str(SealNumber.parse(attempt.payload["seal_no"])),
        "reason": required_text(attempt.payload, "reason"),
    }


def _unseal(_item: Item, _payload: Mapping[str, Any]) -> Changes:
    return {"seal_no": None}


def _record_relocation(attempt: Attempt) -> Payload:
    return {
        "seal_no": str(SealNumber.parse(attempt.payload["seal_no"])),
        "from": attempt.item.location_code,
        "to": str(LocationCode.parse(attempt.payload["to"])),
    }


def _relocate(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"location_code": payload["to"]}


def _record_custodian_change(attempt: Attempt) -> Payload:
    person = attempt.lookups.user(required_text(attempt.payload, "to"))
    assert person is not None  # checked by new_custodian_of_the_store
    return {
        "from_id": attempt.item.custodian_user_id,
        "to": person.username,
        "to_id": person.id,
        "unit_code": attempt.item.unit_code,
    }


def _change_custodian(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"custodian_user_id": payload["to_id"]}


# --------------------------------------------------------------------------------------------- the table

_CUSTODIANS = frozenset({Role.CUSTODIAN})

transition(
    Transition(
        EventType.SEALED,
        frozenset({ItemState.HANDED_OVER}),
        ItemState.SEALED,
        _CUSTODIANS,
        guards=(held_by_actor, valid_seal, valid_review_date, witness_outside_chain),
        effect=_seal,
        record=_record_seal,
        witness_required=True,
    )
)
transition(
    Transition(
        EventType.UNSEALED,
        frozenset({ItemState.SEALED}),
        ItemState.HANDED_OVER,
        _CUSTODIANS,
        guards=(held_by_actor, under_the_seal, reason_given),
        effect=_unseal,
        record=_record_unseal,
        witness_required=True,
    )
)
transition(
    Transition(
        EventType.RELOCATED,
        frozenset({ItemState.SEALED}),
        None,
        _CUSTODIANS,
        guards=(held_by_actor, under_the_seal, elsewhere),
        effect=_relocate,
        record=_record_relocation,
    )
)
transition(
    Transition(
        EventType.CUSTODIAN_CHANGED,
        frozenset({ItemState.HANDED_OVER, ItemState.SEALED}),
        None,
        frozenset({Role.CUSTODIAN, Role.ADMIN}),
        guards=(handed_on_by_holder, new_custodian_of_the_store),
        effect=_change_custodian,
        record=_record_custodian_change,
        second_persons=("to",),  # the new custodian confirms with their own credentials
    )
)

# The item columns the seal acts change beside state, version and custodian (replay compares them).
SEAL_FIELDS = ("seal_no", "location_code")
SEAL_ACTS = (EventType.SEALED, EventType.UNSEALED, EventType.RELOCATED, EventType.CUSTODIAN_CHANGED)
