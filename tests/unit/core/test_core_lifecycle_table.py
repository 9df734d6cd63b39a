"""The lifecycle table is data: every act has a source state, roles, and leaves destroyed items alone."""

from __future__ import annotations

import pytest

from custody.actors import Actor, UnitTree, require_role
from custody.errors import NotPermitted
from custody.lifecycle import TRANSITIONS, Transition, transition
from custody.model import Department, EventType, ItemState, Role


def test_every_item_act_has_source_states_and_every_act_by_a_person_has_roles():
    for event, t in TRANSITIONS.items():
        assert t.event is event and t.sources
        assert t.roles or (event is EventType.SIGHTED and not t.changes_item)


def test_nothing_but_a_correction_or_a_record_that_changes_nothing_happens_to_a_destroyed_item():
    allowed = {e for e, t in TRANSITIONS.items() if ItemState.DESTROYED in t.sources}
    assert allowed == {
        EventType.CORRECTED,
        EventType.SIGHTED,
        EventType.AUDIT_SEEN,
        EventType.AUDITED,
        EventType.DISCREPANCY_RESOLVED,
        EventType.PHOTOGRAPHED,  # the photo after destruction, at the site
        EventType.TRACING_LETTER,  # its source and flow are still traced: the letter changes nothing
    }
    assert all(not TRANSITIONS[e].changes_item for e in allowed - {EventType.CORRECTED})


def test_check_out_and_return_are_each_others_inverse():
    out, back = TRANSITIONS[EventType.CHECKED_OUT], TRANSITIONS[EventType.RETURNED]
    assert out.target in back.sources and back.target in out.sources


def test_a_transition_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="twice"):
        transition(Transition(EventType.RETURNED, frozenset(), None, frozenset({Role.CLERK})))


def test_unit_tree_scopes_down_not_up():
    tree = UnitTree({"220000": None, "220100": "220000", "220102": "220100", "220200": "220000"})
    assert tree.within("220102", "220000") and tree.within("220102", "220100")
    assert not tree.within("220100", "220102") and not tree.within("220102", "220200")
    assert tree.below("220100") == {"220100", "220102"}


def test_require_role_names_the_missing_role():
    auditor = Actor(1, "a", "A", "220102", Department.INSPECTION, frozenset({Role.AUDITOR}))
    with pytest.raises(NotPermitted, match="clerk"):
        require_role(auditor, {Role.CLERK}, "transfer")


def test_case_acts_are_rows_of_the_table_too():
    from custody.lifecycle import CASE_TRANSITIONS, case_transition_for
    from custody.model import CaseStatus

    assert set(CASE_TRANSITIONS) == {
        EventType.CASE_OPENED,
        EventType.CASE_CLOSED,
        EventType.CASE_JUDGED,
        EventType.CASE_SOLVED,
        EventType.CASE_CORRECTED,
    }
    assert not CASE_TRANSITIONS.keys() & TRANSITIONS.keys()
    for event, t in CASE_TRANSITIONS.items():
        assert t.event is event and t.roles == {Role.CLERK, Role.INVESTIGATOR}
    assert case_transition_for(EventType.CASE_CLOSED).sources == {CaseStatus.OPEN}
    assert case_transition_for(EventType.CASE_JUDGED).sources == {CaseStatus.OPEN, CaseStatus.CLOSED}
    assert case_transition_for(EventType.CASE_OPENED).sources == frozenset()  # it makes the case


def test_a_judgment_changes_status_version_and_the_judgment_fields():
    from custody.lifecycle import case_transition_for, opened_case
    from custody.model import CaseStatus

    case = opened_case(7, 1, {"case_no": "C-1", "unit_code": "220102", "title": ""})
    judged = case_transition_for(EventType.CASE_JUDGED)
    changes = judged.apply(case, {"judgment_no": "J-1", "judgment_date": "2026-02-28"})
    after = case.changed(changes)
    assert (after.status, after.version, after.judgment_no, after.judgment_date) == (
        CaseStatus.JUDGED,
        2,
        "J-1",
        "2026-02-28",
    )
