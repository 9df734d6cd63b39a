"""The rows of the provincial destruction batches (销毁批次): taking nominated items into a batch with
their application, and the batch's approval by a second provincial destruction officer.

nominated → (batched) nominated → (approved) approved → (destroyed) destroyed, or
(withdrawn_from_batch, with a reason) sealed.

A batch is built and approved at the province only: the actor of either act is a destruction officer of
the province's public-order department (unit ``220000``). The approval is a two-person act: the approver
confirms with their own credentials and is recorded as the event's witness and in its payload; the
builder of the batch never approves it (:mod:`custody.batches` names the builder in the payload).
"""

from __future__ import annotations

from custody.actors import PROVINCE_CODE, Actor
from custody.errors import Message, TransitionRefused
from custody.lifecycle.table import Attempt, Payload, Transition, required_text, transition
from custody.model import Department, EventType, ItemState, Role
from custody.numbers import ItemKind

NOT_PROVINCIAL = Message(
    "batch.not_provincial",
    "{username} is not a destruction officer of the province's public-order department ({province}): "
    "destruction batches are built and approved by the province",
)
NO_BATCH = Message("batch.no_batch", "{evidence_no} is taken into a batch by the batch, which names it")
NOT_IN_TAKEN_APPLICATION = Message(
    "batch.not_in_taken_application",
    "{evidence_no} is in no open destruction application the batch takes",
)
ROUNDS_DIFFER = Message(
    "batch.rounds_differ",
    "{evidence_no}: {counted} rounds counted at the site, {recorded} on record: a discrepancy, not destroyed",
)
TOO_FEW_WITNESSES = Message(
    "batch.too_few_witnesses", "destruction batch {batch_id}: at least two witnesses confirm its site"
)
OFFICER_WITNESSES = Message(
    "batch.officer_witnesses", "{username} destroys the items: the witnesses are other people"
)
NO_PHOTO = Message("batch.no_photo", "{evidence_no}: a photo names its SHA-256")
PHOTO_STAGE = Message(
    "batch.photo_stage",
    "{evidence_no} is {state}: a photo {stage} destruction is of an approved item before, a destroyed one "
    "after",
)
BUILDER_APPROVES = Message(
    "batch.builder_approves",
    "{username} built destruction batch {batch_id}: another provincial destruction officer approves it",
)


def is_provincial_officer(person: Actor) -> bool:
    """A destruction officer of the province's public-order department."""
    return (
        person.unit_code == PROVINCE_CODE
        and person.department is Department.PROVINCIAL_PUBLIC_ORDER
        and Role.DESTRUCTION_OFFICER in person.roles
    )


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def by_a_provincial_officer(attempt: Attempt) -> None:
    if not is_provincial_officer(attempt.actor):
        raise TransitionRefused(NOT_PROVINCIAL, username=attempt.actor.username, province=PROVINCE_CODE)


def by_a_batch(attempt: Attempt) -> None:
    if not _int(attempt.payload.get("batch_id")):
        raise TransitionRefused(NO_BATCH, evidence_no=attempt.item.evidence_no)


def in_a_taken_application(attempt: Attempt) -> None:
    """The item is named by an open application, one of those the batch takes now."""
    taken = attempt.payload.get("application_ids")
    found = attempt.lookups.open_application(attempt.item.id)
    if found is None or not isinstance(taken, list) or found not in taken:
        raise TransitionRefused(NOT_IN_TAKEN_APPLICATION, evidence_no=attempt.item.evidence_no)


def approved_by_another_provincial_officer(attempt: Attempt) -> None:
    """The approver (the witness of the act) is a provincial destruction officer and not the builder."""
    approver = attempt.witness
    if approver is None:
        return  # the row requires a witness
    if not is_provincial_officer(approver):
        raise TransitionRefused(NOT_PROVINCIAL, username=approver.username, province=PROVINCE_CODE)
    if approver.id == attempt.payload.get("builder_id"):
        raise TransitionRefused(
            BUILDER_APPROVES, username=approver.username, batch_id=attempt.payload.get("batch_id")
        )


def _record_batching(attempt: Attempt) -> Payload:
    return {
        "batch_id": attempt.payload["batch_id"],
        "application_id": attempt.lookups.open_application(attempt.item.id),
    }


def _record_approval(attempt: Attempt) -> Payload:
    assert attempt.witness is not None  # the row requires a witness
    return {
        "batch_id": attempt.payload["batch_id"],
        "builder_id": attempt.payload["builder_id"],
        "approver_id": attempt.witness.id,
    }


_NOMINATED = frozenset({ItemState.NOMINATED})
_OFFICERS = frozenset({Role.DESTRUCTION_OFFICER})

transition(
    Transition(
        EventType.BATCHED,
        _NOMINATED,
        None,
        _OFFICERS,
        guards=(by_a_provincial_officer, by_a_batch, in_a_taken_application),
        record=_record_batching,
    )
)
transition(
    Transition(
        EventType.APPROVED,
        _NOMINATED,
        ItemState.APPROVED,
        _OFFICERS,
        guards=(by_a_provincial_officer, by_a_batch, approved_by_another_provincial_officer),
        witness_required=True,
        record=_record_approval,
    )
)


def rounds_as_recorded(attempt: Attempt) -> None:
    """An ammunition lot's rounds counted at the site equal its recorded rounds."""
    item = attempt.item
    if item.kind is not ItemKind.AMMUNITION:
        return
    counted = attempt.payload.get("rounds")
    if not _int(counted) or counted != item.quantity_rounds:
        raise TransitionRefused(
            ROUNDS_DIFFER, evidence_no=item.evidence_no, counted=str(counted), recorded=item.quantity_rounds
        )


def before_the_witnesses(attempt: Attempt) -> None:
    """At least two witnesses, none of them the officer destroying."""
    witnesses = attempt.payload.get("witnesses")
    if not isinstance(witnesses, list) or len(witnesses) < 2:
        raise TransitionRefused(TOO_FEW_WITNESSES, batch_id=attempt.payload.get("batch_id"))
    if any(isinstance(w, dict) and w.get("id") == attempt.actor.id for w in witnesses):
        raise TransitionRefused(OFFICER_WITNESSES, username=attempt.actor.username)


def reason_given(attempt: Attempt) -> None:
    required_text(attempt.payload, "reason")


def _record_destruction(attempt: Attempt) -> Payload:
    recorded: Payload = {
        "batch_id": attempt.payload["batch_id"],
        "method": attempt.payload["method"],
        "place": attempt.payload["place"],
        "witnesses": attempt.payload["witnesses"],
    }
    if attempt.item.kind is ItemKind.AMMUNITION:
        recorded["rounds"] = attempt.payload["rounds"]
    return recorded


def _record_withdrawal(attempt: Attempt) -> Payload:
    return {"batch_id": attempt.payload["batch_id"], "reason": required_text(attempt.payload, "reason")}


transition(
    Transition(
        EventType.DESTROYED,
        frozenset({ItemState.APPROVED}),
        ItemState.DESTROYED,
        _OFFICERS,
        guards=(by_a_provincial_officer, by_a_batch, before_the_witnesses, rounds_as_recorded),
        record=_record_destruction,
    )
)
transition(
    Transition(
        EventType.WITHDRAWN_FROM_BATCH,
        frozenset({ItemState.APPROVED}),
        ItemState.SEALED,
        _OFFICERS,
        guards=(by_a_provincial_officer, by_a_batch, reason_given),
        record=_record_withdrawal,
    )
)


def photo_of_its_stage(attempt: Attempt) -> None:
    """A photo names its SHA-256, and is taken before destruction of an approved item, after it of a
    destroyed one."""
    sha = attempt.payload.get("sha256")
    stage = attempt.payload.get("stage")
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise TransitionRefused(NO_PHOTO, evidence_no=attempt.item.evidence_no)
    expected = {"before": ItemState.APPROVED, "after": ItemState.DESTROYED}.get(str(stage))
    if expected is not attempt.item.state:
        raise TransitionRefused(
            PHOTO_STAGE,
            evidence_no=attempt.item.evidence_no,
            stage=str(stage),
            state=attempt.item.state.value,
        )


def _record_photo(attempt: Attempt) -> Payload:
    return {
        "batch_id": attempt.payload["batch_id"],
        "stage": attempt.payload["stage"],
        "sha256": attempt.payload["sha256"],
        "media_type": attempt.payload["media_type"],
        "size": attempt.payload["size"],
    }


transition(
    Transition(
        EventType.PHOTOGRAPHED,
        frozenset({ItemState.APPROVED, ItemState.DESTROYED}),
        None,
        _OFFICERS,
        guards=(by_a_provincial_officer, by_a_batch, photo_of_its_stage),
        changes_item=False,
        record=_record_photo,
    )
)

BATCH_ACTS = (
    EventType.BATCHED,
    EventType.APPROVED,
    EventType.DESTROYED,
    EventType.WITHDRAWN_FROM_BATCH,
    EventType.PHOTOGRAPHED,
)
