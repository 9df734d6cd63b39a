"""The rows of destruction's first half, on plain attempts: what a nomination requires of each item,
what a hold, a withdrawal and a refusal record and change, and the review date a seal sets."""

from __future__ import annotations

from datetime import date

import pytest

from custody.actors import Actor
from custody.errors import CustodyError, IllegalTransition, InvalidInput, TransitionRefused
from custody.lifecycle import Attempt, transition_for
from custody.lifecycle.reviews import one_year_after
from custody.model import Department, EventType, ItemState, Role
from custody.numbers import ItemKind
from custody.records import Item

CITY = Actor(1, "cc", "CC", "220100", Department.PUBLIC_ORDER, frozenset({Role.CUSTODIAN}))
OFFICER = Actor(
    2, "p", "P", "220000", Department.PROVINCIAL_PUBLIC_ORDER, frozenset({Role.DESTRUCTION_OFFICER})
)
TODAY = date(2026, 3, 2)
APPLYING = {"application_id": 5, "unit_code": "220100"}


class Lookups:
    def __init__(
        self, case: str = "closed", samples: frozenset[str] = frozenset("BC"), open_in: int | None = None
    ) -> None:
        self.case, self.samples, self.open_in = case, samples, open_in

    def case_status(self, case_id: int) -> str:
        return self.case

    def open_discrepancies(self, item_id: int) -> int:
        return 0

    def sample_kinds(self, item_id: int) -> frozenset[str]:
        return self.samples

    def open_application(self, item_id: int) -> int | None:
        return self.open_in


def item(state: ItemState = ItemState.SEALED, kind: ItemKind = ItemKind.FIREARM, **more: object) -> Item:
    values: dict[str, object] = {"seal_no": "S220102202600000181", "fires_standard_ammunition": True, **more}
    return Item(7, f"{kind.value}220102202600000173", kind, 1, "220102", state, 5, 0, **values)  # type: ignore[arg-type]


def check(
    event: EventType, subject: Item, actor: Actor, payload: dict[str, object], lookups: Lookups
) -> Attempt:
    tried = Attempt(event, subject, actor, payload, TODAY, lookups)  # type: ignore[arg-type]
    transition_for(event).check(tried)
    return tried


def refusal(
    event: EventType, subject: Item, payload: dict[str, object], lookups: Lookups, actor: Actor = CITY
) -> str:
    with pytest.raises(CustodyError) as refused:
        check(event, subject, actor, payload, lookups)
    return refused.value.key


def test_a_nomination_records_its_application_and_the_seal():
    tried = check(EventType.NOMINATED, item(), CITY, dict(APPLYING), Lookups())
    row = transition_for(EventType.NOMINATED)
    recorded = row.record(tried)
    assert recorded == {"application_id": 5, "unit_code": "220100", "seal_no": "S220102202600000181"}
    assert row.apply(item(), recorded) == {"state": "nominated", "version": 6}


@pytest.mark.parametrize(
    ("subject", "payload", "lookups", "key"),
    [
        (item(), {}, Lookups(), "destruction.no_application"),
        (item(seal_no=None), APPLYING, Lookups(), "destruction.not_under_seal"),
        (item(), {**APPLYING, "unit_code": "220000"}, Lookups(), "destruction.province_own_store"),
        (item(), APPLYING, Lookups(case="open"), "destruction.case_open"),
        (
            item(kind=ItemKind.BULLET_SAMPLE, fires_standard_ammunition=None),
            APPLYING,
            Lookups(),
            "destruction.is_a_sample",
        ),
        (item(kind=ItemKind.AMMUNITION, sample_of_item_id=3), APPLYING, Lookups(), "destruction.is_a_sample"),
        (item(), APPLYING, Lookups(open_in=4), "destruction.in_open_application"),
        (item(), APPLYING, Lookups(samples=frozenset()), "destruction.samples_missing"),
        (item(), APPLYING, Lookups(samples=frozenset("B")), "destruction.samples_missing"),
        (item(), APPLYING, Lookups(samples=frozenset("C")), "destruction.samples_missing"),
        (item(ItemState.LOST, seal_no=None), APPLYING, Lookups(), "act.not_from_state"),
        (item(ItemState.NOMINATED), APPLYING, Lookups(), "act.not_from_state"),
    ],
)
def test_a_nomination_is_refused_for_the_item(subject, payload, lookups, key):
    assert refusal(EventType.NOMINATED, subject, dict(payload), lookups) == key


def test_samples_are_needed_only_of_a_firearm_firing_standard_ammunition():
    check(
        EventType.NOMINATED,
        item(fires_standard_ammunition=False),
        CITY,
        dict(APPLYING),
        Lookups(samples=frozenset()),
    )
    lot = item(kind=ItemKind.AMMUNITION, fires_standard_ammunition=None)
    check(EventType.NOMINATED, lot, CITY, dict(APPLYING), Lookups(samples=frozenset()))


def test_a_withdrawal_or_a_refusal_returns_the_item_to_sealed():
    nominated = item(ItemState.NOMINATED)
    lookups = Lookups(open_in=5)
    for event, actor, payload in (
        (EventType.APPLICATION_WITHDRAWN, CITY, {"application_id": 5}),
        (EventType.APPLICATION_REFUSED, OFFICER, {"application_id": 5, "reason": "样本不全"}),
    ):
        row = transition_for(event)
        recorded = row.record(check(event, nominated, actor, payload, lookups))
        assert recorded["application_id"] == 5
        assert row.apply(nominated, recorded) == {"state": "sealed", "version": 6}
    # another application's items, and a refusal without a reason, are refused
    assert refusal(EventType.APPLICATION_WITHDRAWN, nominated, {"application_id": 6}, lookups) == (
        "destruction.not_in_application"
    )
    with pytest.raises(InvalidInput):
        check(EventType.APPLICATION_REFUSED, nominated, OFFICER, {"application_id": 5, "reason": ""}, lookups)
    with pytest.raises(IllegalTransition):
        check(EventType.APPLICATION_REFUSED, item(), OFFICER, {"application_id": 5, "reason": "x"}, lookups)


def test_a_hold_moves_the_review_date_to_a_later_day():
    row = transition_for(EventType.REVIEW_HELD)
    sealed = item(review_due="2026-04-01")
    tried = check(
        EventType.REVIEW_HELD, sealed, CITY, {"reason": "等待复函", "until": "2026-09-30"}, Lookups()
    )
    recorded = row.record(tried)
    assert recorded == {"until": "2026-09-30", "previous": "2026-04-01", "reason": "等待复函"}
    assert row.apply(sealed, recorded) == {"review_due": "2026-09-30", "version": 6}
    for payload in (
        {"reason": "x", "until": "2026-03-02"},
        {"reason": "x", "until": "30/09/2026"},
        {"reason": "x"},
    ):
        with pytest.raises((InvalidInput, TransitionRefused)):
            check(EventType.REVIEW_HELD, sealed, CITY, payload, Lookups())


def test_a_year_after_the_29th_of_february_is_the_28th():
    assert one_year_after(date(2028, 2, 29)) == date(2029, 2, 28)
    assert one_year_after(date(2026, 3, 2)) == date(2027, 3, 2)
