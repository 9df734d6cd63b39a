"""The correction row of the transition table: a correction is a new record beside the one it corrects
(which stays in the ledger), of the fields an item of that kind has, by whoever holds the item at its stage.

Before the handover offer (registered, or checked out from case custody) the case's clerk corrects, with
a reason; from the offer on (offered, handed over, sealed, nominated, approved, destroyed, or checked out
from the store) the custodian, with a reason and a witness. It is the one act a destroyed item still
undergoes: its record may be corrected, with a witness.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custody import text
from custody.errors import MESSAGES, InvalidInput, Message, NotPermitted, TransitionRefused
from custody.lifecycle import refusals
from custody.lifecycle.items import checked_out_from
from custody.lifecycle.table import Attempt, Changes, Payload, Transition, required_text, transition
from custody.model import EventType, ItemState, Role
from custody.numbers import ItemKind
from custody.records import Item

# The largest ledger seq a correction may name (a signed 64-bit column).
MAX_SEQ = 2**63 - 1


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


def correction_by_stage(attempt: Attempt) -> None:
    """Before the offer the case's clerk corrects, with a reason; from the offer on the custodian, with
    a reason and a witness (the witness confirms with their own credentials at the entry point)."""
    item = attempt.item
    if before_the_offer(item):
        if Role.CLERK not in attempt.actor.roles:
            raise NotPermitted(
                refusals.CORRECTION_BY_CLERK,
                username=attempt.actor.username,
                evidence_no=item.evidence_no,
                state=item.state.value,
            )
        return
    if Role.CUSTODIAN not in attempt.actor.roles:
        raise NotPermitted(
            refusals.CORRECTION_BY_CUSTODIAN,
            username=attempt.actor.username,
            evidence_no=item.evidence_no,
            state=item.state.value,
        )
    if attempt.witness is None:
        raise TransitionRefused(
            refusals.CORRECTION_NEEDS_WITNESS, evidence_no=item.evidence_no, state=item.state.value
        )


FIRES_STANDARD_FIXED = Message(
    "correction.fires_standard_fixed",
    "{evidence_no} is {state}: whether it fires standard ammunition is corrected by nobody once it is "
    "nominated for destruction",
)
# From nomination on, the flag that decided whether samples were needed is fixed.
_NOMINATED_ON = frozenset({ItemState.NOMINATED, ItemState.APPROVED, ItemState.DESTROYED})


def fires_standard_fixed_once_nominated(attempt: Attempt) -> None:
    changes = attempt.payload.get("changes")
    item = attempt.item
    if item.state in _NOMINATED_ON and isinstance(changes, dict) and "fires_standard_ammunition" in changes:
        raise TransitionRefused(FIRES_STANDARD_FIXED, evidence_no=item.evidence_no, state=item.state.value)


def before_the_offer(item: Item) -> bool:
    if item.state is ItemState.CHECKED_OUT:
        return checked_out_from(item) is ItemState.REGISTERED
    return item.state is ItemState.REGISTERED


# ---------------------------------------------------------------------------------------------- row


def _correct(_item: Item, payload: Mapping[str, Any]) -> Changes:
    return dict(payload["changes"])


def _record_correction(attempt: Attempt) -> Payload:
    changes = {k: corrected_value(k, v) for k, v in attempt.payload["changes"].items()}
    return {
        "changes": changes,
        "previous": {name: attempt.item.column(name) for name in changes},
        "reason": required_text(attempt.payload, "reason"),
        "corrects_seq": attempt.payload.get("corrects_seq"),
    }


transition(
    Transition(
        EventType.CORRECTED,
        frozenset(ItemState),
        None,
        frozenset({Role.CLERK, Role.CUSTODIAN}),
        guards=(correction_by_stage, valid_correction, fires_standard_fixed_once_nominated),
        effect=_correct,
        record=_record_correction,
    )
)
