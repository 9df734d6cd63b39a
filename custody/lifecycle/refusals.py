"""The refusals of the item acts' guards (:mod:`custody.lifecycle.items`): their message keys and
English texts, with the parameters each names."""

from __future__ import annotations

from custody.errors import Message

TARGET_UNIT_UNKNOWN = Message("transfer.unknown_unit", "unknown unit {unit_code}")
SAME_UNIT = Message("transfer.same_unit", "{evidence_no} already belongs to unit {unit_code}")
PURPOSE_UNKNOWN = Message("checkout.unknown_purpose", "purpose must be one of: {purposes}")
DUE_IN_PAST = Message("checkout.due_in_past", "due date {due_date} lies in the past")
CASE_NOT_CONCLUDED = Message(
    "handover.case_not_concluded",
    "{evidence_no}: its case is {status}; only items of a closed or judged case are "
    "handed over to sealed storage",
)
UNKNOWN_RECEIVER = Message("handover.unknown_receiver", "unknown receiver {username}")
RECEIVER_NOT_CUSTODIAN = Message(
    "handover.receiver_not_custodian",
    "{username} is not a sealed-storage custodian of a public-order department",
)
RECEIVER_OTHER_UNIT = Message(
    "handover.receiver_other_unit",
    "{username} belongs to unit {unit_code}; items are handed over to the public-order department of the "
    "same-level unit {item_unit_code}",
)
CORRECTION_EMPTY = Message(
    "correction.empty", "a correction names at least one field and its corrected value"
)
NOT_CORRECTABLE = Message(
    "correction.not_correctable",
    "{name} cannot be corrected on this kind of item (only {allowed}); "
    "state, unit and quantity change only through their own acts",
)
CORRECTION_TYPE = Message("correction.wrong_type", "{name} must be {type}")
NOT_AN_EVENT_OF = Message("correction.not_an_event_of_item", "seq {seq} is not an event of {evidence_no}")
UID_NOT_TEXT = Message("tag.uid_not_text", "uid must be hex text")
UID_SHAPE = Message("tag.uid_shape", "uid must be 4, 7 or 10 bytes in hex, got {uid!r}")
TAG_TAKEN = Message("tag.bound_elsewhere", "tag {uid} is bound to another item; unbind it there first")
COUNT_INVALID = Message("count.quantity_invalid", "quantity must be a whole number of rounds, 0 or more")
ROUNDS_INVALID = Message("consume.rounds_invalid", "rounds must be a whole number, 1 or more")
NOT_ENOUGH_ROUNDS = Message(
    "consume.not_enough_rounds", "{evidence_no} holds {have} rounds; cannot consume {rounds}"
)
RELEASED_BY_ITS_CUSTODIAN = Message(
    "checkout.released_by_its_custodian",
    "{evidence_no} is in sealed storage: only its custodian lets it out of the store and takes it back",
)
OUT_OF_THE_STORE_BY_A_CLERK = Message(
    "checkout.case_custody_by_a_clerk",
    "{evidence_no} is in case custody: a clerk checks it out and takes it back",
)
LAB_ONLY_FROM_STORE = Message(
    "checkout.lab_only_from_store",
    "{evidence_no} is in sealed storage: it leaves the store for the lab only, not for {purpose}",
)
CORRECTION_BY_CLERK = Message(
    "correction.by_clerk",
    "{username} may not correct {evidence_no} ({state}): before the handover the case's clerk corrects",
)
CORRECTION_BY_CUSTODIAN = Message(
    "correction.by_custodian",
    "{username} may not correct {evidence_no} ({state}): from the handover offer on the custodian "
    "corrects, with a witness",
)
CORRECTION_NEEDS_WITNESS = Message(
    "correction.needs_witness",
    "{evidence_no} is {state}: from the handover offer on a correction needs a witness",
)
