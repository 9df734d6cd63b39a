"""Idempotency-Key on creating requests, on SQLite and PostgreSQL: a retry after a lost answer gets
the first answer and creates nothing, in this process or another on the same database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import FIREARM, START, Harness, problem, station_headers, unique
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services
from custody.services import Custody


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


def items_of(api: Harness, headers: dict[str, str], case: str) -> list[str]:
    answer = api.client.get("/api/v1/items", headers=headers, params={"case_no": case})
    return [item["evidence_no"] for item in answer.json()["items"]]


def test_a_retried_registration_answers_the_first_item_and_registers_nothing(api, clerk, case):
    headers = {**clerk, "Idempotency-Key": unique("reg-")}
    first = api.client.post("/api/v1/items/firearms", headers=headers, json={**FIREARM, "case_no": case})
    assert first.status_code == 201, first.text
    head = api.head_seq()
    retry = api.client.post("/api/v1/items/firearms", headers=headers, json={**FIREARM, "case_no": case})
    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert api.head_seq() == head
    assert items_of(api, clerk, case) == [first.json()["evidence_no"]]


def test_a_key_reused_with_another_body_answers_idempotency_conflict(api, clerk, case):
    headers = {**clerk, "Idempotency-Key": unique("reg-")}
    first = api.client.post("/api/v1/items/firearms", headers=headers, json={**FIREARM, "case_no": case})
    assert first.status_code == 201, first.text
    head = api.head_seq()
    other = {**FIREARM, "case_no": case, "serial_number": "5409999"}
    problem(
        api.client.post("/api/v1/items/firearms", headers=headers, json=other), 409, "idempotency-conflict"
    )
    ammunition = {"case_no": case, "calibre": "7.62mm", "quantity_rounds": 5}
    problem(
        api.client.post("/api/v1/items/ammunition", headers=headers, json=ammunition),
        409,
        "idempotency-conflict",
    )
    assert api.head_seq() == head


def test_a_key_reused_with_another_query_answers_idempotency_conflict(api, clerk, case):
    headers = {**clerk, "Idempotency-Key": unique("reg-")}
    body = {**FIREARM, "case_no": case}
    first = api.client.post("/api/v1/items/firearms", headers=headers, json=body)
    assert first.status_code == 201, first.text
    head = api.head_seq()
    problem(
        api.client.post("/api/v1/items/firearms?case_unit=220102", headers=headers, json=body),
        409,
        "idempotency-conflict",
    )
    assert api.head_seq() == head


def test_a_retry_answered_by_another_service_process_gets_the_first_answer(api, clerk, case):
    headers = {**clerk, "Idempotency-Key": unique("reg-")}
    first = api.client.post("/api/v1/items/firearms", headers=headers, json={**FIREARM, "case_no": case})
    assert first.status_code == 201, first.text
    head = api.head_seq()
    other_process = Custody.open(api.custody.engine.url.render_as_string(hide_password=False), api.clock)
    try:
        with TestClient(create_app(Services.over(other_process))) as client:
            retry = client.post("/api/v1/items/firearms", headers=headers, json={**FIREARM, "case_no": case})
    finally:
        other_process.close()
    assert retry.status_code == 201, retry.text
    assert retry.json()["evidence_no"] == first.json()["evidence_no"]
    assert api.head_seq() == head


def test_a_key_belongs_to_its_caller(api, clerk, case):
    key = unique("reg-")
    first = api.client.post(
        "/api/v1/items/firearms", headers={**clerk, "Idempotency-Key": key}, json={**FIREARM, "case_no": case}
    )
    other_clerk = api.login("ng-clerk2")
    second = api.client.post(
        "/api/v1/items/firearms",
        headers={**other_clerk, "Idempotency-Key": key},
        json={**FIREARM, "case_no": case},
    )
    assert first.status_code == second.status_code == 201, second.text
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["evidence_no"] != first.json()["evidence_no"]


def test_opening_a_case_takes_an_idempotency_key(api, clerk):
    headers = {**clerk, "Idempotency-Key": unique("case-")}
    body = {"case_no": unique("长南公刑字〔2026〕"), "title": "非法持有枪支案"}
    first = api.client.post("/api/v1/cases", headers=headers, json=body)
    retry = api.client.post("/api/v1/cases", headers=headers, json=body)
    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.json() == first.json()


def test_a_scan_takes_its_key_from_the_header(api, clerk, case):
    number = api.client.post(
        "/api/v1/items/firearms", headers=clerk, json={**FIREARM, "case_no": case}
    ).json()["evidence_no"]
    headers = {**station_headers(api.station(unique("idem-desk"), "220102")), "Idempotency-Key": unique("s-")}
    scan = {"device": "scanner-1", "code": number}
    first = api.client.post("/api/v1/scans", headers=headers, json=scan)
    retry = api.client.post("/api/v1/scans", headers=headers, json=scan)
    assert (first.status_code, retry.status_code) == (201, 200), retry.text
    assert retry.json()["seq"] == first.json()["seq"]
    clash = api.client.post("/api/v1/scans", headers=headers, json={**scan, "idempotency_key": "another"})
    assert problem(clash, 422, "invalid-input")["field"] == "idempotency_key"


def test_an_idempotency_key_with_a_control_character_is_refused(api, clerk, case):
    head = api.head_seq()
    answer = api.client.post(
        "/api/v1/items/firearms",
        headers={**clerk, "Idempotency-Key": "key\x1b"},
        json={**FIREARM, "case_no": case},
    )
    assert problem(answer, 422, "invalid-input")["field"] == "Idempotency-Key"
    assert api.head_seq() == head


def test_adding_a_unit_takes_an_idempotency_key(api):
    admin = {**api.login("admin"), "Idempotency-Key": unique("unit-")}
    code = "229971"  # a code of no real unit; one database per back end in this module
    body = {
        "code": code,
        "parent_code": "220100",
        "name_zh": "测试分局",
        "name_en": "Test",
        "level": "county",
    }
    first = api.client.post("/api/v1/units", headers=admin, json=body)
    assert first.status_code == 201, first.text
    retry = api.client.post("/api/v1/units", headers=admin, json=body)
    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json() == api.client.get(f"/api/v1/units/{code}", headers=admin).json()
    problem(
        api.client.post("/api/v1/units", headers=admin, json={**body, "note": "x"}),
        409,
        "idempotency-conflict",
    )


def test_adding_a_user_takes_an_idempotency_key_and_keeps_nothing_of_the_password(api):
    admin = {**api.login("admin"), "Idempotency-Key": unique("user-")}
    username = unique("idem-user-")
    body = {
        "username": username,
        "full_name": "幂等用户",
        "unit_code": "220102",
        "department": "evidence_room",
        "roles": ["clerk"],
        "password": "a long first password 1",
    }
    first = api.client.post("/api/v1/users", headers=admin, json=body)
    assert first.status_code == 201, first.text
    head = api.head_seq()
    retry = api.client.post("/api/v1/users", headers=admin, json=body)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    other = {**body, "full_name": "另一个用户"}
    problem(api.client.post("/api/v1/users", headers=admin, json=other), 409, "idempotency-conflict")
    assert api.head_seq() == head
    with api.custody.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT request_sha256, answer FROM idempotency_keys").all()
    assert all("a long first password" not in answer for _digest, answer in stored)


def test_adding_a_station_takes_an_idempotency_key_and_never_keeps_the_station_key(api):
    admin = {**api.login("admin"), "Idempotency-Key": unique("station-")}
    body = {
        "name": unique("idem-desk-"),
        "unit_code": "220102",
        "department": "evidence_room",
        "devices": ["scanner-1"],
    }
    first = api.client.post("/api/v1/stations", headers=admin, json=body)
    assert first.status_code == 201, first.text
    key = first.json()["key"]
    assert key.startswith("csk_") and first.headers["Cache-Control"] == "no-store"
    retry = api.client.post("/api/v1/stations", headers=admin, json=body)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == {"station": first.json()["station"], "key": None}
    with api.custody.engine.connect() as conn:
        logged = (
            conn.exec_driver_sql(
                "SELECT status FROM access_log WHERE method = 'POST' "
                "AND path = '/api/v1/stations' ORDER BY seq"
            )
            .scalars()
            .all()
        )
    assert logged[-2:] == [201, 201]  # the retry is recorded too, as every request is
    other = {**body, "devices": ["scanner-2"]}
    problem(api.client.post("/api/v1/stations", headers=admin, json=other), 409, "idempotency-conflict")
    listed = api.client.get("/api/v1/stations", headers=api.login("admin"), params={"limit": 200}).json()
    assert [s["name"] for s in listed["stations"]].count(body["name"]) == 1
    with api.custody.engine.connect() as conn:
        answers = conn.exec_driver_sql("SELECT answer FROM idempotency_keys").scalars().all()
    assert answers and all(key not in answer and key[8:] not in answer for answer in answers)
    scan = {"device": "scanner-1", "code": "F220102202600000000"}
    assert api.client.post("/api/v1/scans", headers=station_headers(key), json=scan).status_code != 401
