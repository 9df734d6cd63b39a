"""The handover rows of the transition table (移交): a list of items of one closed or judged case goes
from the case team to a named custodian of the same-level public-order department (治安) in two acts.

registered → offered (a clerk offers) → handed_over (the named custodian accepts) or → registered
(the named custodian refuses, with a reason).

The service (:mod:`custody.handovers`) records each act over the whole list at once, one event per item;
the facts a row checks that are not the item's own (the handover's case, its named custodian and its
offering clerk) come in the attempt's payload, read by the service from the handover inside the same
transaction. The legacy one-step act ``handed_over`` (offered and accepted at once, its receiver
confirming with their password) keeps its row in :mod:`custody.lifecycle.items` for replay only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custody.errors import Message, TransitionRefused
from custody.lifecycle import refusals
from custody.lifecycle.table import Attempt, Changes, Payload, Transition, required_text, transition
from custody.model import CaseStatus, Department, EventType, ItemState, Role
from custody.records import Item

NOT_OF_THE_CASE = Message("handover.item_not_of_case", "{evidence_no} is not an item of case {case_no}")
TO_ONESELF = Message("handover.to_oneself", "{username} cannot hand items over to themselves")
NOT_THE_NAMED_CUSTODIAN = Message(
    "handover.not_the_named_custodian",
    "{username} is not the custodian this handover names ({custodian}): only they accept or refuse it",
)
RECORDED_NO_MORE = Message(
    "handover.one_step_recorded_no_more",
    "{event} is recorded no more: a clerk offers the items and the named custodian accepts them",
)
OFFERING_CLERK_DECIDES = Message(
    "handover.offering_clerk_decides",
    "{username} offered this handover and cannot accept or refuse it",
)

# ------------------------------------------------------------------------------------------- guards


def of_the_handover_case(attempt: Attempt) -> None:
    """The item belongs to the case the handover names (``case_id``, ``case_no`` in the payload)."""
    if attempt.item.case_id != attempt.payload.get("case_id"):
        raise TransitionRefused(
            NOT_OF_THE_CASE,
            evidence_no=attempt.item.evidence_no,
            case_no=str(attempt.payload.get("case_no") or ""),
        )


def receiver_is_not_the_actor(attempt: Attempt) -> None:
    """Nobody hands over to themselves (a clerk who is also a public-order custodian)."""
    receiver = attempt.lookups.user(required_text(attempt.payload, "receiver"))
    if receiver is not None and receiver.id == attempt.actor.id:
        raise TransitionRefused(TO_ONESELF, username=attempt.actor.username)


def the_named_custodian_decides(attempt: Attempt) -> None:
    """Only the custodian the handover names accepts or refuses it, and never the clerk who offered it."""
    actor = attempt.actor
    if actor.id == attempt.payload.get("offered_by_id"):
        raise TransitionRefused(OFFERING_CLERK_DECIDES, username=actor.username)
    if actor.id != attempt.payload.get("custodian_id"):
        raise TransitionRefused(
            NOT_THE_NAMED_CUSTODIAN,
            username=actor.username,
            custodian=str(attempt.payload.get("custodian") or ""),
        )


def refusal_has_a_reason(attempt: Attempt) -> None:
    required_text(attempt.payload, "reason")


def recorded_no_more(attempt: Attempt) -> None:
    """The one-step handover is replayed from older ledgers, never recorded again."""
    raise TransitionRefused(RECORDED_NO_MORE, event=attempt.event.value)


def case_closed_or_judged(attempt: Attempt) -> None:
    status = attempt.lookups.case_status(attempt.item.case_id)
    if status not in {CaseStatus.CLOSED, CaseStatus.JUDGED}:
        raise TransitionRefused(
            refusals.CASE_NOT_CONCLUDED,
            evidence_no=attempt.item.evidence_no,
            status=None if status is None else str(status),
        )


def receiver_is_same_level_public_order(attempt: Attempt) -> None:
    """The receiver is a custodian of the public-order department of the item's own unit (the same
    level); a user outside the actor's scope is unknown."""
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


# ------------------------------------------------------------------------------------------ records


def _record_offer(attempt: Attempt) -> Payload:
    receiver = attempt.lookups.user(required_text(attempt.payload, "receiver"))
    assert receiver is not None  # checked by receiver_is_same_level_public_order
    return {
        "handover_id": attempt.payload["handover_id"],
        "receiver": receiver.username,
        "receiver_id": receiver.id,
    }


def _record_acceptance(attempt: Attempt) -> Payload:
    return {
        "handover_id": attempt.payload["handover_id"],
        "custodian": attempt.actor.username,
        "custodian_id": attempt.actor.id,
    }


def _record_refusal(attempt: Attempt) -> Payload:
    return {
        "handover_id": attempt.payload["handover_id"],
        "reason": required_text(attempt.payload, "reason"),
    }


def _accept(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"custodian_user_id": payload["custodian_id"]}


def _hand_over(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"custodian_user_id": payload["receiver_id"]}


def _record_hand_over(attempt: Attempt) -> Payload:
    receiver = attempt.lookups.user(required_text(attempt.payload, "receiver"))
    assert receiver is not None  # checked by receiver_is_same_level_public_order
    return {"receiver": receiver.username, "receiver_id": receiver.id}


# ------------------------------------------------------------------------------------------ the rows

_CUSTODIANS = frozenset({Role.CUSTODIAN})

OFFERED = transition(
    Transition(
        EventType.HANDOVER_OFFERED,
        frozenset({ItemState.REGISTERED}),
        ItemState.OFFERED,
        frozenset({Role.CLERK}),
        guards=(
            of_the_handover_case,
            case_closed_or_judged,
            receiver_is_same_level_public_order,
            receiver_is_not_the_actor,
        ),
        record=_record_offer,
    )
)
ACCEPTED = transition(
    Transition(
        EventType.HANDOVER_ACCEPTED,
        frozenset({ItemState.OFFERED}),
        ItemState.HANDED_OVER,
        _CUSTODIANS,
        guards=(the_named_custodian_decides,),
        effect=_accept,
        record=_record_acceptance,
    )
)
REFUSED = transition(
    Transition(
        EventType.HANDOVER_REFUSED,
        frozenset({ItemState.OFFERED}),
        ItemState.REGISTERED,
        _CUSTODIANS,
        guards=(the_named_custodian_decides, refusal_has_a_reason),
        record=_record_refusal,
    )
)
# The one-step handover of older ledgers (offered and accepted at once, the receiver confirming with
# their password): its row replays their events; it is recorded no more.
transition(
    Transition(
        EventType.HANDED_OVER,
        frozenset({ItemState.REGISTERED}),
        ItemState.HANDED_OVER,
        frozenset({Role.CLERK}),
        guards=(recorded_no_more,),
        effect=_hand_over,
        record=_record_hand_over,
    )
)
