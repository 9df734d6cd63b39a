"""The rows of sealed storage, on plain attempts: who may seal, unseal, move and hand on an item, what
each act records and what it changes."""

from __future__ import annotations

from datetime import date

import pytest

from custody.actors import Actor
from custody.codes import SealNumber
from custody.errors import IllegalTransition, InvalidInput, TransitionRefused
from custody.lifecycle import Attempt, transition_for
from custody.model import Department, EventType, ItemState, Role
from custody.numbers import ItemKind
from custody.records import Item

CUSTODIAN = Actor(1, "c", "C", "220102", Department.PUBLIC_ORDER, frozenset({Role.CUSTODIAN}))
OTHER = Actor(2, "c2", "C2", "220102", Department.PUBLIC_ORDER, frozenset({Role.CUSTODIAN}))
CLERK = Actor(3, "k", "K", "220102", Department.EVIDENCE_ROOM, frozenset({Role.CLERK}))
WITNESS = Actor(4, "w", "W", "220102", Department.INSPECTION, frozenset({Role.AUDITOR}))
ADMIN = Actor(5, "a", "A", "220000", Department.OFFICE, frozenset({Role.ADMIN}))
SEAL = str(SealNumber.make("220102", 2026, 1))
PEOPLE = {a.username: a for a in (CUSTODIAN, OTHER, CLERK, WITNESS, ADMIN)}


class Lookups:
    def __init__(self, chain: frozenset[int] = frozenset()) -> None:
        self.chain = chain

    def user(self, username: str) -> Actor | None:
        return PEOPLE.get(username)

    def unit_exists(self, code: str) -> bool:
        return True

    def case_status(self, case_id: int) -> str:
        return "closed"

    def item_event_type(self, item_id: int, seq: int) -> str | None:
        return None

    def item_with_tag(self, uid: str) -> str | None:
        return None

    def custody_chain(self, item_id: int) -> frozenset[int]:
        return self.chain

    def open_discrepancies(self, item_id: int) -> int:
        return 0


def item(state: ItemState = ItemState.HANDED_OVER, custodian: int = 1, **more: object) -> Item:
    return Item(
        7,
        "F220102202600000173",
        ItemKind.FIREARM,
        1,
        "220102",
        state,
        3,
        0,
        custodian_user_id=custodian,
        **more,
    )


def attempt(
    event: EventType,
    subject: Item,
    actor: Actor,
    payload: dict[str, object],
    witness: Actor | None = None,
    chain=frozenset(),
) -> Attempt:
    return Attempt(event, subject, actor, payload, date(2026, 3, 2), Lookups(frozenset(chain)), witness)


SEALING = {"seal_no": SEAL, "location_code": "l220102-a-1", "tag_uid": None}


def test_sealing_records_the_seal_and_the_place_and_changes_them():
    row = transition_for(EventType.SEALED)
    tried = attempt(EventType.SEALED, item(), CUSTODIAN, dict(SEALING), WITNESS, chain={3})
    row.check(tried)
    recorded = row.record(tried)
    # the review date: a year after the day of sealing, none given
    assert recorded == {
        "seal_no": SEAL,
        "location_code": "L220102-A-1",
        "tag_uid": None,
        "review_due": "2027-03-02",
    }
    changes = row.apply(item(), recorded)
    assert changes == {
        "seal_no": SEAL,
        "location_code": "L220102-A-1",
        "review_due": "2027-03-02",
        "state": "sealed",
        "version": 4,
    }
    # a seal of an older ledger carries no review date: the item has none
    older = {"seal_no": SEAL, "location_code": "L220102-A-1", "tag_uid": None}
    assert row.apply(item(), older)["review_due"] is None


@pytest.mark.parametrize(
    ("subject", "actor", "witness", "chain", "refusal"),
    [
        (item(ItemState.REGISTERED), CUSTODIAN, WITNESS, (), IllegalTransition),  # not accepted
        (item(custodian=2), CUSTODIAN, WITNESS, (), TransitionRefused),  # another custodian's
        (item(), CUSTODIAN, None, (), TransitionRefused),  # no witness
        (item(), CUSTODIAN, CUSTODIAN, (), TransitionRefused),  # the custodian as witness
        (item(), CUSTODIAN, WITNESS, (4,), TransitionRefused),  # a witness in the chain
        (item(custodian=4), WITNESS, WITNESS, (), TransitionRefused),
    ],
)
def test_sealing_refusals(subject, actor, witness, chain, refusal):
    with pytest.raises(refusal):
        transition_for(EventType.SEALED).check(
            attempt(EventType.SEALED, subject, actor, dict(SEALING), witness, chain)
        )


def test_a_malformed_seal_number_or_place_is_invalid_input():
    row = transition_for(EventType.SEALED)
    for bad in ({"seal_no": SEAL[:-1] + "0"}, {"location_code": "F220102"}, {"tag_uid": "xyz"}):
        with pytest.raises(InvalidInput):
            row.check(attempt(EventType.SEALED, item(), CUSTODIAN, {**SEALING, **bad}, WITNESS))


def test_unsealing_needs_the_seal_a_reason_and_a_witness_and_keeps_the_place():
    row = transition_for(EventType.UNSEALED)
    sealed = item(ItemState.SEALED, seal_no=SEAL, location_code="L220102-A-1")
    tried = attempt(EventType.UNSEALED, sealed, CUSTODIAN, {"seal_no": SEAL, "reason": "送检"}, WITNESS)
    row.check(tried)
    assert row.apply(sealed, row.record(tried)) == {"seal_no": None, "state": "handed_over", "version": 4}
    other_seal = str(SealNumber.make("220102", 2026, 2))
    for payload, witness in (
        ({"seal_no": SEAL, "reason": " "}, WITNESS),
        ({"seal_no": SEAL, "reason": "送检"}, None),
        ({"seal_no": other_seal, "reason": "送检"}, WITNESS),
    ):
        with pytest.raises((InvalidInput, TransitionRefused)):
            row.check(attempt(EventType.UNSEALED, sealed, CUSTODIAN, payload, witness))


def test_relocation_keeps_the_state_and_records_from_and_to():
    row = transition_for(EventType.RELOCATED)
    sealed = item(ItemState.SEALED, seal_no=SEAL, location_code="L220102-A-1")
    tried = attempt(EventType.RELOCATED, sealed, CUSTODIAN, {"seal_no": SEAL, "to": "L220102-A-2"})
    row.check(tried)
    recorded = row.record(tried)
    assert recorded == {"seal_no": SEAL, "from": "L220102-A-1", "to": "L220102-A-2"}
    assert row.apply(sealed, recorded) == {"location_code": "L220102-A-2", "version": 4}
    with pytest.raises(TransitionRefused):
        row.check(attempt(EventType.RELOCATED, sealed, CUSTODIAN, {"seal_no": SEAL, "to": "L220102-A-1"}))


def test_a_custodian_change_goes_to_a_public_order_custodian_of_the_unit():
    row = transition_for(EventType.CUSTODIAN_CHANGED)
    held = item(ItemState.SEALED, seal_no=SEAL)
    for actor in (CUSTODIAN, ADMIN):
        tried = attempt(EventType.CUSTODIAN_CHANGED, held, actor, {"to": "c2"})
        row.check(tried)
        recorded = row.record(tried)
        assert recorded == {"from_id": 1, "to": "c2", "to_id": 2, "unit_code": "220102"}
        assert row.apply(held, recorded) == {"custodian_user_id": 2, "version": 4}
    for actor, to in ((OTHER, "c2"), (CUSTODIAN, "k"), (CUSTODIAN, "c"), (CUSTODIAN, "nobody")):
        with pytest.raises(TransitionRefused):
            row.check(attempt(EventType.CUSTODIAN_CHANGED, held, actor, {"to": to}))
