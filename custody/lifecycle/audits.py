"""The rows of audits of the sealed store (检查): what an audit reads and closes, and the resolution of
what it found wrong.

``audit_seen`` (an item read on the shelf, by itself or through its seal) and ``audited`` (the finding
about it when the audit closes) change nothing about the item. A discrepancy is resolved by its owner
before an auditor other than the owner (the witness of the act): ``discrepancy_resolved`` changes
nothing; ``reported_lost`` (报失) takes the item out of the store for good (state ``lost``). Every act
that moves an item towards destruction is refused while the item has an open discrepancy
(:func:`no_open_discrepancy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custody.errors import Message, TransitionRefused
from custody.lifecycle.seals import held_by_actor
from custody.lifecycle.table import Attempt, Changes, Payload, Transition, required_text, transition
from custody.model import EventType, ItemState, Resolution, Role
from custody.records import Item

OPEN_DISCREPANCY = Message(
    "audit.open_discrepancy",
    "{evidence_no} has {count} open audit discrepancy(ies): nothing moves it towards destruction until "
    "they are resolved",
)
CONFIRMER_NOT_AUDITOR = Message(
    "discrepancy.confirmer_not_auditor", "{username} is no auditor: an auditor confirms a resolution"
)
NOT_A_RESOLUTION = Message(
    "discrepancy.not_a_resolution", "{resolution!r} is not a resolution (one of {allowed})"
)

AUDIT_ROLES = frozenset({Role.AUDITOR})
OWNER_ROLES = frozenset({Role.CUSTODIAN, Role.CLERK})
_EVERY_STATE = frozenset(ItemState)


def no_open_discrepancy(attempt: Attempt) -> None:
    """Refuse the act while an audit discrepancy about the item is open (for the acts that move an
    item towards destruction)."""
    count = attempt.lookups.open_discrepancies(attempt.item.id)
    if count:
        raise TransitionRefused(OPEN_DISCREPANCY, evidence_no=attempt.item.evidence_no, count=count)


def confirmed_by_auditor(attempt: Attempt) -> None:
    """The second person of a resolution is an auditor (the table already holds them apart from the
    actor)."""
    witness = attempt.witness
    if witness is not None and Role.AUDITOR not in witness.roles:
        raise TransitionRefused(CONFIRMER_NOT_AUDITOR, username=witness.username)


def valid_resolution(attempt: Attempt) -> None:
    required_text(attempt.payload, "reason")
    given = attempt.payload.get("resolution")
    if given not in {r.value for r in Resolution}:
        raise TransitionRefused(
            NOT_A_RESOLUTION, resolution=given, allowed=", ".join(r.value for r in Resolution)
        )


def _record_resolution(attempt: Attempt) -> Payload:
    return {
        "discrepancy_id": attempt.payload["discrepancy_id"],
        "audit_id": attempt.payload["audit_id"],
        "finding": attempt.payload["finding"],
        "resolution": attempt.payload["resolution"],
        "reason": required_text(attempt.payload, "reason"),
    }


def _lost(_item: Item, _payload: Mapping[str, Any]) -> Changes:
    return {"seal_no": None, "location_code": None}


transition(Transition(EventType.AUDIT_SEEN, _EVERY_STATE, None, AUDIT_ROLES, changes_item=False))
transition(Transition(EventType.AUDITED, _EVERY_STATE, None, AUDIT_ROLES, changes_item=False))
transition(
    Transition(
        EventType.DISCREPANCY_RESOLVED,
        _EVERY_STATE,
        None,
        OWNER_ROLES,
        guards=(valid_resolution, confirmed_by_auditor),
        changes_item=False,
        witness_required=True,
        record=_record_resolution,
    )
)
transition(
    Transition(
        EventType.REPORTED_LOST,
        frozenset({ItemState.HANDED_OVER, ItemState.SEALED}),
        ItemState.LOST,
        frozenset({Role.CUSTODIAN}),
        guards=(held_by_actor, valid_resolution, confirmed_by_auditor),
        effect=_lost,
        witness_required=True,
        record=_record_resolution,
    )
)
