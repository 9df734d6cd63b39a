"""Scope in the core: a case shows only the items the viewer may see, a receiver or witness outside
the actor's scope is answered as a missing one, and case numbers are unique per owning unit."""

from __future__ import annotations

import pytest

from custody.errors import (
    AlreadyExists,
    InvalidInput,
    TransitionRefused,
    UnknownCase,
    UnknownUser,
    UsernameUnavailable,
)
from custody.model import Department, Role
from custody.services import Custody


def test_a_case_lists_only_the_items_its_viewer_may_see(custody, case, firearm):
    clerk = custody.users.actor("ng-clerk")
    kept = custody.items.register_firearm(clerk, case.case_no, firearm("KEPT-1"))
    moved = custody.items.register_firearm(clerk, case.case_no, firearm("MOVED-1"))
    custody.items.transfer(clerk, moved.evidence_no, 1, "220103", "移送宽城")

    def serials(viewer: str) -> list[str]:
        found = custody.cases.get(custody.users.actor(viewer), case.case_no)
        return [i.serial_number for i in found.items]

    assert serials("ng-clerk") == ["KEPT-1"]  # moved away: no longer the county's to see
    assert serials("cc-clerk") == ["KEPT-1", "MOVED-1"]  # the city sees both counties
    with pytest.raises(UnknownCase):
        custody.cases.get(custody.users.actor("kc-clerk"), case.case_no)  # the case stays Nanguan's
    assert custody.items.item(custody.users.actor("kc-clerk"), moved.evidence_no).case_no == case.case_no
    assert kept.unit_code == "220102"


def refusal(call) -> tuple[type, str]:
    with pytest.raises(Exception) as caught:
        call()
    return type(caught.value), str(caught.value)


def test_a_receiver_outside_the_actors_scope_is_answered_as_a_missing_one(custody, gun, case):
    clerk = custody.users.actor("ng-clerk")
    custody.cases.close(clerk, case.case_no)
    number = gun.evidence_no

    def offer(receiver):
        return lambda: custody.handovers.offer(clerk, case.case_no, receiver, [number])

    missing = refusal(offer("nobody"))
    for name in ("cc-custodian", "jl-clerk", "admin"):  # above, beside, the province: all exist
        kind, message = refusal(offer(name))
        assert (kind, message.replace(name, "nobody")) == missing
    assert custody.items.item(None, number).version == 1


def handed_over(custody, case, gun):
    """The gun, offered by the case's clerk and accepted by the county's custodian (version 3)."""
    clerk = custody.users.actor("ng-clerk")
    custody.cases.close(clerk, case.case_no)
    offered = custody.handovers.offer(clerk, case.case_no, "ng-custodian", [gun.evidence_no])
    custody.handovers.accept(custody.users.actor("ng-custodian"), offered.id)
    return gun.evidence_no


def test_a_witness_outside_the_actors_scope_is_answered_as_a_missing_one(custody, gun, case):
    number = handed_over(custody, case, gun)
    custodian = custody.users.actor("ng-custodian")

    def correct(witness):
        return lambda: custody.items.correct(
            custodian, number, 3, {"description": "更正"}, "笔误", witness=witness
        )

    missing = refusal(correct("nobody"))
    assert missing[0] is UnknownUser
    for name in ("jl-clerk", "cc-custodian", "admin"):
        kind, message = refusal(correct(name))
        assert (kind, message.replace(name, "nobody")) == missing


def test_a_witness_must_be_able_to_see_the_item(custody, gun, case):
    number = handed_over(custody, case, gun)
    city = custody.users.actor("cc-custodian")
    with pytest.raises(TransitionRefused, match="witness kc-clerk"):  # a sibling county's clerk
        custody.items.correct(city, number, 3, {"description": "更正"}, "笔误", witness="kc-clerk")
    after = custody.items.correct(city, number, 3, {"description": "更正"}, "笔误", witness="ng-clerk")
    assert after.state == "handed_over"


def test_case_numbers_are_unique_per_owning_unit_and_read_within_the_scope(custody, firearm):
    ng, kc, city = (
        custody.users.actor("ng-clerk"),
        custody.users.actor("kc-clerk"),
        custody.users.actor("cc-clerk"),
    )
    custody.cases.open(ng, "2026-001", "南关")
    assert custody.cases.open(kc, "2026-001", "宽城").unit_code == "220103"
    with pytest.raises(AlreadyExists):
        custody.cases.open(ng, "2026-001")
    assert custody.cases.get(ng, "2026-001").title == "南关"
    assert custody.cases.get(kc, "2026-001").title == "宽城"
    with pytest.raises(InvalidInput) as ambiguous:
        custody.cases.get(city, "2026-001")
    assert ambiguous.value.field == "unit_code"
    assert custody.cases.get(city, "2026-001", "220103").title == "宽城"
    gun = custody.items.register_firearm(city, "2026-001", firearm(), case_unit="220102")
    assert gun.unit_code == "220102" and gun.case_no == "2026-001"
    custody.cases.open(city, "2026-001", "长春")
    assert custody.cases.get(city, "2026-001").title == "长春"  # the viewer's own unit's comes first
    assert custody.cases.close(kc, "2026-001").unit_code == "220103"
    assert custody.cases.get(ng, "2026-001").status == "open"


def test_a_taken_username_is_unavailable(custody):
    with pytest.raises(UsernameUnavailable) as taken:
        custody.users.add("jl-clerk", "重名", "220102", Department.EVIDENCE_ROOM, {Role.CLERK})
    assert taken.value.audit_note() == "username-unavailable: jl-clerk"


def test_units_are_imported_by_a_province_administrator_and_held_to_the_text_policy(custody):
    from custody.errors import InvalidInput, NotPermitted

    row = {"code": "229972", "parent": "220100", "name_zh": "测试局", "name_en": "Test", "level": "county"}
    with pytest.raises(NotPermitted):
        custody.units.import_units(None, [row])
    with pytest.raises(NotPermitted):
        custody.units.import_units(custody.users.actor("cc-clerk"), [row])
    with pytest.raises(InvalidInput) as bidi:
        custody.units.import_units(custody.users.actor("admin"), [{**row, "name_zh": "测试\u202e局"}])
    assert bidi.value.field == "name_zh"
    assert "229972" not in custody.store.units()
    assert custody.units.import_units(custody.users.actor("admin"), [row]) == 1


def test_a_unit_added_by_another_service_process_is_known_at_once(custody: Custody, database_url: str):
    """Two service processes on one database (two stores, each with its own cached unit tree): a unit
    added through one is used through the other at once, and listings of the other include it."""
    from custody.model import UnitLevel

    other = Custody.open(database_url, custody.clock)
    try:
        admin = custody.users.actor("admin")
        other.users.actor("admin")  # the other process has read the unit tree
        assert "220199" not in other.store.units()
        custody.units.add(admin, "220199", "220100", "长春新区分局", "Changchun New Area", UnitLevel.COUNTY)
        clerk = other.users.add(
            "nq-clerk", "新区物证管理员", "220199", Department.EVIDENCE_ROOM, {Role.CLERK}
        )
        assert other.store.sees(other.users.actor("cc-clerk"), "220199")
        case = other.cases.open(clerk, "长新公刑字〔2026〕1号", "非法持有枪支案")
        city = other.users.actor("cc-clerk")
        assert "220199" in (other.store.scope_of(city) or set())
        assert case.case_no in [c.case_no for c in other.queries.cases(city).rows]
        assert [c.case_no for c in other.queries.cases(city, unit_code="220199").rows] == [case.case_no]
    finally:
        other.close()
