"""Handovers to sealed storage (移交) through the services, on both back ends: a clerk offers a list of a
closed case's items to a named custodian, who accepts or refuses it; every refusal writes nothing, and the
ledger verifies and replays after each flow."""

from __future__ import annotations

import pytest

from custody.errors import (
    IllegalTransition,
    InvalidInput,
    ListRefused,
    NotPermitted,
    TransitionRefused,
    UnknownCase,
    UnknownHandover,
)
from custody.intake import AmmunitionIntake
from custody.model import Department, HandoverStatus, Role
from custody.replay import replay
from custody.services import Custody
from custody.storage_records import Handover


def ledger_sound(custody: Custody) -> None:
    assert custody.ledger.verify().ok
    count, differences = replay(custody.store)
    assert differences == [] and count == custody.ledger.head().seq


@pytest.fixture
def closed(custody, case):
    custody.cases.close(custody.users.actor("ng-clerk"), case.case_no)
    return case


@pytest.fixture
def lot(custody, case):
    return custody.items.register_ammunition(
        custody.users.actor("ng-clerk"), case.case_no, AmmunitionIntake("7.62mm", 50, "71-83")
    )


def offer(custody, case, *numbers, to="ng-custodian", by="ng-clerk") -> Handover:
    return custody.handovers.offer(custody.users.actor(by), case.case_no, to, list(numbers))


def numbers(handover: Handover) -> list[str]:
    return [item.evidence_no for item in handover.items]


def writes_nothing(custody, call, refusal=Exception):
    """``call`` is refused with ``refusal`` and the ledger head stays where it was."""
    head = custody.ledger.head()
    with pytest.raises(refusal) as caught:
        call()
    assert custody.ledger.head() == head
    return caught.value


def test_offer_then_accept_hands_every_item_over_to_the_named_custodian(custody, gun, lot, closed):
    offered = offer(custody, closed, gun.evidence_no, lot.evidence_no)
    assert offered.status is HandoverStatus.OFFERED
    assert (offered.case_no, offered.offered_by, offered.custodian) == (
        closed.case_no,
        "ng-clerk",
        "ng-custodian",
    )
    assert {i.evidence_no for i in offered.items} == {gun.evidence_no, lot.evidence_no}
    to_them = custody.users.actor("ng-custodian").id
    others = custody.users.actor("cc-custodian").id
    assert [h.id for h in custody.handovers.list(None, custodian_id=to_them).rows] == [offered.id]
    assert custody.handovers.list(None, custodian_id=others).rows == []
    for number in numbers(offered):
        shown = custody.items.item(None, number)
        assert (shown.state, shown.custodian_user_id) == ("offered", None)
        assert shown.history[-1].payload["handover_id"] == offered.id
    ledger_sound(custody)

    custodian = custody.users.actor("ng-custodian")
    accepted = custody.handovers.accept(custodian, offered.id)
    assert accepted.status is HandoverStatus.ACCEPTED and accepted.decided_by_id == custodian.id
    for number in numbers(accepted):
        shown = custody.items.item(None, number)
        assert (shown.state, shown.custodian_user_id) == ("handed_over", custodian.id)
        assert [e.event_type for e in shown.history[-2:]] == ["handover_offered", "handover_accepted"]
    ledger_sound(custody)


def test_offer_then_refuse_returns_the_items_to_registered(custody, gun, lot, closed):
    offered = offer(custody, closed, gun.evidence_no, lot.evidence_no)
    custodian = custody.users.actor("ng-custodian")
    with pytest.raises(InvalidInput):
        custody.handovers.refuse(custodian, offered.id, "  ")
    refused = custody.handovers.refuse(custodian, offered.id, "清单与实物不符")
    assert (refused.status, refused.refusal_reason) == (HandoverStatus.REFUSED, "清单与实物不符")
    for number in numbers(refused):
        shown = custody.items.item(None, number)
        assert (shown.state, shown.custodian_user_id) == ("registered", None)
        assert shown.history[-1].payload == {"handover_id": refused.id, "reason": "清单与实物不符"}
    ledger_sound(custody)
    # decided: neither accepted nor refused again; the items may be offered anew
    writes_nothing(custody, lambda: custody.handovers.accept(custodian, refused.id), TransitionRefused)
    again = offer(custody, closed, gun.evidence_no, lot.evidence_no)
    assert custody.handovers.accept(custodian, again.id).status is HandoverStatus.ACCEPTED
    ledger_sound(custody)


def test_handover_refused_while_case_open(custody, gun, case):
    refused = writes_nothing(custody, lambda: offer(custody, case, gun.evidence_no), ListRefused)
    assert "case is open" in str(refused)
    assert [(r.evidence_no, r.key) for r in refused.refusals] == [
        (gun.evidence_no, "handover.case_not_concluded")
    ]
    assert custody.handovers.list(None).rows == []


def test_a_checked_out_item_in_the_list_refuses_the_whole_list_naming_it(custody, gun, lot, case):
    clerk = custody.users.actor("ng-clerk")
    custody.items.check_out(clerk, gun.evidence_no, 1, "lab", "刑侦技术室", "2026-04-01")
    custody.cases.close(clerk, case.case_no)
    refused = writes_nothing(
        custody, lambda: offer(custody, case, lot.evidence_no, gun.evidence_no), ListRefused
    )
    assert [(r.evidence_no, r.key) for r in refused.refusals] == [(gun.evidence_no, "act.not_from_state")]
    assert gun.evidence_no in str(refused)
    assert custody.items.item(None, lot.evidence_no).state == "registered"  # the other item was not offered
    assert custody.handovers.list(None).rows == []


def test_every_refused_item_is_named_with_its_reason(custody, gun, lot, case, firearm):
    clerk = custody.users.actor("ng-clerk")
    other = custody.cases.open(clerk, "长南公刑字〔2026〕009号")
    stranger = custody.items.register_firearm(clerk, other.case_no, firearm("OTHER-1"))
    custody.items.check_out(clerk, gun.evidence_no, 1, "court", "南关区法院", "2026-04-01")
    custody.cases.close(clerk, case.case_no)
    refused = writes_nothing(
        custody,
        lambda: offer(custody, case, gun.evidence_no, lot.evidence_no, stranger.evidence_no),
        ListRefused,
    )
    assert {(r.evidence_no, r.key) for r in refused.refusals} == {
        (gun.evidence_no, "act.not_from_state"),
        (stranger.evidence_no, "handover.item_not_of_case"),
    }


def test_the_receiver_must_be_a_custodian_of_the_items_own_units_public_order_department(
    custody, gun, closed
):
    custody.users.add("kc-custodian", "宽城治安", "220103", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
    custody.users.add(
        "ng-custodian-ci", "南关刑侦保管", "220102", Department.CRIMINAL_INVESTIGATION, {Role.CUSTODIAN}
    )
    number = gun.evidence_no
    # another department: an investigator, and a custodian outside public order
    for name in ("ng-investigator", "ng-custodian-ci"):
        refused = writes_nothing(custody, lambda n=name: offer(custody, closed, number, to=n), ListRefused)
        assert refused.refusals[0].key == "handover.receiver_not_custodian"
    # another unit of the same level: outside the clerk's scope, answered as unknown
    refused = writes_nothing(
        custody, lambda: offer(custody, closed, number, to="kc-custodian"), TransitionRefused
    )
    assert refused.key == "handover.unknown_receiver"
    # another level: the city's custodian, named by the city's clerk, for the county's item
    refused = writes_nothing(
        custody, lambda: offer(custody, closed, number, to="cc-custodian", by="cc-clerk"), ListRefused
    )
    assert refused.refusals[0].key == "handover.receiver_other_unit"
    assert custody.items.item(None, number).state == "registered"


def test_nobody_hands_over_to_themselves(custody, gun, closed):
    custody.users.add("ng-both", "南关双岗", "220102", Department.PUBLIC_ORDER, {Role.CLERK, Role.CUSTODIAN})
    refused = writes_nothing(
        custody, lambda: offer(custody, closed, gun.evidence_no, to="ng-both", by="ng-both"), ListRefused
    )
    assert refused.refusals[0].key == "handover.to_oneself"


def test_the_offering_clerk_never_accepts(custody, gun, closed):
    custody.users.add("ng-both", "南关双岗", "220102", Department.PUBLIC_ORDER, {Role.CLERK, Role.CUSTODIAN})
    offered = offer(custody, closed, gun.evidence_no, to="ng-custodian", by="ng-both")
    handover_id = offered.id
    writes_nothing(
        custody, lambda: custody.handovers.accept(custody.users.actor("ng-clerk"), handover_id), NotPermitted
    )
    refused = writes_nothing(
        custody, lambda: custody.handovers.accept(custody.users.actor("ng-both"), handover_id), ListRefused
    )
    assert refused.refusals[0].key == "handover.offering_clerk_decides"
    writes_nothing(
        custody,
        lambda: custody.handovers.refuse(custody.users.actor("ng-both"), handover_id, "不收"),
        ListRefused,
    )
    assert custody.handovers.get(None, handover_id).status is HandoverStatus.OFFERED


def test_only_the_named_custodian_accepts_or_refuses(custody, gun, closed):
    custody.users.add("ng-custodian2", "南关治安二", "220102", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
    offered = offer(custody, closed, gun.evidence_no)
    other = custody.users.actor("ng-custodian2")
    refused = writes_nothing(custody, lambda: custody.handovers.accept(other, offered.id), ListRefused)
    assert refused.refusals[0].key == "handover.not_the_named_custodian"
    writes_nothing(custody, lambda: custody.handovers.refuse(other, offered.id, "不是我的"), ListRefused)
    assert custody.items.item(None, gun.evidence_no).state == "offered"


def test_handovers_are_read_within_the_readers_scope(custody, gun, closed):
    offered = offer(custody, closed, gun.evidence_no)
    handover_id = offered.id
    assert (
        custody.handovers.get(custody.users.actor("cc-clerk"), handover_id).items[0].evidence_no
        == gun.evidence_no
    )
    for outsider in ("kc-clerk", "jl-clerk"):
        with pytest.raises(UnknownHandover):
            custody.handovers.get(custody.users.actor(outsider), handover_id)
        assert custody.handovers.list(custody.users.actor(outsider)).rows == []
        writes_nothing(
            custody,
            lambda o=outsider: custody.handovers.accept(custody.users.actor(o), handover_id + 1000),
            UnknownHandover,
        )
    listed = custody.handovers.list(custody.users.actor("ng-custodian"), HandoverStatus.OFFERED).rows
    assert [h.id for h in listed] == [handover_id]
    assert custody.handovers.list(custody.users.actor("ng-custodian"), HandoverStatus.ACCEPTED).rows == []


def test_bad_input_is_refused_before_anything_is_written(custody, gun, closed):
    clerk = custody.users.actor("ng-clerk")

    def offering(*numbers, case_no=closed.case_no, to="ng-custodian"):
        return lambda: custody.handovers.offer(clerk, case_no, to, list(numbers))

    writes_nothing(custody, offering(), InvalidInput)
    writes_nothing(custody, offering(gun.evidence_no, to=" "), InvalidInput)
    malformed = writes_nothing(custody, offering("F-NOT-A-NUMBER", gun.evidence_no), ListRefused)
    assert [r.code for r in malformed.refusals] == ["invalid-evidence-number"]
    twice = writes_nothing(custody, offering(gun.evidence_no, gun.evidence_no.lower()), ListRefused)
    assert [r.key for r in twice.refusals] == ["act.twice_in_list"]
    writes_nothing(custody, offering(gun.evidence_no, case_no="no such case"), UnknownCase)
    writes_nothing(custody, offering(gun.evidence_no, to="nobody"), TransitionRefused)
    assert custody.handovers.list(None).rows == []


def test_a_handed_over_item_goes_to_the_lab_and_back_to_the_store(custody, gun, closed):
    offered = offer(custody, closed, gun.evidence_no)
    custodian = custody.users.actor("ng-custodian")
    custody.handovers.accept(custodian, offered.id)
    clerk = custody.users.actor("ng-clerk")
    refused = writes_nothing(
        custody,
        lambda: custody.items.check_out(custodian, gun.evidence_no, 3, "court", "南关区法院", "2026-04-01"),
        TransitionRefused,
    )
    assert refused.key == "checkout.lab_only_from_store"
    by_clerk = writes_nothing(
        custody,
        lambda: custody.items.check_out(clerk, gun.evidence_no, 3, "lab", "刑侦技术室", "2026-04-01"),
        NotPermitted,
    )
    assert by_clerk.key == "checkout.released_by_its_custodian"
    out = custody.items.check_out(custodian, gun.evidence_no, 3, "lab", "刑侦技术室", "2026-04-01")
    assert (out.state, out.checked_out_from) == ("checked_out", "handed_over")
    assert custody.items.item(None, gun.evidence_no).history[-1].payload["from_state"] == "handed_over"
    back_by_clerk = writes_nothing(
        custody, lambda: custody.items.return_item(clerk, gun.evidence_no, 4, "检验完毕"), NotPermitted
    )
    assert back_by_clerk.key == "checkout.released_by_its_custodian"
    back = custody.items.return_item(custodian, gun.evidence_no, 4, "检验完毕")
    assert (back.state, back.checked_out_from, back.custodian_user_id) == ("handed_over", None, custodian.id)
    ledger_sound(custody)


def test_a_custodian_checks_out_nothing_of_case_custody(custody, gun):
    refused = writes_nothing(
        custody,
        lambda: custody.items.check_out(
            custody.users.actor("ng-custodian"), gun.evidence_no, 1, "lab", "刑侦技术室", "2026-04-01"
        ),
        NotPermitted,
    )
    assert refused.key == "checkout.case_custody_by_a_clerk"


def test_an_item_checked_out_from_case_custody_returns_to_it(custody, gun):
    clerk = custody.users.actor("ng-clerk")
    out = custody.items.check_out(clerk, gun.evidence_no, 1, "court", "南关区法院", "2026-04-01")
    assert out.checked_out_from == "registered"
    back = custody.items.return_item(clerk, gun.evidence_no, 2)
    assert (back.state, back.checked_out_from) == ("registered", None)
    with pytest.raises(IllegalTransition):  # returned already
        custody.items.return_item(clerk, gun.evidence_no, 3)
    ledger_sound(custody)


def test_an_item_outside_the_offering_clerks_scope_is_unknown(custody, gun, closed):
    outsider = custody.users.actor("kc-clerk")
    refused = writes_nothing(
        custody,
        lambda: custody.handovers.offer(outsider, closed.case_no, "ng-custodian", [gun.evidence_no]),
        ListRefused,
    )
    assert [(r.evidence_no, r.code) for r in refused.refusals] == [(gun.evidence_no, "unknown-item")]


def test_replay_finds_a_handover_changed_outside_the_services(custody, gun, lot, closed):
    from sqlalchemy import delete, update

    from custody.db.storage_tables import HandoverItemRow, HandoverRow

    offered = offer(custody, closed, gun.evidence_no, lot.evidence_no)
    custody.handovers.refuse(custody.users.actor("ng-custodian"), offered.id, "不符")
    with custody.engine.begin() as conn:
        conn.execute(update(HandoverRow).values(status="accepted", refusal_reason=None))
        conn.execute(delete(HandoverItemRow).where(HandoverItemRow.item_id == lot.id))
    _, differences = replay(custody.store)
    assert [(d.subject, d.field, d.stored, d.replayed) for d in differences] == [
        (f"handover {offered.id}", "status", "accepted", "refused"),
        (f"handover {offered.id}", "refusal_reason", None, "不符"),
        (f"handover {offered.id}", "items", [gun.id], sorted([gun.id, lot.id])),
    ]


def test_the_one_step_handover_of_older_ledgers_still_replays(custody, gun, closed):
    """An item handed over by the one-step act of older versions (its receiver confirmed with their
    password: offered and accepted at once) stays handed_over, and its event replays."""
    from sqlalchemy import update

    from custody.db.ledger_store import record_event
    from custody.db.tables import ItemRow
    from custody.model import EventType

    clerk, custodian = custody.users.actor("ng-clerk"), custody.users.actor("ng-custodian")

    def older_version(conn):
        conn.execute(
            update(ItemRow)
            .where(ItemRow.id == gun.id)
            .values(state="handed_over", custodian_user_id=custodian.id, version=2)
        )
        record_event(
            conn,
            EventType.HANDED_OVER,
            custody.store.now_us(),
            actor_id=clerk.id,
            unit_code=clerk.unit_code,
            item_id=gun.id,
            case_id=gun.case_id,
            item_version=2,
            payload={"receiver": "ng-custodian", "receiver_id": custodian.id},
        )

    custody.store.write(older_version)
    ledger_sound(custody)
    shown = custody.items.item(None, gun.evidence_no)
    assert (shown.state, shown.custodian_user_id) == ("handed_over", custodian.id)


# ------------------------------------------------------------------ what an item may undergo, by stage


def attempt_on(custody, item, event, actor, payload, state, witness=None, **fields):
    """Check ``event`` by its row on ``item`` as if it stood in ``state`` (for states no act of this
    code base leads to yet: sealed, destroyed)."""
    from dataclasses import replace

    from custody import lifecycle
    from custody.clock import china_date
    from custody.db.lookups import ConnectionLookups

    staged = replace(item, state=state, **fields)
    with custody.store.reading() as conn:
        attempt = lifecycle.Attempt(
            event,
            staged,
            actor,
            payload,
            china_date(custody.store.now_us()),
            ConnectionLookups(conn),
            witness,
        )
        lifecycle.transition_for(event).check(attempt)


def test_a_sealed_item_is_recounted_or_tagged_only_once_unsealed(custody, lot):
    from custody.model import EventType, ItemState

    custodian = custody.users.actor("ng-custodian")
    count = {"quantity": 49, "reason": "清点"}
    tag = {"uid": "04A1B2C3D4E5F6"}
    for event, payload in ((EventType.COUNTED, count), (EventType.TAG_BOUND, tag)):
        with pytest.raises(IllegalTransition, match="sealed: cannot be"):
            attempt_on(custody, lot, event, custodian, payload, ItemState.SEALED)
        attempt_on(custody, lot, event, custodian, payload, ItemState.HANDED_OVER)  # unsealed: allowed
    with pytest.raises(IllegalTransition):
        attempt_on(
            custody,
            lot,
            EventType.CONSUMED,
            custodian,
            {"rounds": 1, "reason": "试射"},
            ItemState.HANDED_OVER,
        )


def test_a_destroyed_item_undergoes_nothing_but_a_witnessed_correction(custody, gun):
    from custody import lifecycle
    from custody.model import EventType, ItemState

    custodian, witness = custody.users.actor("ng-custodian"), custody.users.actor("ng-clerk2")
    correction = {"changes": {"description": "销毁记录更正"}, "reason": "笔误"}
    with pytest.raises(TransitionRefused, match="needs a witness"):
        attempt_on(custody, gun, EventType.CORRECTED, custodian, correction, ItemState.DESTROYED)
    attempt_on(custody, gun, EventType.CORRECTED, custodian, correction, ItemState.DESTROYED, witness)
    changing = {e for e, row in lifecycle.TRANSITIONS.items() if row.changes_item}
    assert {e for e in changing if ItemState.DESTROYED in lifecycle.TRANSITIONS[e].sources} == {
        EventType.CORRECTED
    }


def test_corrections_before_the_offer_are_the_clerks_and_from_it_on_the_custodians_with_a_witness(
    custody, gun, closed
):
    clerk, custodian = custody.users.actor("ng-clerk"), custody.users.actor("ng-custodian")
    fix = {"description": "更正"}
    writes_nothing(
        custody, lambda: custody.items.correct(custodian, gun.evidence_no, 1, fix, "笔误"), NotPermitted
    )
    assert custody.items.correct(clerk, gun.evidence_no, 1, fix, "笔误").version == 2
    offered = offer(custody, closed, gun.evidence_no)
    for actor, refusal in ((clerk, NotPermitted), (custodian, TransitionRefused)):
        refused = writes_nothing(
            custody, lambda a=actor: custody.items.correct(a, gun.evidence_no, 3, fix, "笔误"), refusal
        )
    assert refused.key == "correction.needs_witness"
    witnessed = custody.items.correct(custodian, gun.evidence_no, 3, fix, "笔误", witness="ng-clerk2")
    assert witnessed.state == "offered" and witnessed.history == ()
    assert custody.items.item(None, gun.evidence_no).history[-1].witness == "ng-clerk2"
    custody.handovers.accept(custodian, offered.id)
    ledger_sound(custody)


# ------------------------------------------------------------------------------------ the handover slip


def test_the_slip_of_an_accepted_handover_names_items_people_and_ledger_points(custody, gun, lot, closed):
    offered = offer(custody, closed, gun.evidence_no, lot.evidence_no)
    custody.handovers.accept(custody.users.actor("ng-custodian"), offered.id)
    slip = custody.handovers.slip(custody.users.actor("cc-clerk"), offered.id)
    assert (slip.handover_id, slip.case_no, slip.unit_code, slip.status) == (
        offered.id,
        closed.case_no,
        "220102",
        "accepted",
    )
    assert (slip.offered_by.username, slip.offered_by.name) == ("ng-clerk", "南关物证管理员")
    assert (slip.custodian.username, slip.custodian.name, slip.custodian.unit_code) == (
        "ng-custodian",
        "南关治安",
        "220102",
    )
    assert slip.unit_name and slip.custodian.unit_name == slip.unit_name
    assert {i.evidence_no: (i.serial_number, i.quantity_rounds) for i in slip.items} == {
        gun.evidence_no: ("5401123", None),
        lot.evidence_no: (None, 50),
    }
    # each act's last event: the chain up to it holds every item's event of that act
    history = [e for n in (gun.evidence_no, lot.evidence_no) for e in custody.items.item(None, n).history]
    last = {
        kind: max((e for e in history if e.event_type == kind), key=lambda e: e.seq)
        for kind in ("handover_offered", "handover_accepted")
    }
    assert [(p.event, p.seq, p.hash) for p in slip.ledger] == [
        (kind, last[kind].seq, last[kind].hash) for kind in ("handover_offered", "handover_accepted")
    ]
    with pytest.raises(UnknownHandover):
        custody.handovers.slip(custody.users.actor("jl-clerk"), offered.id)
