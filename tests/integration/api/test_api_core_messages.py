"""Refusals of the core answer their message key and typed parameters, so a desk can show them in its
own language: an unknown item, an act the item's state does not allow, a stale version, and input
refused by field (a field that cannot be corrected, a value the text policy refuses).

The tests share one database per back end; each registers items to a case of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import FIREARM, START, Harness, problem, unique

from custody.lifecycle import CORRECTABLE_FIELDS
from custody.model import EventType, ItemState
from custody.numbers import EvidenceNumber, ItemKind


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api


@pytest.fixture
def clerk(api: Harness) -> dict[str, str]:
    return api.login("ng-clerk")


@pytest.fixture
def firearm(api: Harness, clerk: dict[str, str]) -> str:
    case = unique("长南公刑字〔2026〕") + "号"
    opened = api.client.post("/api/v1/cases", headers=clerk, json={"case_no": case})
    assert opened.status_code == 201, opened.text
    answer = api.client.post("/api/v1/items/firearms", headers=clerk, json={**FIREARM, "case_no": case})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evidence_no"])


def test_an_unknown_item_answers_the_evidence_number_it_was_asked_for(api, clerk):
    number = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2099, 1))
    body = problem(api.client.get(f"/api/v1/items/{number}", headers=clerk), 404, "unknown-item")
    assert (body["key"], body["params"]) == ("item.unknown", {"evidence_no": number})
    assert body["detail"] == f"unknown item {number}"


def test_an_act_the_state_does_not_allow_answers_the_state_the_act_and_the_states_it_is_allowed_from(
    api, clerk, firearm
):
    head = api.head_seq()
    answer = api.client.post(f"/api/v1/items/{firearm}/return", headers=clerk, json={"version": 1})
    body = problem(answer, 409, "illegal-transition")
    assert body["key"] == "act.not_from_state"
    assert body["params"] == {
        "evidence_no": firearm,
        "state": ItemState.REGISTERED.value,
        "event": EventType.RETURNED.value,
        "allowed": ItemState.CHECKED_OUT.value,
    }
    assert body["detail"] == f"{firearm} is registered: cannot be returned (allowed from checked_out)"
    assert api.head_seq() == head


def test_a_stale_version_answers_the_version_read_and_the_version_now(api, clerk, firearm):
    answer = api.client.post(
        f"/api/v1/items/{firearm}/checkout",
        headers=clerk,
        json={"version": 7, "purpose": "lab", "to": "刑侦技术室", "due_date": "2026-04-01"},
    )
    body = problem(answer, 409, "conflict")
    assert (body["key"], body["params"]) == (
        "item.stale_version",
        {"evidence_no": firearm, "expected_version": 7, "version": 1},
    )
    assert body["detail"] == f"{firearm} changed since it was read (version 7, now 1)"


def test_a_field_that_cannot_be_corrected_answers_its_name_and_the_fields_that_can(api, clerk, firearm):
    answer = api.client.post(
        f"/api/v1/items/{firearm}/correction",
        headers=clerk,
        json={"version": 1, "changes": {"state": "destroyed"}, "reason": "录入错误"},
    )
    body = problem(answer, 422, "invalid-input")
    assert body["field"] == "changes.state"
    allowed = ", ".join(sorted(CORRECTABLE_FIELDS[ItemKind.FIREARM]))
    assert (body["key"], body["params"]) == (
        "correction.not_correctable",
        {"name": "state", "allowed": allowed},
    )
    assert body["detail"].startswith(f"state cannot be corrected on this kind of item (only {allowed})")


def test_text_the_policy_refuses_answers_the_field_and_the_character(api, clerk, firearm):
    head = api.head_seq()
    answer = api.client.post(
        f"/api/v1/items/{firearm}/correction",
        headers=clerk,
        json={"version": 1, "changes": {"serial_number": "54\u202e01"}, "reason": "录入错误"},
    )
    body = problem(answer, 422, "invalid-input")
    assert body["field"] == "changes.serial_number"
    assert (body["key"], body["params"]) == (
        "text.invisible_character",
        {"name": "serial_number", "codepoint": 0x202E},
    )
    assert body["detail"] == "serial_number contains a control, format or invisible character (U+202E)"
    assert api.head_seq() == head
