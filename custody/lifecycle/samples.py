"""The rows of ballistic samples (弹头、弹壳样本) and of split ammunition lots.

* ``test_fired`` (on the firearm): an investigator of the criminal investigation department (刑侦) records
  a test-fire of a firearm checked out to the lab; the state stays ``checked_out``. Its payload names the
  lab, the examiner, the day, the ammunition (a lot of the custody, whose rounds go down by ``consumed``
  in the same transaction, or the lab's own stock) and the evidence numbers of the samples made.
* ``sample_made`` (a sample's first event): a bullet (``B``) or cartridge-case (``C``) sample is a new
  item of the firearm's case, linked to the firearm (``sample_of_item_id``), in case custody
  (``registered``) whatever the case's status: samples are made after a case is closed and are kept for
  good (handed over and sealed like every item, never nominated for destruction: :func:`not_a_sample`).
* ``lot_split`` (on the original lot) and ``split_off`` (the new lot's first event): N rounds of a lot
  go to a new lot of the same case, calibre and headstamp, in the original's state and with its holder;
  the two add up to the original. A sealed lot is unsealed first.

Every first event carries the whole new item (:func:`made_item` rebuilds it for replay), as intake's
``registered`` does. :mod:`custody.samples` records each act over all its items in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custody.errors import InvalidInput, Message, NotPermitted, TransitionRefused
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
from custody.model import CheckoutPurpose, Department, EventType, ItemState, Role
from custody.numbers import ItemKind, canonical_number
from custody.records import ITEM_COLUMNS, Item

NOT_CRIMINAL_INVESTIGATION = Message(
    "sample.not_criminal_investigation",
    "{username} is not of the criminal investigation department: its investigators make ballistic samples",
)
NOT_AT_THE_LAB = Message(
    "sample.not_at_the_lab",
    "{evidence_no} is checked out for {purpose}: a firearm is test-fired while checked out to the lab",
)
NO_SAMPLES = Message("sample.none", "a test-fire makes at least one sample (a bullet or a cartridge case)")
TOO_MANY_SAMPLES = Message("sample.too_many", "at most {limit} samples of each kind at one test-fire")
SAMPLE_COUNT = Message("sample.count_invalid", "{name} must be a whole number, 0 or more")
FIRED_IN_FUTURE = Message("sample.date_in_future", "test-fire date {date} lies in the future")
AMMUNITION_ONE_SOURCE = Message(
    "sample.ammunition_source",
    "name the ammunition used: either a lot of the custody (with its rounds) or the lab's own stock",
)
IS_A_SAMPLE = Message(
    "destruction.is_a_sample",
    "{evidence_no} is a ballistic sample: samples are evidence kept for good, never destroyed",
)
NOT_A_LINKED_SAMPLE = Message("sample.not_linked", "{evidence_no} is a sample linked to no firearm")
SPLIT_ROUNDS = Message(
    "lot.split_rounds",
    "{evidence_no} holds {have} round(s): a split takes 1 to {most} of them, not {rounds}",
)
SPLIT_NOT_HOLDER = Message(
    "lot.split_not_holder",
    "{evidence_no} is not held by {username}: its holder splits it (a clerk in case custody, its custodian "
    "in the store)",
)
SEALED_LOT = Message(
    "lot.split_sealed",
    "{evidence_no} is sealed under {seal_no}: unseal it (with a witness) before splitting it",
)

MAX_SAMPLES = 50  # of each kind at one test-fire
SAMPLE_KINDS = frozenset({ItemKind.BULLET_SAMPLE, ItemKind.CASING_SAMPLE})
_INVESTIGATORS = frozenset({Role.INVESTIGATOR})
_HOLDERS = frozenset({Role.CLERK, Role.CUSTODIAN})
_FIREARM = frozenset({ItemKind.FIREARM})
_AMMUNITION = frozenset({ItemKind.AMMUNITION})
_SPLITTABLE = frozenset({ItemState.REGISTERED, ItemState.HANDED_OVER})

# ---------------------------------------------------------------------------------------------- guards


def not_a_sample(attempt: Attempt) -> None:
    """Refuse the act on a ballistic sample (for the acts that move an item towards destruction)."""
    item = attempt.item
    if item.kind in SAMPLE_KINDS or item.sample_of_item_id is not None:
        raise TransitionRefused(IS_A_SAMPLE, evidence_no=item.evidence_no)


def by_criminal_investigation(attempt: Attempt) -> None:
    actor = attempt.actor
    if actor.department is not Department.CRIMINAL_INVESTIGATION:
        raise NotPermitted(NOT_CRIMINAL_INVESTIGATION, username=actor.username)


def at_the_lab(attempt: Attempt) -> None:
    """The firearm is checked out for examination, not to court."""
    item = attempt.item
    if item.checkout_purpose is not CheckoutPurpose.LAB:
        purpose = "nothing" if item.checkout_purpose is None else item.checkout_purpose.value
        raise TransitionRefused(NOT_AT_THE_LAB, evidence_no=item.evidence_no, purpose=purpose)


def valid_test_fire(attempt: Attempt) -> None:
    """Lab, examiner and a day not in the future; one source of ammunition; at least one sample."""
    payload = attempt.payload
    required_text(payload, "lab")
    required_text(payload, "examiner")
    fired = parse_date(required_text(payload, "date"), "date")
    if fired > attempt.today:
        raise TransitionRefused(FIRED_IN_FUTURE, date=fired.isoformat())
    counts = [sample_count(payload, name) for name in ("bullets", "cases")]
    if sum(counts) == 0:
        raise InvalidInput(NO_SAMPLES, "bullets")
    lot, stock = payload.get("ammunition_lot"), optional_text(payload, "lab_stock")
    if (lot is None) == (not stock):
        raise InvalidInput(AMMUNITION_ONE_SOURCE, "ammunition")
    if lot is not None:
        canonical_number(lot)


def sample_count(payload: Mapping[str, Any], name: str) -> int:
    """How many samples of a kind a test-fire makes (``bullets``, ``cases``): 0 … :data:`MAX_SAMPLES`."""
    value = payload.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(SAMPLE_COUNT, name, name=name)
    if value > MAX_SAMPLES:
        raise InvalidInput(TOO_MANY_SAMPLES, name, limit=MAX_SAMPLES)
    return value


def linked_sample(attempt: Attempt) -> None:
    if attempt.item.sample_of_item_id is None:
        raise TransitionRefused(NOT_A_LINKED_SAMPLE, evidence_no=attempt.item.evidence_no)


def held_for_split(attempt: Attempt) -> None:
    """Whoever holds the lot splits it: a clerk in case custody, its own custodian in the store."""
    item, actor = attempt.item, attempt.actor
    if item.state is ItemState.HANDED_OVER:
        holds = item.custodian_user_id == actor.id
    else:
        holds = Role.CLERK in actor.roles
    if not holds:
        raise NotPermitted(SPLIT_NOT_HOLDER, evidence_no=item.evidence_no, username=actor.username)


def rounds_to_split(attempt: Attempt) -> None:
    """0 < rounds < the lot's rounds: both lots keep at least one round."""
    rounds, have = attempt.payload.get("rounds"), attempt.item.quantity_rounds or 0
    if not isinstance(rounds, int) or isinstance(rounds, bool) or not 0 < rounds < have:
        raise TransitionRefused(
            SPLIT_ROUNDS,
            evidence_no=attempt.item.evidence_no,
            have=have,
            most=max(have - 1, 0),
            rounds=str(rounds),
        )


def sealed_lot_refused(item: Item) -> None:
    """A sealed lot is unsealed before it is split: said plainly, before the table's own refusal."""
    if item.state is ItemState.SEALED:
        raise TransitionRefused(SEALED_LOT, evidence_no=item.evidence_no, seal_no=item.seal_no or "")


# ---------------------------------------------------------------------------- payloads and effects


def _record_test_fire(attempt: Attempt) -> Payload:
    payload = attempt.payload
    lot = payload.get("ammunition_lot")
    return {
        "lab": required_text(payload, "lab"),
        "examiner": required_text(payload, "examiner"),
        "date": required_text(payload, "date"),
        "ammunition_lot": None if lot is None else canonical_number(lot),
        "rounds": payload.get("rounds"),
        "lab_stock": optional_text(payload, "lab_stock") or None,
        "samples": list(payload["samples"]),
    }


def _record_split(attempt: Attempt) -> Payload:
    return {
        "rounds": attempt.payload["rounds"],
        "previous": attempt.item.quantity_rounds,
        "split_off": attempt.payload["split_off"],
    }


def _split(item: Item, payload: Mapping[str, Any]) -> Changes:
    return {"quantity_rounds": (item.quantity_rounds or 0) - payload["rounds"]}


# The columns of a made item its first event carries (with its kind, state and registration time).
_ITEM_FIELDS = frozenset(ITEM_COLUMNS) - {"id", "case_id", "version"}


def made_item(item_id: int, case_id: int, version: int, payload: Mapping[str, Any]) -> Item:
    """An item as its first event (``sample_made``, ``split_off``) leaves it (for replay)."""
    values = {k: v for k, v in payload.items() if k in _ITEM_FIELDS}
    values.update(id=item_id, case_id=case_id, version=version)
    values["kind"] = ItemKind(values["kind"])
    values["state"] = ItemState(values["state"])
    return Item(**values)


def first_payload(item: Item, **more: Any) -> Payload:
    """The payload of a made item's first event: every column :func:`made_item` rebuilds it from."""
    columns = {name: item.column(name) for name in sorted(_ITEM_FIELDS)}
    columns["kind"], columns["state"] = item.kind.value, item.state.value
    return {**{k: v for k, v in columns.items() if v is not None and v != ""}, **more}


# --------------------------------------------------------------------------------------------- the table

transition(
    Transition(
        EventType.TEST_FIRED,
        frozenset({ItemState.CHECKED_OUT}),
        None,
        _INVESTIGATORS,
        guards=(by_criminal_investigation, at_the_lab, valid_test_fire),
        record=_record_test_fire,
        kinds=_FIREARM,
    )
)
# A sample's registration: made in case custody, never changing on its own first event.
transition(
    Transition(
        EventType.SAMPLE_MADE,
        frozenset({ItemState.REGISTERED}),
        None,
        _INVESTIGATORS,
        guards=(by_criminal_investigation, linked_sample),
        changes_item=False,
        kinds=SAMPLE_KINDS,
    )
)
transition(
    Transition(
        EventType.LOT_SPLIT,
        _SPLITTABLE,
        None,
        _HOLDERS,
        guards=(held_for_split, rounds_to_split),
        effect=_split,
        record=_record_split,
        kinds=_AMMUNITION,
    )
)
transition(
    Transition(
        EventType.SPLIT_OFF,
        _SPLITTABLE,
        None,
        _HOLDERS,
        guards=(held_for_split,),
        changes_item=False,
        kinds=_AMMUNITION,
    )
)

# The first events of items made by these acts (replay builds the item from the payload).
FIRST_EVENTS = frozenset({EventType.SAMPLE_MADE, EventType.SPLIT_OFF})
