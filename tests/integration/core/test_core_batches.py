"""Provincial destruction batches on SQLite and PostgreSQL: the province's destruction officer builds a
batch from open applications (their items batched, the applications ``batched``), another provincial
destruction officer approves it with their own credentials (every item ``approved``); every refusal
writes nothing: the builder approving, a destruction officer outside the province, an item in two
batches. The ledger verifies and replays after each walk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from destruction_world import OFFICER, add_people, sealed_items
from seal_world import assert_ledger_sound
from sqlalchemy import text

from custody.batches import BatchStatus, Method
from custody.errors import (
    CustodyError,
    InvalidInput,
    ListRefused,
    NotPermitted,
    TransitionRefused,
    UnknownBatch,
)
from custody.model import ApplicationStatus, Department, ItemState, Role
from custody.services import Custody

APPROVER = "prov-destruction2"


@pytest.fixture
def store(custody: Custody) -> Custody:
    add_people(custody)
    custody.users.add(
        APPROVER, "省厅销毁专员二", "220000", Department.PROVINCIAL_PUBLIC_ORDER, {Role.DESTRUCTION_OFFICER}
    )
    return custody


def refused_writing_nothing(
    custody: Custody, act: Callable[[], Any], error: type[CustodyError]
) -> CustodyError:
    head = custody.ledger.head()
    with pytest.raises(error) as refused:
        act()
    assert custody.ledger.head() == head, "a refusal wrote to the ledger"
    return refused.value


def applied(custody: Custody) -> tuple[int, list[str]]:
    lot = sealed_items(custody)
    application = custody.applications.apply(custody.users.actor("cc-custodian"), "220100", lot.numbers)
    return application.id, lot.numbers


def build(custody: Custody, *application_ids: int):
    officer = custody.users.actor(OFFICER)
    return custody.batches.create(officer, "smelting", "长春钢厂熔炉", "2026-04-15", list(application_ids))


def test_a_batch_is_built_from_open_applications_and_approved_by_another_officer(store: Custody):
    first, first_numbers = applied(store)
    second, second_numbers = applied(store)
    officer = store.users.actor(OFFICER)
    batch = build(store, first)
    assert (batch.status, batch.method, batch.place, batch.planned_date, batch.created_by) == (
        BatchStatus.OPEN,
        Method.SMELTING,
        "长春钢厂熔炉",
        "2026-04-15",
        OFFICER,
    )
    assert batch.application_ids == (first,)
    assert {i.evidence_no for i in batch.items} == set(first_numbers)
    assert {i.state for i in batch.items} == {ItemState.NOMINATED}
    assert store.applications.get(officer, first).status is ApplicationStatus.BATCHED
    last = store.items.item(None, first_numbers[0]).history[-1]
    assert (last.event_type, last.payload) == ("batched", {"batch_id": batch.id, "application_id": first})

    batch = store.batches.add(officer, batch.id, [second])
    assert batch.application_ids == (first, second)
    assert {i.evidence_no for i in batch.items} == set(first_numbers + second_numbers)
    ammo = next(i for i in batch.items if i.rounds is not None)
    assert ammo.rounds == 50

    approver = store.users.actor(APPROVER)
    batch = store.batches.approve(officer, batch.id, approver)
    assert (batch.status, batch.approved_by) == (BatchStatus.APPROVED, APPROVER)
    assert {i.state for i in batch.items} == {ItemState.APPROVED}
    last = store.items.item(None, second_numbers[0]).history[-1]
    assert last.event_type == "approved"
    assert last.payload == {"batch_id": batch.id, "builder_id": officer.id, "approver_id": approver.id}
    # approved once; nothing more is added to it
    third, _numbers = applied(store)
    refused_writing_nothing(
        store, lambda: store.batches.approve(officer, batch.id, approver), TransitionRefused
    )
    refused_writing_nothing(store, lambda: store.batches.add(officer, batch.id, [third]), TransitionRefused)
    # a custodian of the city sees the batch of its items; a county beside it does not
    assert store.batches.get(store.users.actor("cc-custodian"), batch.id).id == batch.id
    with pytest.raises(UnknownBatch):
        store.batches.get(
            store.users.add("jl-custodian", "吉林治安", "220200", Department.PUBLIC_ORDER, {Role.CUSTODIAN}),
            batch.id,
        )
    assert_ledger_sound(store)


def test_the_builder_never_approves(store: Custody):
    application, _numbers = applied(store)
    batch = build(store, application)
    builder = store.users.actor(OFFICER)
    approver = store.users.actor(APPROVER)
    # the builder as the approver of their own act, or confirming another officer's
    refused_writing_nothing(store, lambda: store.batches.approve(builder, batch.id, builder), ListRefused)
    refused = refused_writing_nothing(
        store, lambda: store.batches.approve(approver, batch.id, builder), ListRefused
    )
    assert isinstance(refused, ListRefused)
    assert {r.key for r in refused.refusals} == {"batch.builder_approves"}
    # an approver who is no destruction officer of the province
    custodian = store.users.actor("cc-custodian")
    refused = refused_writing_nothing(
        store, lambda: store.batches.approve(builder, batch.id, custodian), ListRefused
    )
    assert isinstance(refused, ListRefused)
    assert {r.key for r in refused.refusals} == {"batch.not_provincial"}
    assert store.batches.get(builder, batch.id).status is BatchStatus.OPEN
    assert_ledger_sound(store)


def test_a_destruction_officer_outside_the_province_builds_and_approves_nothing(store: Custody):
    application, _numbers = applied(store)
    # the role is never granted outside the province's public-order department; one held from before
    # that rule (moved to the county by the database) acts on no batch
    store.users.add(
        "county-d", "南关销毁", "220000", Department.PROVINCIAL_PUBLIC_ORDER, {Role.DESTRUCTION_OFFICER}
    )
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE users SET unit_code = '220102', department = 'public_order' "
                "WHERE username = 'county-d'"
            )
        )
    county = store.users.actor("county-d")
    refused_writing_nothing(
        store,
        lambda: store.batches.create(county, "crushing", "南关", "2026-04-15", [application]),
        NotPermitted,
    )
    batch = build(store, application)
    refused_writing_nothing(
        store, lambda: store.batches.approve(county, batch.id, store.users.actor(APPROVER)), NotPermitted
    )
    refused = refused_writing_nothing(
        store, lambda: store.batches.approve(store.users.actor(APPROVER), batch.id, county), CustodyError
    )
    assert isinstance(refused, (ListRefused, NotPermitted))
    clerk = store.users.actor("cc-custodian")
    refused_writing_nothing(
        store,
        lambda: store.batches.create(clerk, "crushing", "南关", "2026-04-15", [application]),
        NotPermitted,
    )
    assert store.batches.get(store.users.actor(OFFICER), batch.id).status is BatchStatus.OPEN
    assert_ledger_sound(store)


def test_an_item_is_in_one_batch_only(store: Custody):
    application, numbers = applied(store)
    officer = store.users.actor(OFFICER)
    batch = build(store, application)
    other, _numbers = applied(store)
    second = build(store, other)
    # the application (and its items) again, in a new batch or added to another
    refused_writing_nothing(store, lambda: build(store, application), TransitionRefused)
    refused_writing_nothing(
        store, lambda: store.batches.add(officer, second.id, [application]), TransitionRefused
    )
    # the items named again in a new application: they are nominated, never sealed, so refused
    refused_writing_nothing(
        store,
        lambda: store.applications.apply(store.users.actor("cc-custodian"), "220100", numbers),
        ListRefused,
    )
    with store.engine.connect() as conn:
        held = conn.execute(text("SELECT count(*) FROM destruction_batch_items")).scalar_one()
    assert held == 4
    assert {i.evidence_no for i in store.batches.get(officer, batch.id).items} == set(numbers)
    assert_ledger_sound(store)


def test_a_batch_names_a_known_method_a_place_a_date_and_open_applications(store: Custody):
    application, _numbers = applied(store)
    officer = store.users.actor(OFFICER)
    for method, place, date in (
        ("burning", "长春", "2026-04-15"),
        ("smelting", "", "2026-04-15"),
        ("smelting", "长春", "soon"),
    ):
        refused_writing_nothing(
            store,
            lambda m=method, p=place, d=date: store.batches.create(officer, m, p, d, [application]),
            InvalidInput,
        )
    refused_writing_nothing(
        store, lambda: store.batches.create(officer, "cutting", "长春", "2026-04-15", []), InvalidInput
    )
    refused_writing_nothing(store, lambda: build(store, 9999), TransitionRefused)
    store.applications.withdraw(store.users.actor("cc-custodian"), application)
    refused_writing_nothing(store, lambda: build(store, application), TransitionRefused)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM destruction_batches")).scalar_one() == 0
