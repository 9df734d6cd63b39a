"""The lifecycle of an item as data: which act moves an item from which states to which, who may do it,
which conditions must hold, and what it changes.

registered ⇄ checked out → handed over → sealed → nominated → approved → destroyed

Each act is a :class:`Transition` registered in :data:`TRANSITIONS` by :func:`transition`; later steps of the
lifecycle register theirs the same way, without editing a central switch. Guards are plain functions of an
:class:`Act` that raise :class:`TransitionRefused`; effects return the item fields an act changes. The same
effects rebuild an item's state from the ledger (``custody ledger replay``), so stored state and ledger
cannot drift apart unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from custody import text
from custody.actors import Actor
from custody.errors import IllegalTransition, InvalidInput, TransitionRefused
from custody.model import CaseStatus, CheckoutPurpose, Department, EventType, ItemState, Role
from custody.numbers import ItemKind

Facts = Mapping[str, Any]  # an item's current fields (the ``items`` row)
Changes = dict[str, Any]


class Lookups(Protocol):
    """What guards may ask of the store."""

    def user(self, username: str) -> Actor | None: ...

    def unit_exists(self, code: str) -> bool: ...

    def case_status(self, case_id: int) -> str: ...

    def item_event_type(self, item_id: int, seq: int) -> str | None: ...

    def item_with_tag(self, uid: str) -> str | None: ...


@dataclass(frozen=True)
class Act:
    """One requested act on one item, as the guards see it."""

    event: EventType
    item: Facts
    actor: Actor
    payload: dict[str, Any]
    today: date
    lookups: Lookups
    witness: Actor | None = None


Guard = Callable[[Act], None]
Effect = Callable[[Facts, Mapping[str, Any]], Changes]
Record = Callable[[Act], dict[str, Any]]


def _no_effect(_item: Facts, _payload: Mapping[str, Any]) -> Changes:
    return {}


def _as_given(act: Act) -> dict[str, Any]:
    return dict(act.payload)


@dataclass(frozen=True)
class Transition:
    event: EventType
    sources: frozenset[ItemState]
    target: ItemState | None  # None: the act leaves the state as it is
    roles: frozenset[Role]
    guards: tuple[Guard, ...] = ()
    effect: Effect = _no_effect
    changes_item: bool = True  # False for acts that only record a sighting: state and version stay
    kinds: frozenset[ItemKind] = field(default_factory=lambda: frozenset(ItemKind))
    witness_required: bool = False
    record: Record = _as_given  # the payload stored in the ledger, from a checked act
    # Payload fields naming a second person who confirms the act with their own password (a receiver
    # accepting the item); a witness, when one is named, always confirms too. The entry points act
    # through ``Identity.act``, which checks the confirmations before the act.
    second_persons: tuple[str, ...] = ()

    def check(self, act: Act) -> None:
        """Raise unless ``act`` may happen now. Guards run only once the state allows the act."""
        state = ItemState(act.item["state"])
        if state not in self.sources:
            raise IllegalTransition(
                f"{act.item['evidence_no']} is {state.value}: cannot be {self.event.value} "
                f"(allowed from {', '.join(sorted(s.value for s in self.sources))})"
            )
        if ItemKind(act.item["kind"]) not in self.kinds:
            raise IllegalTransition(
                f"{act.item['evidence_no']}: {self.event.value} does not apply to this kind"
            )
        if self.witness_required and act.witness is None:
            raise TransitionRefused(f"{self.event.value} needs a witness")
        if act.witness is not None and act.witness.id == act.actor.id:
            raise TransitionRefused("the witness must be another person than the actor")
        for guard in self.guards:
            guard(act)

    def apply(self, item: Facts, payload: Mapping[str, Any]) -> Changes:
        """The fields this act changes (state and version included when it changes the item)."""
        changes = self.effect(item, payload)
        if self.changes_item:
            if self.target is not None:
                changes["state"] = self.target.value
            changes["version"] = item["version"] + 1
        return changes


TRANSITIONS: dict[EventType, Transition] = {}


def transition(t: Transition) -> Transition:
    if t.event in TRANSITIONS:
        raise ValueError(f"transition {t.event} registered twice")
    TRANSITIONS[t.event] = t
    return t


def transition_for(event: EventType) -> Transition:
    try:
        return TRANSITIONS[event]
    except KeyError:
        raise IllegalTransition(f"{event.value} is not an act on an item") from None


# ---------------------------------------------------------------------------------------------- guards


def _text(payload: Mapping[str, Any], name: str) -> str:
    """A required text field of an act, as stored (:mod:`custody.text`)."""
    return text.clean(payload.get(name), name, required=True) or ""


def _optional_text(payload: Mapping[str, Any], name: str) -> str:
    return text.clean(payload.get(name) or None, name) or ""


# The largest ledger seq a correction may name (a signed 64-bit column).
MAX_SEQ = 2**63 - 1


def target_unit_exists(act: Act) -> None:
    to_unit = _text(act.payload, "to_unit")
    if not act.lookups.unit_exists(to_unit):
        raise TransitionRefused(f"unknown unit {to_unit}")
    if to_unit == act.item["unit_code"]:
        raise TransitionRefused(f"{act.item['evidence_no']} already belongs to unit {to_unit}")


def valid_checkout(act: Act) -> None:
    purpose = _text(act.payload, "purpose")
    if purpose not in {p.value for p in CheckoutPurpose}:
        raise InvalidInput(
            f"purpose must be one of: {', '.join(p.value for p in CheckoutPurpose)}", "purpose"
        )
    _text(act.payload, "to")
    due = parse_date(_text(act.payload, "due_date"), "due_date")
    if due < act.today:
        raise TransitionRefused(f"due date {due} lies in the past")


def case_closed_or_judged(act: Act) -> None:
    status = act.lookups.case_status(act.item["case_id"])
    if status not in {CaseStatus.CLOSED, CaseStatus.JUDGED}:
        raise TransitionRefused(
            f"{act.item['evidence_no']}: its case is {status}; only items of a closed or judged case are "
            "handed over to sealed storage"
        )


def receiver_is_same_level_public_order(act: Act) -> None:
    username = _text(act.payload, "receiver")
    receiver = act.lookups.user(username)
    if receiver is None:
        raise TransitionRefused(f"unknown receiver {username}")
    if receiver.department is not Department.PUBLIC_ORDER or Role.CUSTODIAN not in receiver.roles:
        raise TransitionRefused(f"{username} is not a sealed-storage custodian of a public-order department")
    if receiver.unit_code != act.item["unit_code"]:
        raise TransitionRefused(
            f"{username} belongs to unit {receiver.unit_code}; items are handed over to the public-order "
            f"department of the same-level unit {act.item['unit_code']}"
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


def valid_correction(act: Act) -> None:
    _text(act.payload, "reason")
    changes = act.payload.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("a correction names at least one field and its corrected value", "changes")
    kind = ItemKind(act.item["kind"])
    allowed = CORRECTABLE_FIELDS[kind]
    for name, value in changes.items():
        expected = allowed.get(name)
        if expected is None:
            raise InvalidInput(
                f"{name} cannot be corrected on this kind of item (only {', '.join(sorted(allowed))}); "
                "state, unit and quantity change only through their own acts",
                f"changes.{name}" if isinstance(name, str) and name.isidentifier() else "changes",
            )
        if not isinstance(value, expected):
            raise InvalidInput(f"{name} must be {expected.__name__}", f"changes.{name}")
        try:
            corrected_value(name, value)
        except InvalidInput as refused:
            raise InvalidInput(str(refused), f"changes.{name}") from None
    corrects = act.payload.get("corrects_seq")
    if corrects is not None and (
        not isinstance(corrects, int)
        or isinstance(corrects, bool)
        or not 1 <= corrects <= MAX_SEQ
        or act.lookups.item_event_type(act.item["id"], corrects) is None
    ):
        raise TransitionRefused(f"seq {corrects} is not an event of {act.item['evidence_no']}")


def normal_uid(value: object) -> str:
    """A tag UID as upper-case hex: 4, 7 or 10 bytes (ISO/IEC 14443 single, double, triple size)."""
    if not isinstance(value, str):
        raise InvalidInput("uid must be hex text", "uid")
    uid = value.strip().replace(":", "").upper()
    if len(uid) not in (8, 14, 20) or any(c not in "0123456789ABCDEF" for c in uid):
        raise InvalidInput(f"uid must be 4, 7 or 10 bytes in hex, got {value!r}", "uid")
    return uid


def tag_free_for_item(act: Act) -> None:
    uid = normal_uid(act.payload.get("uid"))
    holder = act.lookups.item_with_tag(uid)
    if holder is not None and holder != act.item["evidence_no"]:
        raise TransitionRefused(f"tag {uid} is bound to another item; unbind it there first")


def valid_count(act: Act) -> None:
    quantity = act.payload.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise InvalidInput("quantity must be a whole number of rounds, 0 or more", "quantity")
    _text(act.payload, "reason")


def enough_rounds(act: Act) -> None:
    rounds = act.payload.get("rounds")
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds <= 0:
        raise InvalidInput("rounds must be a whole number, 1 or more", "rounds")
    have = act.item["quantity_rounds"] or 0
    if rounds > have:
        raise TransitionRefused(f"{act.item['evidence_no']} holds {have} rounds; cannot consume {rounds}")
    _text(act.payload, "reason")


def parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a date YYYY-MM-DD, got {value!r}", name) from None


# --------------------------------------------------------------------------------------------- effects


def _transfer(_item: Facts, payload: Mapping[str, Any]) -> Changes:
    return {"unit_code": payload["to_unit"]}


def _checkout(_item: Facts, payload: Mapping[str, Any]) -> Changes:
    return {
        "checkout_purpose": payload["purpose"],
        "checked_out_to": payload["to"],
        "due_date": payload["due_date"],
    }


def _return(_item: Facts, _payload: Mapping[str, Any]) -> Changes:
    return {"checkout_purpose": None, "checked_out_to": None, "due_date": None}


def _hand_over(_item: Facts, payload: Mapping[str, Any]) -> Changes:
    return {"custodian_user_id": payload["receiver_id"]}


def _correct(_item: Facts, payload: Mapping[str, Any]) -> Changes:
    return dict(payload["changes"])


def _count(_item: Facts, payload: Mapping[str, Any]) -> Changes:
    return {"quantity_rounds": payload["quantity"]}


def _consume(item: Facts, payload: Mapping[str, Any]) -> Changes:
    return {"quantity_rounds": item["quantity_rounds"] - payload["rounds"]}


# ---------------------------------------------------------------------------------- recorded payloads
# What the ledger keeps of each act: everything its effect needs, so replay rebuilds the same item.


def _record_transfer(act: Act) -> dict[str, Any]:
    return {
        "from_unit": act.item["unit_code"],
        "to_unit": _text(act.payload, "to_unit"),
        "reason": _optional_text(act.payload, "reason"),
    }


def _record_checkout(act: Act) -> dict[str, Any]:
    return {name: _text(act.payload, name) for name in ("purpose", "to", "due_date")}


def _record_return(act: Act) -> dict[str, Any]:
    return {"note": _optional_text(act.payload, "note")}


def _record_hand_over(act: Act) -> dict[str, Any]:
    receiver = act.lookups.user(_text(act.payload, "receiver"))
    assert receiver is not None  # checked by receiver_is_same_level_public_order
    return {"receiver": receiver.username, "receiver_id": receiver.id}


def _record_correction(act: Act) -> dict[str, Any]:
    changes = {k: corrected_value(k, v) for k, v in act.payload["changes"].items()}
    return {
        "changes": changes,
        "previous": {name: act.item[name] for name in changes},
        "reason": _text(act.payload, "reason"),
        "corrects_seq": act.payload.get("corrects_seq"),
    }


def _record_count(act: Act) -> dict[str, Any]:
    return {
        "quantity": act.payload["quantity"],
        "previous": act.item["quantity_rounds"],
        "reason": _text(act.payload, "reason"),
    }


def _bind_tag(_item: Facts, payload: Mapping[str, Any]) -> Changes:
    return {"tag_uid": payload["uid"]}


def _record_tag(act: Act) -> dict[str, Any]:
    return {
        "uid": normal_uid(act.payload["uid"]),
        "previous_uid": act.item.get("tag_uid"),
        "tag_type": str(act.payload.get("tag_type") or ""),
    }


def _record_consume(act: Act) -> dict[str, Any]:
    return {"rounds": act.payload["rounds"], "reason": _text(act.payload, "reason")}


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


def registered_facts(item_id: int, case_id: int, version: int, payload: Mapping[str, Any]) -> dict[str, Any]:
    """An item's fields as its intake event leaves them (for replay)."""
    facts = {k: v for k, v in payload.items() if k not in {"case_no"}}
    facts.update(id=item_id, case_id=case_id, state=ItemState.REGISTERED.value, version=version)
    return facts
