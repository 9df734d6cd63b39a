"""Ballistic samples and lot splits on SQLite and PostgreSQL: a test-fire of a firearm checked out to the
lab registers its bullet and cartridge-case samples (own evidence numbers, the firearm's case, linked to
it) and takes the rounds fired from a lot in the same act; a lot splits into two that add up; every
refusal writes nothing; the ledger verifies and replays after each step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from seal_world import SHELF_1, accept, add_locations, assert_ledger_sound
from sqlalchemy import text

from custody.errors import (
    CustodyError,
    IllegalTransition,
    InvalidInput,
    NotPermitted,
    TransitionRefused,
    UnknownItem,
)
from custody.intake import AmmunitionIntake
from custody.lifecycle import Attempt
from custody.lifecycle.samples import not_a_sample
from custody.model import AuditMode, Department, EventType, ItemState, Role
from custody.numbers import EvidenceNumber, ItemKind
from custody.records import Item
from custody.samples import TestFire as Firing
from custody.services import Custody

LAB = "长春市公安局刑事技术研究所"
EXAMINER = "王检验师"


def refused_writing_nothing(custody: Custody, act, error: type[CustodyError]) -> CustodyError:
    head = custody.ledger.head()
    with pytest.raises(error) as refused:
        act()
    assert custody.ledger.head() == head, "a refusal wrote to the ledger"
    return refused.value


def at_the_lab(custody: Custody, item: Item, purpose: str = "lab") -> Item:
    clerk = custody.users.actor("ng-clerk")
    return custody.items.check_out(clerk, item.evidence_no, item.version, purpose, "技术室", "2026-12-31")


def fire(**given) -> Firing:
    values = {"lab": LAB, "examiner": EXAMINER, "bullets": 2, "cases": 2, "lab_stock": "实验室库存 7.62mm"}
    values.update(given)
    return Firing(**values)


def investigator(custody: Custody) -> object:
    return custody.users.actor("ng-investigator")


# --------------------------------------------------------------------------------------- test-fires


def test_a_test_fire_registers_linked_samples_and_takes_the_rounds_from_the_lot(
    custody: Custody, gun: Item, ammo: Item
):
    at_the_lab(custody, gun)
    fired = custody.samples.test_fire(
        investigator(custody),
        gun.evidence_no,
        fire(ammunition_lot=ammo.evidence_no, rounds=4, lab_stock=None, date="2026-03-01"),
    )
    assert [s.kind for s in fired.samples] == [ItemKind.BULLET_SAMPLE] * 2 + [ItemKind.CASING_SAMPLE] * 2
    assert fired.lot is not None and fired.lot.quantity_rounds == 46
    assert custody.items.item(None, ammo.evidence_no).quantity_rounds == 46
    sequences = [EvidenceNumber.parse(s.evidence_no).sequence for s in fired.samples]
    assert sequences == [3, 4, 5, 6]  # after the gun and the lot, gapless
    for sample in fired.samples:
        stored = custody.items.item(None, sample.evidence_no)
        assert (stored.case_id, stored.case_no, stored.unit_code, stored.sample_of_item_id) == (
            gun.case_id,
            gun.case_no,
            gun.unit_code,
            gun.id,
        )
        assert (stored.state, stored.calibre, stored.version) == (ItemState.REGISTERED, "7.62mm", 1)
        (made,) = stored.history
        assert (made.event_type, made.actor, made.payload["firearm"]) == (
            "sample_made",
            "ng-investigator",
            gun.evidence_no,
        )
    after = custody.items.item(None, gun.evidence_no)
    assert (after.state, after.version) == (ItemState.CHECKED_OUT, 3)
    last = after.history[-1]
    assert last.event_type == "test_fired"
    assert last.payload == {
        "lab": LAB,
        "examiner": EXAMINER,
        "date": "2026-03-01",
        "ammunition_lot": ammo.evidence_no,
        "rounds": 4,
        "lab_stock": None,
        "samples": [s.evidence_no for s in fired.samples],
    }
    consumed = custody.items.item(None, ammo.evidence_no).history[-1]
    assert (consumed.event_type, consumed.payload["rounds"]) == ("consumed", 4)
    assert consumed.seq == last.seq + 1  # one act: the firearm, the lot, the samples in a row
    assert_ledger_sound(custody)


def test_a_test_fire_with_the_labs_own_stock_touches_no_lot(custody: Custody, gun: Item, ammo: Item):
    at_the_lab(custody, gun)
    fired = custody.samples.test_fire(investigator(custody), gun.evidence_no, fire(bullets=1, cases=0))
    assert fired.lot is None and [s.kind for s in fired.samples] == [ItemKind.BULLET_SAMPLE]
    payload = custody.items.item(None, gun.evidence_no).history[-1].payload
    assert (payload["lab_stock"], payload["ammunition_lot"], payload["date"]) == (
        "实验室库存 7.62mm",
        None,
        "2026-03-02",  # today, China Standard Time
    )
    assert custody.items.item(None, ammo.evidence_no).quantity_rounds == 50
    assert_ledger_sound(custody)


def test_rounds_never_go_below_zero_and_a_refused_test_fire_takes_no_number(
    custody: Custody, gun: Item, ammo: Item, case
):
    at_the_lab(custody, gun)
    too_many = fire(ammunition_lot=ammo.evidence_no, rounds=51, lab_stock=None)
    refused_writing_nothing(
        custody,
        lambda: custody.samples.test_fire(investigator(custody), gun.evidence_no, too_many),
        TransitionRefused,
    )
    assert custody.items.item(None, ammo.evidence_no).quantity_rounds == 50
    later = custody.items.register_ammunition(
        custody.users.actor("ng-clerk"), case.case_no, AmmunitionIntake("9mm", 10)
    )
    assert EvidenceNumber.parse(later.evidence_no).sequence == 3  # the refused samples' numbers were not kept


@pytest.mark.parametrize(
    "given",
    [
        {"bullets": 0, "cases": 0},
        {"bullets": -1},
        {"lab_stock": None},  # no ammunition named
        {"ammunition_lot": "A220102202600000299", "rounds": 1},  # both a lot and lab stock
        {"lab": " "},
        {"date": "2026-03-03"},  # tomorrow
        {"date": "03/01/2026"},
    ],
)
def test_a_test_fire_missing_what_the_examiner_reports_is_refused(custody: Custody, gun: Item, given):
    at_the_lab(custody, gun)
    refused_writing_nothing(
        custody,
        lambda: custody.samples.test_fire(investigator(custody), gun.evidence_no, fire(**given)),
        CustodyError,
    )


def test_a_firearm_is_test_fired_only_while_checked_out_to_the_lab(custody: Custody, gun: Item, ammo: Item):
    act = lambda: custody.samples.test_fire(investigator(custody), gun.evidence_no, fire())  # noqa: E731
    refused_writing_nothing(custody, act, IllegalTransition)  # still in case custody
    at_the_lab(custody, gun, "court")
    assert "court" in str(refused_writing_nothing(custody, act, TransitionRefused))
    at_ammo = at_the_lab(custody, ammo)
    lot = lambda: custody.samples.test_fire(investigator(custody), at_ammo.evidence_no, fire())  # noqa: E731
    refused_writing_nothing(custody, lot, IllegalTransition)  # a lot is no firearm


def test_only_an_investigator_of_criminal_investigation_in_scope_test_fires(custody: Custody, gun: Item):
    at_the_lab(custody, gun)
    custody.users.add(
        "ng-po-investigator", "治安侦查", "220102", Department.PUBLIC_ORDER, {Role.INVESTIGATOR}
    )
    custody.users.add(
        "jl-investigator", "吉林刑侦", "220200", Department.CRIMINAL_INVESTIGATION, {Role.INVESTIGATOR}
    )
    for username, error in (
        ("ng-clerk", NotPermitted),
        ("ng-custodian", NotPermitted),
        ("ng-po-investigator", NotPermitted),
        ("jl-investigator", UnknownItem),  # out of scope: answered as missing
    ):
        actor = custody.users.actor(username)
        refused_writing_nothing(
            custody, lambda a=actor: custody.samples.test_fire(a, gun.evidence_no, fire()), error
        )


def test_samples_are_made_after_the_case_closed_and_are_handed_over_and_sealed_like_any_item(
    custody: Custody, gun: Item, case
):
    clerk = custody.users.actor("ng-clerk")
    at_the_lab(custody, gun)
    custody.cases.close(clerk, case.case_no)
    fired = custody.samples.test_fire(investigator(custody), gun.evidence_no, fire(bullets=1, cases=1))
    returned = custody.items.return_item(clerk, gun.evidence_no, 3)
    add_locations(custody)
    numbers = [gun.evidence_no, *(s.evidence_no for s in fired.samples)]
    assert returned.state is ItemState.REGISTERED
    accept(custody, numbers)
    seal = custody.seals.create(
        custody.users.actor("ng-custodian"), SHELF_1, numbers, custody.users.actor("ng-clerk2")
    )
    for number in numbers:
        assert custody.items.item(None, number).seal_no == seal.seal_no
    # audited as a category of their own
    audit = custody.audits.open(custody.users.actor("ng-auditor"), "220102", mode=AuditMode.SAMPLE, seed="s")
    with custody.store.reading() as conn:
        categories = dict(
            conn.execute(
                text(
                    "SELECT i.evidence_no, c.category FROM audit_candidates c "
                    "JOIN items i ON i.id = c.item_id WHERE c.audit_id = :audit"
                ),
                {"audit": audit.id},
            ).all()
        )
    assert categories == {gun.evidence_no: "firearm", **{s.evidence_no: "sample" for s in fired.samples}}
    assert_ledger_sound(custody)


def test_a_sample_is_never_a_candidate_for_destruction(custody: Custody, gun: Item):
    at_the_lab(custody, gun)
    (sample,) = custody.samples.test_fire(
        investigator(custody), gun.evidence_no, fire(bullets=1, cases=0)
    ).samples
    clerk = custody.users.actor("ng-clerk")
    attempt = lambda item: Attempt(EventType.CORRECTED, item, clerk, {}, date(2026, 3, 2), None)  # noqa: E731
    with pytest.raises(TransitionRefused, match="kept for good"):
        not_a_sample(attempt(sample))
    with pytest.raises(TransitionRefused, match="kept for good"):  # a link alone makes it a sample
        not_a_sample(attempt(replace(gun, sample_of_item_id=sample.id)))
    not_a_sample(attempt(gun))


# ------------------------------------------------------------------------------------------- splits


def test_a_split_lot_and_its_original_add_up_and_stay_with_their_holder(custody: Custody, ammo: Item):
    clerk = custody.users.actor("ng-clerk")
    split = custody.samples.split(clerk, ammo.evidence_no, 20)
    assert (split.original.quantity_rounds, split.split_off.quantity_rounds) == (30, 20)
    part = custody.items.item(None, split.split_off.evidence_no)
    assert (part.kind, part.case_id, part.state, part.calibre, part.headstamp_lot) == (
        ItemKind.AMMUNITION,
        ammo.case_id,
        ItemState.REGISTERED,
        "7.62mm",
        "71-83",
    )
    assert part.history[0].event_type == "split_off"
    assert part.history[0].payload["split_from"] == ammo.evidence_no
    original = custody.items.item(None, ammo.evidence_no).history[-1]
    assert (original.event_type, original.payload) == (
        "lot_split",
        {"rounds": 20, "previous": 50, "split_off": part.evidence_no},
    )
    assert_ledger_sound(custody)


@pytest.mark.parametrize("rounds", [0, -3, 50, 51])
def test_a_split_takes_some_rounds_but_not_all(custody: Custody, ammo: Item, rounds: int):
    clerk = custody.users.actor("ng-clerk")
    refused_writing_nothing(
        custody, lambda: custody.samples.split(clerk, ammo.evidence_no, rounds), TransitionRefused
    )


def test_a_lot_in_the_store_is_split_by_its_custodian_and_a_sealed_one_only_once_unsealed(
    custody: Custody, ammo: Item, case
):
    clerk, custodian = custody.users.actor("ng-clerk"), custody.users.actor("ng-custodian")
    custody.cases.close(clerk, case.case_no)
    add_locations(custody)
    accept(custody, [ammo.evidence_no])
    refused_writing_nothing(custody, lambda: custody.samples.split(clerk, ammo.evidence_no, 5), NotPermitted)
    seal = custody.seals.create(custodian, SHELF_1, [ammo.evidence_no], custody.users.actor("ng-auditor"))
    refusal = refused_writing_nothing(
        custody, lambda: custody.samples.split(custodian, ammo.evidence_no, 5), TransitionRefused
    )
    assert "unseal it" in str(refusal) and seal.seal_no in str(refusal)
    custody.seals.open(custodian, seal.seal_no, "分批", custody.users.actor("ng-auditor"))
    split = custody.samples.split(custodian, ammo.evidence_no, 5)
    part = custody.items.item(None, split.split_off.evidence_no)
    assert (part.state, part.custodian_user_id, part.location_code, part.quantity_rounds) == (
        ItemState.HANDED_OVER,
        custodian.id,
        SHELF_1,
        5,
    )
    assert custody.items.item(None, ammo.evidence_no).quantity_rounds == 45
    assert_ledger_sound(custody)


def test_a_split_names_an_ammunition_lot(custody: Custody, gun: Item):
    clerk = custody.users.actor("ng-clerk")
    refused_writing_nothing(
        custody, lambda: custody.samples.split(clerk, gun.evidence_no, 1), IllegalTransition
    )
    refused_writing_nothing(custody, lambda: custody.samples.split(clerk, "A22010220260000", 1), InvalidInput)


def test_replay_finds_a_sample_link_or_a_split_changed_outside_the_ledger(
    custody: Custody, gun: Item, ammo: Item
):
    at_the_lab(custody, gun)
    (sample,) = custody.samples.test_fire(
        investigator(custody), gun.evidence_no, fire(bullets=1, cases=0)
    ).samples
    split = custody.samples.split(custody.users.actor("ng-clerk"), ammo.evidence_no, 7)
    assert_ledger_sound(custody)
    with custody.engine.begin() as conn:
        conn.execute(text("UPDATE items SET sample_of_item_id = NULL WHERE id = :id"), {"id": sample.id})
        conn.execute(text("UPDATE items SET quantity_rounds = 8 WHERE id = :id"), {"id": split.split_off.id})
    _count, differences = custody.ledger.replay()
    assert {(d.subject, d.field, d.stored, d.replayed) for d in differences} == {
        (f"item {sample.evidence_no}", "sample_of_item_id", None, gun.id),
        (f"item {split.split_off.evidence_no}", "quantity_rounds", 8, 7),
    }
