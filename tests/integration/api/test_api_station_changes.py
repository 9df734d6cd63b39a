"""Fixing a station over HTTP: binding and unbinding devices, rotating its key.

Each change is admin-only and within the administrator's unit and below, is one transaction with its
access-log entry (which says what changed), and takes effect at the next scan, in this service process
and in any other one (modelled by a second :class:`Stations` over the same database, as the command
line or another service process would be), however long the process has remembered the station.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_harness import Harness, problem, station_headers, unique

from custody.intake import FirearmIntake
from custody.model import Department, Role
from custody.stations import StationChange, Stations


@pytest.fixture
def api(module_api: Harness) -> Harness:
    return module_api


@pytest.fixture(scope="module")
def _city_administrator(module_api: Harness) -> str:
    return module_api.add_user("cc-station-admin", "220100", Department.OFFICE, Role.ADMIN)


@pytest.fixture
def city_admin(api: Harness, _city_administrator: str) -> dict[str, str]:
    return api.login(_city_administrator)


def new_item(api: Harness) -> str:
    clerk = api.custody.users.actor("ng-clerk")
    case = unique("K-ST-")
    api.custody.cases.open(clerk, case)
    intake = FirearmIntake("手枪", "54式", unique("S"), "7.62mm", True)
    return str(api.custody.items.register_firearm(clerk, case, intake).evidence_no)


def scan(api: Harness, key: str, device: str, number: str) -> Any:
    body = {"device": device, "idempotency_key": unique("st-scan-"), "code": number}
    return api.client.post("/api/v1/scans", json=body, headers=station_headers(key, device))


def elsewhere(api: Harness) -> Stations:
    """The stations as another process sees them (the command line, a second service process)."""
    return Stations(api.custody.store)


def unrecorded(_conn: object, _change: StationChange) -> None:
    """A change made elsewhere records itself there; these tests look at this service's answers."""


def station_of(api: Harness, name: str, admin: dict[str, str]) -> dict[str, Any]:
    answer = api.client.get(f"/api/v1/stations/{name}", headers=admin)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_device_bound_by_an_administrator_is_admitted_at_its_next_scan(api, city_admin):
    name, number = unique("ng-desk-"), new_item(api)
    key = api.station(name, "220102", "scanner-1")
    problem(scan(api, key, "reader-1", number), 403, "device-not-bound")
    bound = api.client.post(
        f"/api/v1/stations/{name}/devices", json={"device": "reader-1"}, headers=city_admin
    )
    assert bound.status_code == 200, bound.text
    assert bound.json()["devices"] == ["scanner-1", "reader-1"]
    assert scan(api, key, "reader-1", number).status_code == 201


def test_a_device_bound_in_another_process_is_admitted_though_this_one_remembers_the_station(api):
    name, number = unique("ng-desk-"), new_item(api)
    key = api.station(name, "220102", "scanner-1")
    assert scan(api, key, "scanner-1", number).status_code == 201  # remembered from now on
    problem(scan(api, key, "reader-1", number), 403, "device-not-bound")
    elsewhere(api).bind(api.custody.users.actor("admin"), name, "reader-1", unrecorded)
    assert scan(api, key, "reader-1", number).status_code == 201


def test_a_device_unbound_in_another_process_is_refused_at_once_and_nothing_is_written(api):
    name, number = unique("ng-desk-"), new_item(api)
    key = api.station(name, "220102", "scanner-1", "reader-1")
    assert scan(api, key, "reader-1", number).status_code == 201  # remembered with both devices
    elsewhere(api).unbind(api.custody.users.actor("admin"), name, "reader-1", unrecorded)
    head = api.head_seq()
    problem(scan(api, key, "reader-1", number), 403, "device-not-bound")
    problem(scan(api, key, "reader-1", number), 403, "device-not-bound")
    assert api.head_seq() == head
    assert scan(api, key, "scanner-1", number).status_code == 201


def test_a_rotated_key_is_shown_once_and_the_old_key_is_refused_from_then_on(api, city_admin):
    name, number = unique("ng-desk-"), new_item(api)
    old = api.station(name, "220102", "scanner-1")
    assert scan(api, old, "scanner-1", number).status_code == 201  # remembered
    rotated = api.client.post(f"/api/v1/stations/{name}/key", headers=city_admin)
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    new = rotated.json()["key"]
    assert new.startswith("csk_") and new != old
    assert rotated.json()["station"]["key_hint"] == new[:8]
    assert new not in str(station_of(api, name, city_admin))
    head = api.head_seq()
    problem(scan(api, old, "scanner-1", number), 401, "unauthenticated")
    problem(api.client.get("/api/v1/auth/me", headers=station_headers(old)), 401, "unauthenticated")
    assert api.head_seq() == head
    assert scan(api, new, "scanner-1", number).status_code == 201


def test_a_key_rotated_in_another_process_is_refused_though_this_one_remembers_it(api):
    name, number = unique("ng-desk-"), new_item(api)
    old = api.station(name, "220102", "scanner-1")
    assert scan(api, old, "scanner-1", number).status_code == 201  # remembered
    _station, new = elsewhere(api).rotate_key(api.custody.users.actor("admin"), name, unrecorded)
    head = api.head_seq()
    problem(scan(api, old, "scanner-1", number), 401, "unauthenticated")
    assert api.head_seq() == head
    assert scan(api, new, "scanner-1", number).status_code == 201


def test_unbinding_the_last_or_an_unknown_device_is_refused_and_changes_nothing(api, city_admin):
    name = unique("ng-desk-")
    api.station(name, "220102", "scanner-1")
    before = station_of(api, name, city_admin)
    problem(
        api.client.delete(f"/api/v1/stations/{name}/devices/scanner-1", headers=city_admin),
        409,
        "station-change-refused",
    )
    problem(
        api.client.delete(f"/api/v1/stations/{name}/devices/reader-9", headers=city_admin),
        404,
        "unknown-device",
    )
    assert station_of(api, name, city_admin) == before


@pytest.mark.parametrize(
    "body",
    [
        {"device": ""},
        {"device": " "},
        {"device": "r\x00"},
        {"device": "r" * 129},
        {"device": 7},
        {},
        {"device": "reader-1", "more": 1},
        {"device": ["reader-1"]},
    ],
    ids=["empty", "blank", "control", "long", "number", "missing", "extra", "list"],
)
def test_binding_bad_input_is_refused_and_changes_nothing(api, city_admin, body):
    name = unique("ng-desk-")
    api.station(name, "220102", "scanner-1")
    before = station_of(api, name, city_admin)
    answer = api.client.post(f"/api/v1/stations/{name}/devices", json=body, headers=city_admin)
    problem(answer, 422, "invalid-input")
    assert station_of(api, name, city_admin) == before


def test_binding_a_bound_device_or_a_seventeenth_is_refused(api, city_admin):
    name = unique("ng-desk-")
    api.station(name, "220102", *(f"scanner-{i}" for i in range(16)))
    before = station_of(api, name, city_admin)
    for device in ("scanner-3", "reader-1"):
        answer = api.client.post(
            f"/api/v1/stations/{name}/devices", json={"device": device}, headers=city_admin
        )
        problem(answer, 409, "station-change-refused")
    assert station_of(api, name, city_admin) == before


def test_a_revoked_station_is_not_rotated_back_to_life_nor_rebound(api, city_admin):
    name, number = unique("ng-desk-"), new_item(api)
    key = api.station(name, "220102", "scanner-1", "reader-1")
    assert api.client.post(f"/api/v1/stations/{name}/revoke", headers=city_admin).status_code == 200
    before = station_of(api, name, city_admin)
    problem(
        api.client.post(f"/api/v1/stations/{name}/key", headers=city_admin), 409, "station-change-refused"
    )
    problem(
        api.client.post(f"/api/v1/stations/{name}/devices", json={"device": "r-2"}, headers=city_admin),
        409,
        "station-change-refused",
    )
    problem(
        api.client.delete(f"/api/v1/stations/{name}/devices/reader-1", headers=city_admin),
        409,
        "station-change-refused",
    )
    assert station_of(api, name, city_admin) == before
    problem(scan(api, key, "scanner-1", number), 401, "unauthenticated")


def test_out_of_scope_answers_like_a_missing_station(api, city_admin):
    theirs, missing = unique("jl-desk-"), unique("no-desk-")
    key = api.station(theirs, "220200", "scanner-1")
    calls = [
        ("POST", "/devices", {"device": "reader-1"}),
        ("DELETE", "/devices/scanner-1", None),
        ("POST", "/key", None),
    ]
    for method, suffix, body in calls:
        for name in (theirs, missing):
            answer = api.client.request(
                method, f"/api/v1/stations/{name}{suffix}", json=body, headers=city_admin
            )
            refused = problem(answer, 404, "unknown-station")
            assert refused["detail"] == f"unknown station {name}"
    province = api.login("admin")
    assert station_of(api, theirs, province)["devices"] == ["scanner-1"]
    assert api.client.get("/api/v1/auth/me", headers=station_headers(key)).status_code == 200  # key unchanged


def test_each_change_is_one_access_log_entry_saying_what_changed(api, city_admin):
    name = unique("ng-desk-")
    api.station(name, "220102", "scanner-1")
    old_hint = station_of(api, name, city_admin)["key_hint"]
    api.client.post(f"/api/v1/stations/{name}/devices", json={"device": "reader-1"}, headers=city_admin)
    api.client.delete(f"/api/v1/stations/{name}/devices/scanner-1", headers=city_admin)
    new_key = api.client.post(f"/api/v1/stations/{name}/key", headers=city_admin).json()["key"]
    auditor = api.login("admin")
    entries = api.client.get("/api/v1/access-log?limit=200", headers=auditor).json()["entries"]
    mine = [e for e in entries if e["path"].startswith(f"/api/v1/stations/{name}/")]
    assert [(e["method"], e["path"], e["status"], e["note"]) for e in reversed(mine)] == [
        ("POST", f"/api/v1/stations/{name}/devices", 200, "station-device-bound: reader-1"),
        ("DELETE", f"/api/v1/stations/{name}/devices/scanner-1", 200, "station-device-unbound: scanner-1"),
        (
            "POST",
            f"/api/v1/stations/{name}/key",
            200,
            f"station-key-rotated: key {old_hint[4:]}… replaced by {new_key[4:8]}…",
        ),
    ]
    assert all(e["username"] == "cc-station-admin" and "csk_" not in e["note"] for e in mine)
    verified = api.client.get("/api/v1/access-log/verification", headers=auditor).json()
    assert verified["ok"] is True, verified


def test_a_device_id_with_a_slash_is_unbound_and_one_that_looks_like_a_key_is_not_logged(api, city_admin):
    name = unique("ng-desk-")
    api.station(name, "220102", "scanner-1", "COM3/left")
    unbound = api.client.delete(f"/api/v1/stations/{name}/devices/COM3/left", headers=city_admin)
    assert unbound.status_code == 200, unbound.text
    assert unbound.json()["devices"] == ["scanner-1"]
    pasted = "csk_" + "A" * 43  # a key pasted where a device id belongs
    bound = api.client.post(f"/api/v1/stations/{name}/devices", json={"device": pasted}, headers=city_admin)
    assert bound.status_code == 200, bound.text
    entries = api.client.get("/api/v1/access-log?limit=50", headers=api.login("admin")).json()["entries"]
    assert pasted not in str(entries)
    assert [e["note"] for e in entries if e["path"] == f"/api/v1/stations/{name}/devices"] == [
        "station-device-bound: [redacted]"
    ]


def test_adding_and_revoking_a_station_are_logged_once_each_with_what_changed(api, city_admin):
    name = unique("ng-desk-")
    wanted = {"name": name, "unit_code": "220102", "department": "evidence_room", "devices": ["s-1", "r-1"]}
    key = api.client.post("/api/v1/stations", json=wanted, headers=city_admin).json()["key"]
    for _ in range(2):  # the second revocation changes nothing and notes nothing
        assert api.client.post(f"/api/v1/stations/{name}/revoke", headers=city_admin).status_code == 200
    entries = api.client.get("/api/v1/access-log?limit=50", headers=api.login("admin")).json()["entries"]
    added = [e for e in entries if e["path"] == "/api/v1/stations" and name in e["note"]]
    assert [(e["method"], e["status"], e["note"]) for e in added] == [
        ("POST", 201, f"station-added: {name} of unit 220102, devices s-1, r-1; key {key[4:8]}…")
    ]
    revoked = [e for e in entries if e["path"] == f"/api/v1/stations/{name}/revoke"]
    assert [(e["status"], e["note"]) for e in reversed(revoked)] == [
        (200, f"station-revoked: key {key[4:8]}…"),
        (200, ""),
    ]
