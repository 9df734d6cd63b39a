"""Administration over HTTP: users, stations and units, each within the administrator's scope."""

from __future__ import annotations

import pytest
from api_harness import PASSWORD, Harness, problem, station_headers
from sqlalchemy import select

from custody.credentials import digest
from custody.db.tables import Credential, Station
from custody.model import Department, Role

NEW_USER = {
    "username": "ng-clerk3",
    "full_name": "南关物证管理员三",
    "unit_code": "220102",
    "department": "evidence_room",
    "roles": ["clerk"],
    "password": "a first password",
}


@pytest.fixture
def city_admin(api: Harness) -> dict[str, str]:
    api.add_user("cc-admin", "220100", Department.OFFICE, Role.ADMIN)
    return api.login("cc-admin")


def test_an_administrator_adds_a_user_who_can_then_log_in(api, city_admin):
    answer = api.client.post("/api/v1/users", headers=city_admin, json=NEW_USER)
    assert answer.status_code == 201
    assert answer.json() | {"created_at": None} == {
        "username": "ng-clerk3",
        "full_name": "南关物证管理员三",
        "unit_code": "220102",
        "department": "evidence_room",
        "roles": ["clerk"],
        "active": True,
        "has_password": True,
        "locked_until": None,
        "created_at": None,
    }
    assert api.login("ng-clerk3", "a first password")


def test_the_password_is_stored_as_an_argon2id_hash(api, city_admin):
    api.client.post("/api/v1/users", headers=city_admin, json=NEW_USER)
    with api.custody.engine.connect() as conn:
        hashes = conn.execute(select(Credential.__table__.c.password_hash)).scalars().all()
    assert all(h.startswith("$argon2id$v=19$") for h in hashes)
    assert not any("a first password" in h for h in hashes)


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"password": "too short"}, 422, "invalid-input", "password"),
        ({"roles": []}, 422, "invalid-input", "roles"),
        ({"roles": ["sheriff"]}, 422, "invalid-input", "roles.0"),
        ({"unit_code": "2201"}, 422, "invalid-input", "unit_code"),
        ({"username": "ng-clerk"}, 409, "already-exists", None),
        ({"unit_code": "220200"}, 403, "not-permitted", None),
        ({"unit_code": "229999"}, 404, "unknown-unit", None),
    ],
)
def test_a_user_is_not_added_on_bad_input_or_outside_the_scope(api, city_admin, change, status, code, field):
    answer = api.client.post("/api/v1/users", headers=city_admin, json={**NEW_USER, **change})
    assert problem(answer, status, code).get("field") == field
    assert api.custody.user_count() == 12  # the cast and cc-admin: nothing was added


def test_users_are_listed_for_the_callers_unit_and_below_and_never_with_a_secret(api, city_admin):
    answer = api.client.get("/api/v1/users?limit=200", headers=city_admin)
    names = {u["username"] for u in answer.json()["users"]}
    assert names == {"cc-admin", "cc-clerk", "cc-custodian", "ng-clerk", "ng-clerk2", "ng-custodian"} | {
        "ng-investigator",
        "kc-clerk",
        "ng-auditor",
    }
    assert PASSWORD not in answer.text and "$argon2" not in answer.text
    clerks = api.client.get("/api/v1/users?role=clerk&unit_code=220102", headers=city_admin).json()["users"]
    assert [u["username"] for u in clerks] == ["ng-clerk", "ng-clerk2"]


def test_users_page_with_a_cursor(api, city_admin):
    first = api.client.get("/api/v1/users?limit=4", headers=city_admin).json()
    second = api.client.get(f"/api/v1/users?limit=4&cursor={first['next_cursor']}", headers=city_admin).json()
    third = api.client.get(f"/api/v1/users?limit=4&cursor={second['next_cursor']}", headers=city_admin).json()
    names = [u["username"] for page in (first, second, third) for u in page["users"]]
    assert len(names) == len(set(names)) == 9 and third["next_cursor"] is None


def test_a_user_out_of_scope_is_unknown_to_an_administrator(api, city_admin):
    problem(api.client.get("/api/v1/users/jl-clerk", headers=city_admin), 404, "unknown-user")
    problem(api.client.post("/api/v1/users/jl-clerk/deactivate", headers=city_admin), 404, "unknown-user")
    reset = api.client.put("/api/v1/users/jl-clerk/password", headers=city_admin, json={"password": "x" * 12})
    problem(reset, 404, "unknown-user")
    assert api.login("jl-clerk", PASSWORD)


def test_an_auditor_and_a_clerk_may_read_users_but_not_change_them(api):
    for reader in ("ng-auditor", "ng-clerk"):
        headers = api.login(reader)
        assert api.client.get("/api/v1/users/ng-custodian", headers=headers).status_code == 200
        problem(api.client.post("/api/v1/users", headers=headers, json=NEW_USER), 403, "not-permitted")


def test_a_new_station_key_is_shown_once_and_stored_only_as_its_sha256(api, city_admin):
    answer = api.client.post(
        "/api/v1/stations",
        headers=city_admin,
        json={
            "name": "ng-desk-1",
            "unit_code": "220102",
            "department": "evidence_room",
            "devices": ["scanner-1"],
        },
    )
    assert answer.status_code == 201 and answer.headers["cache-control"] == "no-store"
    key = answer.json()["key"]
    assert key.startswith("csk_") and answer.json()["station"]["key_hint"] == key[:8]
    with api.custody.engine.connect() as conn:
        assert conn.execute(select(Station.__table__.c.key_sha256)).scalars().all() == [digest(key)]
    for path in ("/api/v1/stations", "/api/v1/stations/ng-desk-1"):
        assert key not in api.client.get(path, headers=city_admin).text
    assert api.client.get("/api/v1/auth/me", headers=station_headers(key)).json()["name"] == "ng-desk-1"


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"name": "Desk 1"}, 422, "invalid-input", "name"),
        ({"devices": []}, 422, "invalid-input", "devices"),
        ({"devices": ["scanner-1", "scanner-1"]}, 422, "invalid-input", "devices"),
        ({"unit_code": "220200"}, 403, "not-permitted", None),
    ],
)
def test_a_station_is_not_added_on_bad_input_or_outside_the_scope(
    api, city_admin, change, status, code, field
):
    body = {
        "name": "ng-desk-1",
        "unit_code": "220102",
        "department": "evidence_room",
        "devices": ["scanner-1"],
    }
    answer = api.client.post("/api/v1/stations", headers=city_admin, json={**body, **change})
    assert problem(answer, status, code).get("field") == field
    assert api.client.get("/api/v1/stations", headers=city_admin).json()["stations"] == []


def test_stations_are_listed_and_revoked_within_scope(api, city_admin):
    api.station("ng-desk-1", "220102")
    api.station("jl-desk-1", "220200")
    listed = api.client.get("/api/v1/stations", headers=city_admin).json()["stations"]
    assert [s["name"] for s in listed] == ["ng-desk-1"]
    problem(api.client.post("/api/v1/stations/jl-desk-1/revoke", headers=city_admin), 404, "unknown-station")
    problem(
        api.client.post("/api/v1/stations/ng-desk-1/revoke", headers=api.login("ng-clerk")),
        403,
        "not-permitted",
    )


def test_units_are_reference_data_and_administrators_add_units_below_their_own(api, city_admin):
    units = api.client.get("/api/v1/units", headers=api.login("jl-clerk")).json()
    assert {"220000", "220100", "220200"} <= {u["code"] for u in units}
    new = {
        "code": "220199",
        "parent_code": "220100",
        "name_zh": "测试分局",
        "name_en": "Test Branch",
        "level": "county",
    }
    answer = api.client.post("/api/v1/units", headers=city_admin, json=new)
    assert answer.status_code == 201 and answer.json()["parent_code"] == "220100"
    problem(api.client.post("/api/v1/units", headers=city_admin, json=new), 409, "already-exists")
    elsewhere = {**new, "code": "220299", "parent_code": "220200"}
    problem(api.client.post("/api/v1/units", headers=city_admin, json=elsewhere), 403, "not-permitted")
    shown = api.client.get("/api/v1/units/220199", headers=api.login("ng-clerk")).json()
    assert shown["name_zh"] == "测试分局"
    problem(api.client.get("/api/v1/units/999999", headers=city_admin), 404, "unknown-unit")
