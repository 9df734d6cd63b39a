"""Administration over HTTP: users, stations and units, each within the administrator's scope.

The tests share one database per back end; each adds users and stations under names of its own.
"""

from __future__ import annotations

import pytest
from api_harness import PASSWORD, START, Harness, problem, station_headers, unique
from sqlalchemy import select

from custody.credentials import digest
from custody.db.tables import CredentialRow, StationRow
from custody.model import Department, Role


def new_user(**changes: object) -> dict[str, object]:
    return {
        "username": unique("ng-clerk-"),
        "full_name": "南关物证管理员",
        "unit_code": "220102",
        "department": "evidence_room",
        "roles": ["clerk"],
        "password": "a first password",
        **changes,
    }


def new_station(**changes: object) -> dict[str, object]:
    return {
        "name": unique("ng-desk-"),
        "unit_code": "220102",
        "department": "evidence_room",
        "devices": ["scanner-1"],
        **changes,
    }


@pytest.fixture
def api(module_api: Harness) -> Harness:
    module_api.clock.set(START)
    return module_api


@pytest.fixture(scope="module")
def _city_administrator(module_api: Harness) -> str:
    return module_api.add_user("cc-admin", "220100", Department.OFFICE, Role.ADMIN)


@pytest.fixture
def city_admin(api: Harness, _city_administrator: str) -> dict[str, str]:
    return api.login(_city_administrator)


def names(answer: object) -> list[str]:
    return [u["username"] for u in answer.json()["users"]]  # type: ignore[attr-defined]


def test_an_administrator_adds_a_user_who_can_then_log_in(api, city_admin):
    wanted = new_user()
    answer = api.client.post("/api/v1/users", headers=city_admin, json=wanted)
    assert answer.status_code == 201
    assert answer.json() | {"created_at": None} == {
        "username": wanted["username"],
        "full_name": "南关物证管理员",
        "unit_code": "220102",
        "department": "evidence_room",
        "roles": ["clerk"],
        "active": True,
        "has_password": True,
        "locked_until": None,
        "created_at": None,
    }
    assert api.login(str(wanted["username"]), "a first password")


def test_the_password_is_stored_as_an_argon2id_hash(api, city_admin):
    api.client.post("/api/v1/users", headers=city_admin, json=new_user())
    with api.custody.engine.connect() as conn:
        hashes = conn.execute(select(CredentialRow.__table__.c.password_hash)).scalars().all()
    assert all(h.startswith("$argon2id$v=19$") for h in hashes)
    assert not any("a first password" in h for h in hashes)


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"password": "too short"}, 422, "invalid-input", "password"),
        ({"roles": []}, 422, "invalid-input", "roles"),
        ({"roles": ["sheriff"]}, 422, "invalid-input", "roles.0"),
        ({"unit_code": "2201"}, 422, "invalid-input", "unit_code"),
        ({"username": "ng-clerk"}, 409, "username-unavailable", None),
        ({"username": "jl-clerk"}, 409, "username-unavailable", None),  # taken outside the scope too
        ({"unit_code": "220200"}, 403, "not-permitted", None),
        ({"unit_code": "229999"}, 404, "unknown-unit", None),
    ],
)
def test_a_user_is_not_added_on_bad_input_or_outside_the_scope(api, city_admin, change, status, code, field):
    before = api.custody.users.count()
    answer = api.client.post("/api/v1/users", headers=city_admin, json=new_user(**change))
    assert problem(answer, status, code).get("field") == field
    assert api.custody.users.count() == before


def test_users_are_listed_for_the_callers_unit_and_below_and_never_with_a_secret(api, city_admin):
    answer = api.client.get("/api/v1/users?limit=200", headers=city_admin)
    listed = answer.json()["users"]
    assert {"cc-admin", "cc-clerk", "ng-clerk", "ng-auditor", "kc-clerk"} <= {u["username"] for u in listed}
    assert {u["unit_code"] for u in listed} <= {"220100", "220102", "220103"}
    assert PASSWORD not in answer.text and "$argon2" not in answer.text
    clerks = api.client.get("/api/v1/users?role=clerk&unit_code=220102&limit=200", headers=city_admin)
    assert {"ng-clerk", "ng-clerk2"} <= set(names(clerks))
    assert all(u["roles"] == ["clerk"] and u["unit_code"] == "220102" for u in clerks.json()["users"])


def test_users_page_with_a_cursor(api, city_admin):
    everyone = names(api.client.get("/api/v1/users?limit=200", headers=city_admin))
    paged: list[str] = []
    cursor = ""
    while True:
        page = api.client.get(f"/api/v1/users?limit=4&cursor={cursor}", headers=city_admin)
        paged += names(page)
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert paged == everyone and len(everyone) > 4


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
        problem(api.client.post("/api/v1/users", headers=headers, json=new_user()), 403, "not-permitted")


def test_a_new_station_key_is_shown_once_and_stored_only_as_its_sha256(api, city_admin):
    wanted = new_station()
    answer = api.client.post("/api/v1/stations", headers=city_admin, json=wanted)
    assert answer.status_code == 201 and answer.headers["cache-control"] == "no-store"
    key = answer.json()["key"]
    assert key.startswith("csk_") and answer.json()["station"]["key_hint"] == key[:8]
    stored = StationRow.__table__.c
    with api.custody.engine.connect() as conn:
        kept = conn.execute(select(stored.key_sha256).where(stored.name == wanted["name"])).scalar_one()
    assert kept == digest(key)
    for path in ("/api/v1/stations?limit=200", f"/api/v1/stations/{wanted['name']}"):
        assert key not in api.client.get(path, headers=city_admin).text
    assert api.client.get("/api/v1/auth/me", headers=station_headers(key)).json()["name"] == wanted["name"]


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
    before = api.client.get("/api/v1/stations?limit=200", headers=city_admin).json()
    answer = api.client.post("/api/v1/stations", headers=city_admin, json=new_station(**change))
    assert problem(answer, status, code).get("field") == field
    assert api.client.get("/api/v1/stations?limit=200", headers=city_admin).json() == before


def test_stations_are_listed_and_revoked_within_scope(api, city_admin):
    mine, theirs = unique("ng-desk-"), unique("jl-desk-")
    api.station(mine, "220102")
    api.station(theirs, "220200")
    listed = api.client.get("/api/v1/stations?limit=200", headers=city_admin).json()["stations"]
    assert mine in {s["name"] for s in listed} and {s["unit_code"] for s in listed} <= {"220100", "220102"}
    problem(api.client.post(f"/api/v1/stations/{theirs}/revoke", headers=city_admin), 404, "unknown-station")
    problem(
        api.client.post(f"/api/v1/stations/{mine}/revoke", headers=api.login("ng-clerk")),
        403,
        "not-permitted",
    )
    assert api.client.post(f"/api/v1/stations/{mine}/revoke", headers=city_admin).json()["revoked_at"]


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
