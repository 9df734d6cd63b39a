"""The rows of destruction, first half (销毁): holding a sealed item's review, and the applications a
city's (or the province's own) sealed store makes to the province.

sealed → (nominated) nominated → (application_withdrawn | application_refused) sealed; ``review_held``
keeps the state and moves the review date (:mod:`custody.lifecycle.reviews`).

An application names each of its items: one ``nominated`` event per item, with the application's id in
the payload. An item is nominated only when every condition of the directive holds for it: sealed under
an intact seal; its case closed or judged; not a ballistic sample (samples are evidence kept for good);
in no other open application; no open audit discrepancy; and, for a firearm that fires standard
ammunition, at least one bullet (``B``) and one cartridge-case (``C``) sample on record. A lost item is
not sealed, so the state already refuses it. Who may apply (a custodian of a city, or of the province for
its own store) is checked by :mod:`custody.applications` before the items are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custody.actors import PROVINCE_CODE
from custody.errors import Message, TransitionRefused
from custody.lifecycle.audits import no_open_discrepancy
from custody.lifecycle.reviews import given_review_date
from custody.lifecycle.samples import not_a_sample
from custody.lifecycle.table import (
    Attempt,
    Changes,
    Payload,
    Transition,
    optional_text,
    required_text,
    transition,
)
from custody.model import CaseStatus, EventType, ItemState, Role
from custody.numbers import ItemKind
from custody.records import Item

NOT_UNDER_SEAL = Message(
    "destruction.not_under_seal", "{evidence_no} lies under no intact seal: only sealed items are nominated"
)
CASE_NOT_CONCLUDED = Message(
    "destruction.case_open",
    "{evidence_no}: its case is {status}; only items of a closed or judged case are nominated",
)
IN_OPEN_APPLICATION = Message(
    "destruction.in_open_application",
    "{evidence_no} is named in open destruction application {application_id}",
)
SAMPLES_MISSING = Message(
    "destruction.samples_missing",
    "{evidence_no} fires standard ammunition: no {missing} on record; the criminal investigation "
    "department makes bullet and cartridge-case samples before it may be destroyed",
)
PROVINCE_OWN_STORE = Message(
    "destruction.province_own_store",
    "{evidence_no} belongs to unit {unit_code}: the province applies for its own store only; the city "
    "above that unit applies for it",
)
NOT_IN_APPLICATION = Message(
    "destruction.not_in_application", "{evidence_no} is not in open destruction application {application_id}"
)
HOLD_NEEDS_DATE = Message("review.hold_needs_date", "a hold names the new review date (until)")
NO_APPLICATION = Message(
    "destruction.no_application", "{evidence_no} is nominated by a destruction application, which names it"
)

_SAMPLE_NAMES = {
    ItemKind.BULLET_SAMPLE.value: "bullet sample",
    ItemKind.CASING_SAMPLE.value: "cartridge-case sample",
}
_CONCLUDED = frozenset({CaseStatus.CLOSED.value, CaseStatus.JUDGED.value})

# ---------------------------------------------------------------------------------------------- guards


def by_an_application(attempt: Attempt) -> None:
    """A nomination is made by an application (:mod:`custody.applications`), whose id and unit it
    records."""
    application_id = attempt.payload.get("application_id")
    unit_code = attempt.payload.get("unit_code")
    if (
        not isinstance(application_id, int)
        or isinstance(application_id, bool)
        or not isinstance(unit_code, str)
    ):
        raise TransitionRefused(NO_APPLICATION, evidence_no=attempt.item.evidence_no)


def under_intact_seal(attempt: Attempt) -> None:
    """The item lies under a seal that is intact (opening a seal takes its items out from under it)."""
    if attempt.item.seal_no is None:
        raise TransitionRefused(NOT_UNDER_SEAL, evidence_no=attempt.item.evidence_no)


def case_concluded(attempt: Attempt) -> None:
    status = attempt.lookups.case_status(attempt.item.case_id)
    if status not in _CONCLUDED:
        raise TransitionRefused(CASE_NOT_CONCLUDED, evidence_no=attempt.item.evidence_no, status=status)


def in_no_open_application(attempt: Attempt) -> None:
    found = attempt.lookups.open_application(attempt.item.id)
    if found is not None:
        raise TransitionRefused(
            IN_OPEN_APPLICATION, evidence_no=attempt.item.evidence_no, application_id=found
        )


def samples_on_record(attempt: Attempt) -> None:
    """A firearm that fires standard ammunition has a bullet and a cartridge-case sample on record."""
    item = attempt.item
    if item.kind is not ItemKind.FIREARM or not item.fires_standard_ammunition:
        return
    missing = sorted(set(_SAMPLE_NAMES) - attempt.lookups.sample_kinds(item.id))
    if missing:
        names = " and no ".join(_SAMPLE_NAMES[kind] for kind in missing)
        raise TransitionRefused(SAMPLES_MISSING, evidence_no=item.evidence_no, missing=names)


def of_the_applying_store(attempt: Attempt) -> None:
    """The province applies for the items of its own store only (a city's items: that city applies)."""
    item = attempt.item
    if attempt.payload.get("unit_code") == PROVINCE_CODE and item.unit_code != PROVINCE_CODE:
        raise TransitionRefused(PROVINCE_OWN_STORE, evidence_no=item.evidence_no, unit_code=item.unit_code)


def named_in_the_application(attempt: Attempt) -> None:
    application_id = attempt.payload.get("application_id")
    if attempt.lookups.open_application(attempt.item.id) != application_id:
        raise TransitionRefused(
            NOT_IN_APPLICATION, evidence_no=attempt.item.evidence_no, application_id=str(application_id)
        )


def reason_given(attempt: Attempt) -> None:
    required_text(attempt.payload, "reason")


def valid_hold(attempt: Attempt) -> None:
    required_text(attempt.payload, "reason")
    if given_review_date(attempt, "until") is None:
        raise TransitionRefused(HOLD_NEEDS_DATE)


# ---------------------------------------------------------------------------- payloads and effects


def _record_hold(attempt: Attempt) -> Payload:
    until = given_review_date(attempt, "until")
    assert until is not None  # checked by valid_hold
    return {
        "until": until.isoformat(),
        "previous": attempt.item.review_due,
        "reason": required_text(attempt.payload, "reason"),
    }


def _hold(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"review_due": payload["until"]}


def _record_nomination(attempt: Attempt) -> Payload:
    return {
        "application_id": attempt.payload["application_id"],
        "unit_code": attempt.payload["unit_code"],
        "seal_no": attempt.item.seal_no,
    }


def _record_withdrawal(attempt: Attempt) -> Payload:
    return {
        "application_id": attempt.payload["application_id"],
        "reason": optional_text(attempt.payload, "reason"),
    }


def _record_refusal(attempt: Attempt) -> Payload:
    return {
        "application_id": attempt.payload["application_id"],
        "reason": required_text(attempt.payload, "reason"),
    }


# --------------------------------------------------------------------------------------------- the table

_SEALED = frozenset({ItemState.SEALED})
_NOMINATED = frozenset({ItemState.NOMINATED})
_CUSTODIANS = frozenset({Role.CUSTODIAN})

transition(
    Transition(
        EventType.REVIEW_HELD,
        _SEALED,
        None,
        _CUSTODIANS,
        guards=(valid_hold,),
        effect=_hold,
        record=_record_hold,
    )
)
transition(
    Transition(
        EventType.NOMINATED,
        _SEALED,
        ItemState.NOMINATED,
        _CUSTODIANS,
        guards=(
            by_an_application,
            under_intact_seal,
            of_the_applying_store,
            case_concluded,
            not_a_sample,
            in_no_open_application,
            no_open_discrepancy,
            samples_on_record,
        ),
        record=_record_nomination,
    )
)
transition(
    Transition(
        EventType.APPLICATION_WITHDRAWN,
        _NOMINATED,
        ItemState.SEALED,
        _CUSTODIANS,
        guards=(named_in_the_application,),
        record=_record_withdrawal,
    )
)
transition(
    Transition(
        EventType.APPLICATION_REFUSED,
        _NOMINATED,
        ItemState.SEALED,
        frozenset({Role.DESTRUCTION_OFFICER}),
        guards=(named_in_the_application, reason_given),
        record=_record_refusal,
    )
)

DESTRUCTION_ACTS = (
    EventType.REVIEW_HELD,
    EventType.NOMINATED,
    EventType.APPLICATION_WITHDRAWN,
    EventType.APPLICATION_REFUSED,
)
