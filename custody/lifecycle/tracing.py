"""The row of the source-and-flow tracing letter (涉枪案件枪弹来源流向协查函): an investigator or a clerk
of the item's unit asks another bureau to trace where a firearm or an ammunition lot came from and where
it went. The letter's issue is an event of the item (its state and version stay), whose payload holds the
letter whole: its reference number, the addressee, the request, and the item's identifying and
source-and-flow fields as they stood, so the letter printed again from its event reads the same.
"""

from __future__ import annotations

from custody.errors import Message, TransitionRefused
from custody.lifecycle.table import Attempt, Payload, Transition, transition
from custody.model import EventType, ItemState, Role
from custody.numbers import ItemKind

NO_ADDRESSEE = Message(
    "tracing.no_addressee", "{evidence_no}: a tracing letter names the bureau it is sent to"
)
NO_REFERENCE = Message("tracing.no_reference", "{evidence_no}: a tracing letter carries its reference number")

LETTER_FIELDS = ("reference", "addressee", "request", "reply_by", "item")


def names_addressee_and_reference(attempt: Attempt) -> None:
    for field, message in (("addressee", NO_ADDRESSEE), ("reference", NO_REFERENCE)):
        value = attempt.payload.get(field)
        if not isinstance(value, str) or not value.strip():
            raise TransitionRefused(message, evidence_no=attempt.item.evidence_no)


def _record_letter(attempt: Attempt) -> Payload:
    return {name: attempt.payload.get(name) for name in LETTER_FIELDS}


transition(
    Transition(
        EventType.TRACING_LETTER,
        frozenset(ItemState),
        None,
        frozenset({Role.INVESTIGATOR, Role.CLERK}),
        guards=(names_addressee_and_reference,),
        changes_item=False,
        kinds=frozenset({ItemKind.FIREARM, ItemKind.AMMUNITION}),
        record=_record_letter,
    )
)
