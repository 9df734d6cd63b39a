"""Review dates and destruction applications on SQLite and PostgreSQL: sealing sets a review date (a
year by default, or as given), a hold moves it with a reason, the disposition queue shows what is due,
overdue, held and nominated; Changchun's custodian applies to the province for sealed items of its
subtree, each refusal naming its item and writing nothing; the applicant withdraws, the province
refuses with a reason; the ledger verifies and replays after each step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from destruction_world import OFFICER, WITNESS, add_people, sealed_items
from seal_world import SHELF_1, accepted_items, assert_ledger_sound
from sqlalchemy import text

from custody.audit_records import ReadIn
from custody.clock import FixedClock
from custody.errors import (
    CustodyError,
    InvalidInput,
    ListRefused,
    NotPermitted,
    TransitionRefused,
    UnknownApplication,
)
from custody.intake import FirearmIntake
from custody.model import ApplicationStatus, AuditMode, Department, ItemState, ReviewStanding, Role
from custody.numbers import ItemKind
from custody.services import Custody


@pytest.fixture
def store(custody: Custody) -> Custody:
    add_people(custody)
    return custody


def refused_writing_nothing(
    custody: Custody, act: Callable[[], Any], error: type[CustodyError]
) -> CustodyError:
    head = custody.ledger.head()
    with pytest.raises(error) as refused:
        act()
    assert custody.ledger.head() == head, "a refusal wrote to the ledger"
    return refused.value


def reasons(refused: CustodyError) -> dict[str, str]:
    assert isinstance(refused, ListRefused)
    return {r.evidence_no: r.key for r in refused.refusals}


def city(custody: Custody):
    return custody.users.actor("cc-custodian")


def no_application_made(custody: Custody) -> None:
    assert custody.applications.list(custody.users.actor(OFFICER)) == []


# ------------------------------------------------------------------------------------ review dates


def test_a_seal_sets_a_review_date_a_year_on_or_as_given(store: Custody):
    by_default = sealed_items(store)
    assert {by_default.gun.review_due, by_default.ammo.review_due} == {"2027-03-02"}
    assert by_default.gun.history[-1].payload["review_due"] == "2027-03-02"
    given = sealed_items(store, review_due="2026-09-30")
    assert given.gun.review_due == "2026-09-30"
    # a review date is a date after today: refused before any item is read
    for bad in ("2026-03-02", "2025-12-31", "someday"):
        gun, _ammo = accepted_items(store)
        refused_writing_nothing(
            store,
            lambda bad=bad, gun=gun: store.seals.create(
                store.users.actor("ng-custodian"),
                SHELF_1,
                [gun.evidence_no],
                store.users.actor(WITNESS),
                review_due=bad,
            ),
            InvalidInput,
        )
    assert_ledger_sound(store)


def test_the_disposition_queue_lists_due_overdue_held_and_nominated(store: Custody, clock: FixedClock):
    soon = sealed_items(store, review_due="2026-03-20")
    later = sealed_items(store, review_due="2026-12-01")
    overdue = sealed_items(store, review_due="2026-03-03")
    held = sealed_items(store, review_due="2026-03-10")
    nominated = sealed_items(store)
    clock.advance(3 * 86400)  # 2026-03-05
    custodian = store.users.actor("ng-custodian")
    item = store.reviews.hold(custodian, held.gun.evidence_no, "等待法院复函", "2026-06-30")
    assert item.review_due == "2026-06-30"
    last = store.items.item(None, held.gun.evidence_no).history[-1]
    assert (last.event_type, last.payload) == (
        "review_held",
        {"until": "2026-06-30", "previous": "2026-03-10", "reason": "等待法院复函"},
    )
    application = store.applications.apply(city(store), "220100", nominated.numbers)

    queue = {e.evidence_no: e for e in store.reviews.queue(custodian)}
    standing = {n: e.standing for n, e in queue.items()}
    assert standing[overdue.gun.evidence_no] is ReviewStanding.OVERDUE
    assert standing[soon.gun.evidence_no] is ReviewStanding.DUE
    assert standing[held.gun.evidence_no] is ReviewStanding.HELD
    assert queue[held.gun.evidence_no].held_reason == "等待法院复函"
    assert standing[held.ammo.evidence_no] is ReviewStanding.DUE  # its own date was not moved
    assert standing[nominated.gun.evidence_no] is ReviewStanding.NOMINATED
    assert queue[nominated.gun.evidence_no].application_id == application.id
    assert later.gun.evidence_no not in queue  # not due within 30 days
    wider = {e.evidence_no for e in store.reviews.queue(custodian, horizon_days=365)}
    assert later.gun.evidence_no in wider
    first = next(iter(queue.values()))
    assert first.standing is ReviewStanding.OVERDUE
    # the unit filter: Changchun's subtree holds them, Jilin City's none; out of scope: nothing
    assert {e.evidence_no for e in store.reviews.queue(city(store), unit_code="220102")} == set(queue)
    assert store.reviews.queue(store.users.actor(OFFICER), unit_code="220200") == []
    assert store.reviews.queue(custodian, unit_code="220200") == []
    # a hold needs a reason and a date after today; a clerk holds nothing
    refused_writing_nothing(
        store, lambda: store.reviews.hold(custodian, soon.gun.evidence_no, "理由", "2026-03-05"), InvalidInput
    )
    refused_writing_nothing(
        store, lambda: store.reviews.hold(custodian, soon.gun.evidence_no, " ", "2026-04-05"), InvalidInput
    )
    refused_writing_nothing(
        store,
        lambda: store.reviews.hold(store.users.actor("ng-clerk"), soon.gun.evidence_no, "理由", "2026-04-05"),
        NotPermitted,
    )
    assert_ledger_sound(store)


# ------------------------------------------------------------------------------------ applications


def test_a_city_applies_for_sealed_items_of_its_subtree(store: Custody):
    lot = sealed_items(store)
    made = store.applications.apply(city(store), "220100", lot.numbers, "年度销毁")
    assert (made.unit_code, made.applicant, made.status, made.reason) == (
        "220100",
        "cc-custodian",
        ApplicationStatus.OPEN,
        "年度销毁",
    )
    assert sorted(i.evidence_no for i in made.items) == sorted(lot.numbers)
    for number in lot.numbers:
        item = store.items.item(None, number)
        assert item.state is ItemState.NOMINATED
        last = item.history[-1]
        assert (last.event_type, last.actor, last.payload) == (
            "nominated",
            "cc-custodian",
            {"application_id": made.id, "unit_code": "220100", "seal_no": lot.seal_no},
        )
    assert store.applications.get(store.users.actor(OFFICER), made.id) == made
    # the county whose items it names sees it too
    county = store.users.actor("ng-custodian")
    assert store.applications.get(county, made.id) == made
    assert [a.id for a in store.applications.list(county, "220102")] == [made.id]
    assert store.applications.list(store.users.actor(OFFICER), "220200") == []
    # out of scope of Jilin City's custodian… of anyone below Changchun but the items' own county
    store.users.add("jl-custodian", "吉林市治安", "220200", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
    with pytest.raises(UnknownApplication):
        store.applications.get(store.users.actor("jl-custodian"), made.id)
    assert_ledger_sound(store)


def test_each_refused_item_is_named_and_nothing_is_written(store: Custody):
    good = sealed_items(store)
    no_samples = sealed_items(store, samples=())
    bullet_only = sealed_items(store, samples=(ItemKind.BULLET_SAMPLE,))
    plain = sealed_items(store, samples=(), fires_standard=False)  # needs no samples
    unsealed, _ = accepted_items(store)
    sample = good.samples[0]
    numbers = [
        good.gun.evidence_no,
        no_samples.gun.evidence_no,
        bullet_only.gun.evidence_no,
        unsealed.evidence_no,
        sample.evidence_no,
        plain.gun.evidence_no,
    ]
    refused = refused_writing_nothing(
        store, lambda: store.applications.apply(city(store), "220100", numbers), ListRefused
    )
    assert reasons(refused) == {
        no_samples.gun.evidence_no: "destruction.samples_missing",
        bullet_only.gun.evidence_no: "destruction.samples_missing",
        unsealed.evidence_no: "act.not_from_state",
        sample.evidence_no: "destruction.is_a_sample",
    }
    texts = {r.evidence_no: r.text for r in refused.refusals}  # type: ignore[attr-defined]
    assert "no bullet sample and no cartridge-case sample" in texts[no_samples.gun.evidence_no]
    assert "no cartridge-case sample" in texts[bullet_only.gun.evidence_no]
    assert "bullet sample and" not in texts[bullet_only.gun.evidence_no]
    no_application_made(store)
    assert store.items.item(None, good.gun.evidence_no).state is ItemState.SEALED
    # without the refused ones, the rest is written
    made = store.applications.apply(city(store), "220100", [good.gun.evidence_no, plain.gun.evidence_no])
    assert made.status is ApplicationStatus.OPEN
    assert_ledger_sound(store)


def test_an_item_is_in_one_application_at_a_time(store: Custody):
    lot = sealed_items(store)
    first = store.applications.apply(city(store), "220100", [lot.gun.evidence_no])
    refused = refused_writing_nothing(
        store, lambda: store.applications.apply(city(store), "220100", lot.numbers), ListRefused
    )
    assert reasons(refused) == {lot.gun.evidence_no: "act.not_from_state"}
    assert "nominated" in refused.refusals[0].text  # type: ignore[attr-defined]
    assert [a.id for a in store.applications.list(city(store))] == [first.id]


def test_an_open_case_refuses_the_item(store: Custody):
    """A sealed item's case is closed or judged by the handover's own rule; a record that says
    otherwise (changed outside the services) still refuses the application."""
    lot = sealed_items(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE cases SET status = 'open' WHERE id = :id"), {"id": lot.gun.case_id})
    try:
        refused = refused_writing_nothing(
            store, lambda: store.applications.apply(city(store), "220100", lot.numbers), ListRefused
        )
        assert reasons(refused) == {n: "destruction.case_open" for n in lot.numbers}
    finally:
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE cases SET status = 'closed' WHERE id = :id"), {"id": lot.gun.case_id})
    no_application_made(store)
    assert_ledger_sound(store)


def test_an_open_discrepancy_or_a_loss_refuses_the_item(store: Custody):
    seen = sealed_items(store)
    missing = sealed_items(store)
    lost = sealed_items(store)
    store.users.add("ng-auditor2", "南关督察二", "220102", Department.INSPECTION, {Role.AUDITOR})
    auditor = store.users.actor("ng-auditor")
    audit = store.audits.open(auditor, "220102", mode=AuditMode.FULL)
    store.audit_reads.read(auditor, audit.id, [ReadIn(code=seen.seal_no, location_code=SHELF_1)])
    store.audits.submit(auditor, audit.id)
    store.audits.close(auditor, audit.id)
    found = {d.code: d for d in store.discrepancies.list(auditor)}
    custodian = store.users.actor("ng-custodian")
    confirmer = store.users.actor("ng-auditor2")
    for number in lost.numbers:
        store.discrepancies.resolve(custodian, found[number].id, "reported_lost", "遗失", confirmer)
    numbers = seen.numbers + missing.numbers + lost.numbers
    refused = refused_writing_nothing(
        store, lambda: store.applications.apply(city(store), "220100", numbers), ListRefused
    )
    assert reasons(refused) == {
        **{n: "audit.open_discrepancy" for n in missing.numbers},
        **{n: "act.not_from_state" for n in lost.numbers},
    }
    assert all("lost" in r.text for r in refused.refusals if r.evidence_no in lost.numbers)  # type: ignore[attr-defined]
    no_application_made(store)
    assert_ledger_sound(store)


def test_only_a_city_or_the_province_applies_for_its_own_store(store: Custody):
    lot = sealed_items(store)
    county = store.users.actor("ng-custodian")
    refused = refused_writing_nothing(
        store, lambda: store.applications.apply(county, "220102", lot.numbers), NotPermitted
    )
    assert refused.key == "destruction.not_city_level"
    refused = refused_writing_nothing(
        store, lambda: store.applications.apply(city(store), "220102", lot.numbers), NotPermitted
    )
    assert refused.key == "destruction.not_own_unit"
    # out of scope: Jilin City's items are unknown to Changchun's custodian
    store.users.add("jl-custodian", "吉林市治安", "220200", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
    clerk = store.users.actor("jl-clerk")
    store.cases.open(clerk, "JL-1")
    far = store.items.register_firearm(clerk, "JL-1", FirearmIntake("手枪", "54式", "J1", "7.62mm", False))
    refused = refused_writing_nothing(
        store,
        lambda: store.applications.apply(city(store), "220100", [lot.ammo.evidence_no, far.evidence_no]),
        ListRefused,
    )
    assert reasons(refused) == {far.evidence_no: "item.unknown"}  # answered as a missing item
    # the province applies for its own store only
    store.users.add(
        "prov-custodian", "省厅治安", "220000", Department.PROVINCIAL_PUBLIC_ORDER, {Role.CUSTODIAN}
    )
    refused = refused_writing_nothing(
        store,
        lambda: store.applications.apply(
            store.users.actor("prov-custodian"), "220000", [lot.ammo.evidence_no]
        ),
        ListRefused,
    )
    assert reasons(refused) == {lot.ammo.evidence_no: "destruction.province_own_store"}
    # a clerk applies for nothing
    refused_writing_nothing(
        store,
        lambda: store.applications.apply(store.users.actor("cc-clerk"), "220100", lot.numbers),
        NotPermitted,
    )
    no_application_made(store)


def test_the_applicant_withdraws_and_the_province_refuses(store: Custody):
    first = sealed_items(store)
    second = sealed_items(store)
    officer = store.users.actor(OFFICER)
    withdrawn = store.applications.apply(city(store), "220100", first.numbers)
    refused = store.applications.apply(city(store), "220100", second.numbers)
    # only the applicant withdraws; only the province's destruction officer refuses, with a reason
    store.users.add("cc-custodian2", "长春治安二", "220100", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
    refused_writing_nothing(
        store,
        lambda: store.applications.withdraw(store.users.actor("cc-custodian2"), withdrawn.id),
        NotPermitted,
    )
    refused_writing_nothing(  # the county sees the application naming its items, and withdraws nothing
        store,
        lambda: store.applications.withdraw(store.users.actor("ng-custodian"), withdrawn.id),
        NotPermitted,
    )
    refused_writing_nothing(
        store, lambda: store.applications.refuse(city(store), refused.id, "不符合条件"), NotPermitted
    )
    refused_writing_nothing(store, lambda: store.applications.refuse(officer, refused.id, ""), InvalidInput)

    after = store.applications.withdraw(city(store), withdrawn.id, "需补充样本")
    assert (after.status, after.decided_by, after.decision_reason) == (
        ApplicationStatus.WITHDRAWN,
        "cc-custodian",
        "需补充样本",
    )
    assert {i.state for i in after.items} == {ItemState.SEALED}
    last = store.items.item(None, first.gun.evidence_no).history[-1]
    assert (last.event_type, last.payload) == (
        "application_withdrawn",
        {"application_id": withdrawn.id, "reason": "需补充样本"},
    )
    after = store.applications.refuse(officer, refused.id, "样本记录不全")
    assert (after.status, after.decided_by, after.decision_reason) == (
        ApplicationStatus.REFUSED,
        OFFICER,
        "样本记录不全",
    )
    assert {i.state for i in after.items} == {ItemState.SEALED}
    # decided once; the items may be named again in a new application
    for act in (
        lambda: store.applications.withdraw(city(store), withdrawn.id),
        lambda: store.applications.refuse(officer, refused.id, "再次"),
    ):
        refused_writing_nothing(store, act, TransitionRefused)
    again = store.applications.apply(city(store), "220100", first.numbers + second.numbers)
    assert again.status is ApplicationStatus.OPEN
    assert [a.status for a in store.applications.list(officer)] == [
        ApplicationStatus.OPEN,
        ApplicationStatus.REFUSED,
        ApplicationStatus.WITHDRAWN,
    ]
    assert_ledger_sound(store)


def test_whether_a_nominated_firearm_fires_standard_ammunition_is_corrected_by_nobody(store: Custody):
    lot = sealed_items(store)
    custodian = store.users.actor("ng-custodian")
    witness = store.users.actor(WITNESS).username
    version = store.items.item(None, lot.gun.evidence_no).version
    store.items.correct(
        custodian, lot.gun.evidence_no, version, {"calibre": "7.62x25mm"}, "笔误", witness=witness
    )
    store.applications.apply(city(store), "220100", [lot.gun.evidence_no])
    version = store.items.item(None, lot.gun.evidence_no).version
    refused = refused_writing_nothing(
        store,
        lambda: store.items.correct(
            custodian,
            lot.gun.evidence_no,
            version,
            {"fires_standard_ammunition": False},
            "更正",
            witness=witness,
        ),
        TransitionRefused,
    )
    assert refused.key == "correction.fires_standard_fixed"
    assert_ledger_sound(store)


# ----------------------------------------------------------------------------- destruction officers


def test_a_destruction_officer_is_a_user_of_the_provincial_public_order_department(store: Custody):
    admin = store.users.actor("admin")
    for unit, department in (
        ("220102", Department.PUBLIC_ORDER),
        ("220100", Department.PUBLIC_ORDER),
        ("220000", Department.OFFICE),
    ):
        with pytest.raises(InvalidInput) as refused:
            store.users.create(
                admin, f"d-{unit}-{department}", "销毁", unit, department, {Role.DESTRUCTION_OFFICER}, None
            )
        assert refused.value.key == "user.destruction_officer_provincial"
        with pytest.raises(InvalidInput):
            store.users.add(f"e-{unit}-{department}", "销毁", unit, department, {Role.DESTRUCTION_OFFICER})
    made = store.users.create(
        admin,
        "prov-d2",
        "销毁二",
        "220000",
        Department.PROVINCIAL_PUBLIC_ORDER,
        {Role.DESTRUCTION_OFFICER},
        None,
    )
    assert made.username == "prov-d2"


# ----------------------------------------------------------------------------------- replay, schema


def test_replay_rebuilds_review_dates_and_names_one_changed_outside_the_acts(store: Custody):
    lot = sealed_items(store)
    store.reviews.hold(store.users.actor("ng-custodian"), lot.ammo.evidence_no, "等待复函", "2026-08-01")
    store.applications.apply(city(store), "220100", [lot.gun.evidence_no])
    assert_ledger_sound(store)
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE items SET review_due = '2030-01-01' WHERE evidence_no = :n"),
            {"n": lot.ammo.evidence_no},
        )
    _count, differences = store.ledger.replay()
    assert [(d.subject, d.field, d.stored, d.replayed) for d in differences] == [
        (f"item {lot.ammo.evidence_no}", "review_due", "2030-01-01", "2026-08-01")
    ]


def test_the_destruction_schema_goes_down_to_0007_and_up_again(store: Custody):
    from sqlalchemy import inspect
    from test_core_migration_0006 import downgrade

    from custody.db.migrate import upgrade

    lot = sealed_items(store)
    store.applications.apply(city(store), "220100", lot.numbers)
    store.writer.close()
    downgrade(store.engine, "0007")
    assert not {"destruction_applications", "destruction_application_items"} & set(
        inspect(store.engine).get_table_names()
    )
    assert "review_due" not in {c["name"] for c in inspect(store.engine).get_columns("items")}
    upgrade(store.engine)
    assert "review_due" in {c["name"] for c in inspect(store.engine).get_columns("items")}
    assert store.ledger.verify().ok
