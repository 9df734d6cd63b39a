"""Refusals of who acts answer their message key and typed parameters, so a desk can show them in its
own language: a failed login, an unknown user, a role refusal, a unit outside the scope, a password the
policy refuses, and the refusals of stations.

The tests share one database per back end; each adds users and stations under names of its own.
"""

from __future__ import annotations

import pytest
from api_harness import PASSWORD, START, Harness, problem, station_headers, unique

from custody.model import Department, Role

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


@pytest.fixture
def api(module_api: Harness) -> Harness:
    module_api.clock.set(START)
    return module_api


@pytest.fixture(scope="module")
def _city_administrator(module_api: Harness) -> str:
    return module_api.add_user(unique("cc-admin-"), "220100", Department.OFFICE, Role.ADMIN)


@pytest.fixture
def city_admin(api: Harness, _city_administrator: str) -> dict[str, str]:
    return api.login(_city_administrator)


def test_a_failed_login_answers_its_key_and_no_parameters(api):
    answer = api.client.post(LOGIN, json={"username": unique("nobody-"), "password": "not the password"})
    body = problem(answer, 401, "login-failed")
    assert (body["key"], body["params"]) == ("auth.login_failed", {})
    assert body["detail"] == "wrong username or password, or the account is locked or inactive"


def test_an_unknown_user_answers_the_username_it_was_asked_for(api, city_admin):
    for username in ("jl-clerk", unique("nobody-")):  # out of scope and missing alike
        body = problem(api.client.get(f"/api/v1/users/{username}", headers=city_admin), 404, "unknown-user")
        assert (body["key"], body["params"]) == ("user.unknown", {"username": username})
        assert body["detail"] == f"unknown user {username}"


def test_a_role_refusal_answers_who_was_refused_what_and_the_roles_that_may(api):
    answer = api.client.post(
        "/api/v1/users",
        headers=api.login("ng-clerk"),
        json={
            "username": unique("ng-clerk-"),
            "full_name": "南关物证管理员",
            "unit_code": "220102",
            "department": "evidence_room",
            "roles": ["clerk"],
            "password": "a first password",
        },
    )
    body = problem(answer, 403, "not-permitted")
    assert body["key"] == "role.needed"
    assert body["params"] == {"username": "ng-clerk", "act": "use this endpoint", "roles": "admin"}
    assert body["detail"] == "ng-clerk may not use this endpoint: needs role admin"


def test_a_unit_outside_the_scope_answers_the_unit_and_the_act(api, city_admin, _city_administrator):
    answer = api.client.post(
        "/api/v1/users",
        headers=city_admin,
        json={
            "username": unique("jl-clerk-"),
            "full_name": "吉林物证管理员",
            "unit_code": "220200",
            "department": "evidence_room",
            "roles": ["clerk"],
            "password": "a first password",
        },
    )
    body = problem(answer, 403, "not-permitted")
    assert (body["key"], body["params"]) == (
        "unit.outside_scope",
        {"username": _city_administrator, "act": "add users to unit", "unit_code": "220200"},
    )


def test_a_password_the_policy_refuses_answers_the_field_and_the_limit(api):
    username = api.add_user(unique("ng-pw-"), "220102", Department.EVIDENCE_ROOM, Role.CLERK)
    answer = api.client.put(
        "/api/v1/auth/password",
        headers=api.login(username),
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    body = problem(answer, 422, "invalid-input")
    assert body["field"] == "new_password"
    assert (body["key"], body["params"]) == ("password.too_short", {"name": "new_password", "min_length": 10})
    assert body["detail"] == "new_password needs at least 10 characters"


def test_station_refusals_answer_the_station_and_the_device(api, city_admin):
    missing = unique("ng-desk-")
    body = problem(api.client.get(f"/api/v1/stations/{missing}", headers=city_admin), 404, "unknown-station")
    assert (body["key"], body["params"]) == ("station.unknown", {"name": missing})

    name = unique("ng-desk-")
    key = api.station(name, "220102", "scanner-1")
    last = api.client.delete(f"/api/v1/stations/{name}/devices/scanner-1", headers=city_admin)
    body = problem(last, 409, "station-change-refused")
    assert (body["key"], body["params"]) == ("station.last_device", {"device": "scanner-1", "name": name})
    assert body["detail"] == f"'scanner-1' is the last device of station {name}: bind another one first"

    foreign = problem(api.client.get(ME, headers=station_headers(key, "scanner-9")), 403, "device-not-bound")
    assert (foreign["key"], foreign["params"]) == (
        "station.device_not_bound",
        {"device": "scanner-9", "name": name},
    )
    assert foreign["detail"] == f"device 'scanner-9' is not bound to station {name}"

    listed = api.client.post(
        "/api/v1/stations",
        headers=city_admin,
        json={
            "name": unique("ng-desk-"),
            "unit_code": "220102",
            "department": "evidence_room",
            "devices": ["scanner-1", "scanner-1"],
        },
    )
    body = problem(listed, 422, "invalid-input")
    assert body["field"] == "devices"
    assert (body["key"], body["params"]) == ("station.device_listed_twice", {"device": "scanner-1"})


def test_a_station_key_on_an_endpoint_not_for_stations_answers_its_key(api):
    key = api.station(unique("ng-desk-"), "220102", "scanner-1")
    body = problem(api.client.get("/api/v1/users", headers=station_headers(key)), 403, "not-permitted")
    assert (body["key"], body["params"]) == ("station.endpoint_not_for_stations", {})
