"""Intake, transfer, check-out/return, hand-over and corrections through the services, on both back ends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update

from custody.db.tables import EventRow, NumberSequenceRow
from custody.errors import (
    IllegalTransition,
    InvalidInput,
    NotPermitted,
    StaleVersion,
    TransitionRefused,
    UnknownItem,
)
from custody.intake import AmmunitionIntake
from custody.model import EventType
from custody.numbers import EvidenceNumber, ItemKind


def event_count(custody) -> int:
    with custody.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(EventRow)).scalar_one()


def test_intake_numbers_carry_unit_year_and_a_gapless_sequence_shared_by_kinds(custody, case, firearm):
    clerk = custody.users.actor("ng-clerk")
    first = custody.items.register_firearm(clerk, case.case_no, firearm("A1"))
    lot = custody.items.register_ammunition(clerk, case.case_no, AmmunitionIntake("9mm", 30))
    second = custody.items.register_firearm(clerk, case.case_no, firearm("A2"))
    numbers = [EvidenceNumber.parse(x.evidence_no) for x in (first, lot, second)]
    assert [n.kind for n in numbers] == [ItemKind.FIREARM, ItemKind.AMMUNITION, ItemKind.FIREARM]
    assert {n.region_code for n in numbers} == {"220102"}
    assert [n.sequence for n in numbers] == [1, 2, 3]
    assert {n.year for n in numbers} == {2026}


def test_intake_year_is_the_year_in_china_standard_time(custody, case, clock, firearm):
    clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 2027-01-01 00:30 in Beijing
    item = custody.items.register_firearm(custody.users.actor("ng-clerk"), case.case_no, firearm())
    number = EvidenceNumber.parse(item.evidence_no)
    assert (number.year, number.sequence) == (2027, 1)


def test_a_unit_that_used_every_number_of_the_year_is_refused_and_nothing_is_written(custody, case, firearm):
    clerk = custody.users.actor("ng-clerk")
    last = custody.items.register_firearm(clerk, case.case_no, firearm("A1"))
    with custody.engine.begin() as conn:
        conn.execute(update(NumberSequenceRow).values(last_sequence=999_998))
    nearly = custody.items.register_firearm(clerk, case.case_no, firearm("A2"))
    assert EvidenceNumber.parse(nearly.evidence_no).sequence == 999_999
    events, head = event_count(custody), custody.ledger.head()
    with pytest.raises(TransitionRefused, match="used every evidence number of 2026"):
        custody.items.register_firearm(clerk, case.case_no, firearm("A3"))
    assert (event_count(custody), custody.ledger.head()) == (events, head)
    with custody.engine.connect() as conn:
        assert conn.execute(select(NumberSequenceRow.last_sequence)).scalars().all() == [999_999]
    assert EvidenceNumber.parse(last.evidence_no).sequence == 1


def test_registered_item_shows_its_state_and_history(custody, gun):
    shown = custody.items.item(None, gun.evidence_no.lower())
    assert shown.state == "registered" and shown.version == 1
    assert [e.event_type for e in shown.history] == ["registered"]
    assert shown.history[0].payload["source_route"] == "境外走私"
    assert shown.case_no == "长南公刑字〔2026〕001号"


def test_transfer_moves_the_item_to_another_unit(custody, gun):
    after = custody.items.transfer(custody.users.actor("ng-clerk"), gun.evidence_no, 1, "220100", "移送市局")
    assert (after.unit_code, after.version, after.state) == ("220100", 2, "registered")
    # the city sees it; the county that sent it no longer does
    assert custody.items.item(custody.users.actor("cc-clerk"), gun.evidence_no).unit_code == "220100"
    with pytest.raises(UnknownItem):
        custody.items.item(custody.users.actor("ng-clerk"), gun.evidence_no)


def test_checkout_and_return_round_trip(custody, gun):
    clerk = custody.users.actor("ng-clerk")
    out = custody.items.check_out(clerk, gun.evidence_no, 1, "lab", "刑侦技术室", "2026-03-10")
    assert (out.state, out.checkout_purpose, out.due_date) == ("checked_out", "lab", "2026-03-10")
    back = custody.items.return_item(clerk, gun.evidence_no, 2, "检验完毕")
    assert (back.state, back.checked_out_to, back.version) == ("registered", None, 3)


def test_overdue_lists_items_past_their_due_date_in_china_time(custody, gun, clock):
    custody.items.check_out(
        custody.users.actor("ng-clerk"), gun.evidence_no, 1, "court", "南关区法院", "2026-03-05"
    )
    assert custody.items.overdue(today=date(2026, 3, 5)) == []
    overdue = custody.items.overdue(today=date(2026, 3, 6))
    assert [o.evidence_no for o in overdue] == [gun.evidence_no]
    assert custody.items.overdue(custody.users.actor("jl-clerk"), today=date(2026, 3, 6)) == []
    assert len(custody.items.overdue(custody.users.actor("cc-clerk"), today=date(2026, 3, 6))) == 1


def test_checkout_with_a_past_due_date_is_refused(custody, gun):
    with pytest.raises(TransitionRefused, match="past"):
        custody.items.check_out(custody.users.actor("ng-clerk"), gun.evidence_no, 1, "lab", "x", "2026-03-01")


def test_illegal_transition_is_refused_and_writes_nothing(custody, gun):
    before = event_count(custody)
    with pytest.raises(IllegalTransition, match="registered"):
        custody.items.return_item(custody.users.actor("ng-clerk"), gun.evidence_no, 1)
    assert event_count(custody) == before
    assert custody.items.item(None, gun.evidence_no).version == 1


def test_stale_version_is_a_conflict(custody, gun):
    clerk = custody.users.actor("ng-clerk")
    custody.items.transfer(clerk, gun.evidence_no, 1, "220100")
    with pytest.raises(StaleVersion):
        custody.items.check_out(custody.users.actor("cc-clerk"), gun.evidence_no, 1, "lab", "x", "2026-04-01")


def hand_over(custody, clerk, number, receiver="ng-custodian", by=None):
    """Offer one item and have the named receiver accept it; the item after it."""
    case_no = custody.items.item(None, number).case_no
    offered = custody.handovers.offer(clerk, case_no, receiver, [number])
    custody.handovers.accept(by or custody.users.actor(receiver), offered.id)
    return custody.items.item(None, number)


def test_handover_refused_while_case_open(custody, gun):
    with pytest.raises(TransitionRefused, match="case is open"):
        hand_over(custody, custody.users.actor("ng-clerk"), gun.evidence_no)


def test_handover_goes_to_the_same_level_public_order_department(custody, gun, case):
    clerk = custody.users.actor("ng-clerk")
    custody.cases.close(clerk, case.case_no)
    with pytest.raises(TransitionRefused, match="same-level"):  # the city's custodian, named by the city
        hand_over(custody, custody.users.actor("cc-clerk"), gun.evidence_no, "cc-custodian")
    with pytest.raises(TransitionRefused, match="custodian"):
        hand_over(custody, clerk, gun.evidence_no, "ng-investigator")
    after = hand_over(custody, clerk, gun.evidence_no, "ng-custodian")
    assert after.state == "handed_over"
    assert [e.actor for e in after.history[-2:]] == ["ng-clerk", "ng-custodian"]


def test_handover_after_judgment(custody, gun, case):
    clerk = custody.users.actor("ng-clerk")
    judged = custody.cases.judge(clerk, case.case_no, "(2026)吉0102刑初15号", "2026-02-20")
    assert judged.status == "judged"
    assert hand_over(custody, clerk, gun.evidence_no).state == "handed_over"


def test_offered_item_cannot_be_checked_out(custody, gun, case):
    clerk = custody.users.actor("ng-clerk")
    custody.cases.close(clerk, case.case_no)
    custody.handovers.offer(clerk, case.case_no, "ng-custodian", [gun.evidence_no])
    with pytest.raises(IllegalTransition):
        custody.items.check_out(clerk, gun.evidence_no, 2, "lab", "x", "2026-04-01")


def test_handed_over_item_cannot_be_checked_out_to_court(custody, gun, case):
    clerk = custody.users.actor("ng-clerk")
    custody.cases.close(clerk, case.case_no)
    hand_over(custody, clerk, gun.evidence_no)
    custodian = custody.users.actor("ng-custodian")  # an item in the store leaves it through its custodian
    with pytest.raises(TransitionRefused, match="lab only"):
        custody.items.check_out(custodian, gun.evidence_no, 3, "court", "x", "2026-04-01")


def test_role_is_required(custody, gun):
    with pytest.raises(NotPermitted, match="clerk"):
        custody.items.transfer(custody.users.actor("ng-auditor"), gun.evidence_no, 1, "220100")


def test_an_item_of_another_unit_is_unknown_to_a_clerk(custody, gun):
    before = event_count(custody)
    for outsider in ("jl-clerk", "kc-clerk"):
        with pytest.raises(UnknownItem):
            custody.items.transfer(custody.users.actor(outsider), gun.evidence_no, 1, "220200")
    assert event_count(custody) == before
    # the units above see it
    assert (
        custody.items.item(custody.users.actor("prov-clerk"), gun.evidence_no).evidence_no == gun.evidence_no
    )


def test_correction_is_a_new_event_and_keeps_the_corrected_record(custody, gun):
    registered_seq = custody.items.item(None, gun.evidence_no).history[0].seq
    after = custody.items.correct(
        custody.users.actor("ng-clerk"),
        gun.evidence_no,
        1,
        {"serial_number": "5401128"},
        "登记时抄错编号",
        registered_seq,
    )
    assert after.serial_number == "5401128" and after.version == 2
    history = custody.items.item(None, gun.evidence_no).history
    assert history[0].payload["serial_number"] == "5401123"
    assert history[1].payload == {
        "changes": {"serial_number": "5401128"},
        "previous": {"serial_number": "5401123"},
        "reason": "登记时抄错编号",
        "corrects_seq": registered_seq,
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"state": "destroyed"},
        {"unit_code": "220200"},
        {"quantity_rounds": 5},
        {"fires_standard_ammunition": "yes"},
        {},
    ],
)
def test_correction_cannot_touch_state_unit_or_quantity(custody, gun, changes):
    with pytest.raises(InvalidInput):
        custody.items.correct(custody.users.actor("ng-clerk"), gun.evidence_no, 1, changes, "x")


def test_ammunition_quantity_changes_only_by_events_and_never_goes_negative(custody, ammo):
    clerk = custody.users.actor("ng-clerk")
    used = custody.items.act(clerk, ammo.evidence_no, EventType.CONSUMED, 1, {"rounds": 20, "reason": "试射"})
    assert used.quantity_rounds == 30
    before = event_count(custody)
    with pytest.raises(TransitionRefused, match="holds 30"):
        custody.items.act(clerk, ammo.evidence_no, EventType.CONSUMED, 2, {"rounds": 31, "reason": "试射"})
    assert event_count(custody) == before
    counted = custody.items.act(
        clerk, ammo.evidence_no, EventType.COUNTED, 2, {"quantity": 29, "reason": "清点"}
    )
    assert counted.quantity_rounds == 29
    with pytest.raises(InvalidInput):
        custody.items.act(clerk, ammo.evidence_no, EventType.COUNTED, 3, {"quantity": -1, "reason": "清点"})


def test_counting_a_firearm_is_not_an_act_on_it(custody, gun):
    with pytest.raises(IllegalTransition, match="kind"):
        custody.items.act(
            custody.users.actor("ng-clerk"),
            gun.evidence_no,
            EventType.COUNTED,
            1,
            {"quantity": 1, "reason": "x"},
        )


def test_items_are_registered_to_open_cases_only(custody, case, firearm):
    clerk = custody.users.actor("ng-clerk")
    custody.cases.close(clerk, case.case_no)
    with pytest.raises(TransitionRefused, match="open cases"):
        custody.items.register_firearm(clerk, case.case_no, firearm())


@pytest.mark.parametrize("field", ["serial_number", "calibre", "make_model"])
def test_missing_intake_field_names_the_field(custody, case, firearm, field):
    from dataclasses import replace

    with pytest.raises(InvalidInput) as refused:
        custody.items.register_firearm(
            custody.users.actor("ng-clerk"), case.case_no, replace(firearm(), **{field: "  "})
        )
    assert refused.value.field == field
    assert event_count(custody) == 1  # only the case opening


def test_unknown_and_malformed_numbers_are_told_apart(custody, gun):
    from custody.errors import InvalidEvidenceNumber

    unknown = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 999))
    with pytest.raises(UnknownItem):
        custody.items.item(None, unknown)
    with pytest.raises(InvalidEvidenceNumber, match="check digits"):
        custody.items.item(None, gun.evidence_no[:-1] + ("0" if gun.evidence_no[-1] != "0" else "1"))
