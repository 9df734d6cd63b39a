"""Hostile input over HTTP: every bad value answers a 4xx problem naming its field and writes nothing,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import FIREARM, START, Harness, problem, station_headers, unique


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api


@pytest.fixture
def clerk(api: Harness) -> dict[str, str]:
    return api.login("ng-clerk")


@pytest.fixture
def case(api: Harness, clerk: dict[str, str]) -> str:
    number = unique("长南公刑字〔2026〕") + "号"
    answer = api.client.post("/api/v1/cases", headers=clerk, json={"case_no": number})
    assert answer.status_code == 201, answer.text
    return number


@pytest.fixture
def firearm(api: Harness, clerk: dict[str, str], case: str) -> str:
    answer = api.client.post("/api/v1/items/firearms", headers=clerk, json={**FIREARM, "case_no": case})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evidence_no"])


def refused(api: Harness, answer: Any, field: str) -> None:
    body = problem(answer, 422, "invalid-input")
    assert body["field"] == field, body


def unchanged(api: Harness, head: int) -> None:
    assert api.head_seq() == head


@pytest.mark.parametrize(
    "value",
    ["X\u0000Y\u001b[2J", "1" * 2000, "   ", "abc\u202egpj.exe", "5401\u200b123"],
    ids=["nul-and-esc", "2000-characters", "blank", "rtl-override", "zero-width"],
)
def test_a_correction_to_a_hostile_serial_is_refused(api, clerk, firearm, value):
    head = api.head_seq()
    answer = api.client.post(
        f"/api/v1/items/{firearm}/correction",
        headers=clerk,
        json={"version": 1, "changes": {"serial_number": value}, "reason": "录入错误"},
    )
    refused(api, answer, "changes.serial_number")
    unchanged(api, head)


def test_a_firearm_field_cannot_be_corrected_on_an_ammunition_lot(api, clerk, case):
    lot = api.client.post(
        "/api/v1/items/ammunition",
        headers=clerk,
        json={"case_no": case, "calibre": "7.62mm", "quantity_rounds": 50},
    ).json()["evidence_no"]
    head = api.head_seq()
    answer = api.client.post(
        f"/api/v1/items/{lot}/correction",
        headers=clerk,
        json={"version": 1, "changes": {"fires_standard_ammunition": True}, "reason": "录入错误"},
    )
    refused(api, answer, "changes.fires_standard_ammunition")
    unchanged(api, head)


@pytest.mark.parametrize(
    ("act", "body", "field"),
    [
        ("transfer", {"to_unit": "220100", "reason": "移送\u0000"}, "reason"),
        ("checkout", {"purpose": "lab", "to": "刑侦\u001b[2J", "due_date": "2026-04-01"}, "to"),
        ("correction", {"changes": {"description": "ok"}, "reason": "a\u202eb"}, "reason"),
    ],
)
def test_act_texts_with_control_characters_are_refused(api, clerk, firearm, act, body, field):
    head = api.head_seq()
    answer = api.client.post(f"/api/v1/items/{firearm}/{act}", headers=clerk, json={"version": 1, **body})
    refused(api, answer, field)
    unchanged(api, head)


def test_a_return_note_with_a_nul_is_refused(api, clerk, firearm):
    out = api.client.post(
        f"/api/v1/items/{firearm}/checkout",
        headers=clerk,
        json={"version": 1, "purpose": "lab", "to": "刑侦技术室", "due_date": "2026-04-01"},
    )
    assert out.status_code == 200, out.text
    head = api.head_seq()
    answer = api.client.post(
        f"/api/v1/items/{firearm}/return", headers=clerk, json={"version": 2, "note": "ok\u0000"}
    )
    refused(api, answer, "note")
    unchanged(api, head)


@pytest.mark.parametrize("field", ["device_time", "symbology"])
def test_scan_fields_with_nul_or_esc_are_refused(api, firearm, field):
    key = api.station(unique("hostile-desk"), "220102", "scanner-1")
    head = api.head_seq()
    scan = {"device": "scanner-1", "idempotency_key": unique("k"), "code": firearm, field: "C\u0000\u001b"}
    answer = api.client.post("/api/v1/scans", json=scan, headers=station_headers(key))
    refused(api, answer, field)
    unchanged(api, head)


@pytest.mark.parametrize("value", ["abc\u202egpj.exe", "cc-clerk\u200b"])
def test_names_numbers_and_titles_with_invisible_characters_are_refused(api, clerk, value):
    admin = api.login("admin")
    head = api.head_seq()
    user = {
        "username": value,
        "full_name": "某人",
        "unit_code": "220102",
        "department": "evidence_room",
        "roles": ["clerk"],
        "password": "a long enough password 123",
    }
    refused(api, api.client.post("/api/v1/users", headers=admin, json=user), "username")
    refused(api, api.client.post("/api/v1/cases", headers=clerk, json={"case_no": value}), "case_no")
    titled = {"case_no": unique("case"), "title": value}
    refused(api, api.client.post("/api/v1/cases", headers=clerk, json=titled), "title")
    unit = {"code": "220199", "parent_code": "220100", "name_zh": value, "name_en": "x", "level": "county"}
    refused(api, api.client.post("/api/v1/units", headers=admin, json=unit), "name_zh")
    unchanged(api, head)


def test_a_nul_in_a_search_field_is_refused_not_a_match_for_every_row(api, clerk, firearm):
    answer = api.client.get("/api/v1/items", headers=clerk, params={"serial_number": "\u0000"})
    refused(api, answer, "serial_number")
    answer = api.client.get("/api/v1/cases", headers=clerk, params={"q": "\u0000"})
    refused(api, answer, "q")


def test_a_search_to_the_last_representable_day_answers(api, clerk, firearm):
    answer = api.client.get("/api/v1/items", headers=clerk, params={"registered_to": "9999-12-31"})
    assert answer.status_code == 200, answer.text
    assert firearm in [i["evidence_no"] for i in answer.json()["items"]]


def test_a_correction_naming_a_seq_beyond_64_bits_is_refused(api, clerk, firearm):
    head = api.head_seq()
    answer = api.client.post(
        f"/api/v1/items/{firearm}/correction",
        headers=clerk,
        json={
            "version": 1,
            "changes": {"description": "补充"},
            "reason": "录入错误",
            "corrects_seq": 9223372036854775808,
        },
    )
    refused(api, answer, "corrects_seq")
    unchanged(api, head)


def test_text_is_stored_normalised_and_trimmed(api, clerk, case):
    answer = api.client.post(
        "/api/v1/items/firearms",
        headers=clerk,
        json={
            **FIREARM,
            "case_no": case,
            "make_model": "  Cafe\u0301 54 ",
            "description": "第一行\r\n第二行",
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["make_model"] == "Caf\u00e9 54"
    assert answer.json()["description"] == "第一行\n第二行"


def test_a_body_that_is_not_json_blames_the_body_not_a_character_position(api, clerk, case):
    head = api.head_seq()
    answer = api.client.post(
        "/api/v1/items/firearms",
        headers={**clerk, "Content-Type": "application/json"},
        content=b'{"case_no": "x",',
    )
    body = problem(answer, 422, "invalid-input")
    assert body["field"] == "body"
    assert "not valid JSON" in body["detail"]
    unchanged(api, head)


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", "/api/v1/cases/%00abc", "path"),
        ("GET", "/api/v1/users/%00", "path"),
        ("POST", "/api/v1/cases/%00/close", "path"),
        ("GET", "/api/v1/access-log?username=%00", "username"),
        ("GET", "/api/v1/users?unit_code=%1b", "unit_code"),
        ("GET", "/api/v1/items?cursor=%00", "cursor"),
    ],
)
def test_a_control_character_in_a_path_or_query_is_refused_naming_it(api, method, path, field):
    head = api.head_seq()
    answer = api.client.request(method, path, headers=api.login("admin"))
    refused(api, answer, field)
    unchanged(api, head)
