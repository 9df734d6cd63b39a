"""Locations, seals and custodian changes over HTTP, on SQLite and PostgreSQL: the witness and the new
custodian confirm with their own session in the same request (X-Witness-Token, X-Second-Token); refusals
are problem documents with message keys and write nothing; a seal out of scope answers 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Harness, unique
from seal_world import accepted_items

from custody.codes import SealNumber
from custody.model import Department, Role


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    yield module_api


def witness(api: Harness, username: str) -> dict[str, str]:
    return {"X-Witness-Token": api.token(username)}


def place(api: Harness, custodian: dict[str, str], code: str, name: str) -> None:
    answer = api.client.get("/api/v1/locations", headers=custodian)
    if code in {loc["code"] for loc in answer.json()["locations"]}:
        return
    added = api.client.post("/api/v1/locations", headers=custodian, json={"code": code, "name": name})
    assert added.status_code == 201, added.text


@pytest.fixture
def custodian(api: Harness) -> dict[str, str]:
    headers = api.login("ng-custodian")
    for code, name in (("L220102-A", "一号库"), ("L220102-A-1", "一室"), ("L220102-A-2", "二室")):
        place(api, headers, code, name)
    return headers


def test_locations_are_added_and_listed_within_scope(api, custodian):
    answer = api.client.get("/api/v1/locations", headers=custodian)
    assert answer.status_code == 200
    listed = {loc["code"]: loc for loc in answer.json()["locations"]}
    assert listed["L220102-A-1"] == {
        "code": "L220102-A-1",
        "unit_code": "220102",
        "level": "room",
        "parent_code": "L220102-A",
        "name": "一室",
    }
    assert api.client.get("/api/v1/locations", headers=api.login("jl-clerk")).json()["locations"] == []
    orphan = api.client.post(
        "/api/v1/locations", headers=custodian, json={"code": "L220102-X-1", "name": "无库"}
    )
    assert (orphan.status_code, orphan.json()["key"]) == (404, "location.unknown_parent")
    malformed = api.client.post("/api/v1/locations", headers=custodian, json={"code": "A-1", "name": "x"})
    assert (malformed.status_code, malformed.json()["key"]) == (422, "location_code.shape")


def test_seal_move_open_and_reseal_over_http(api, custodian):
    gun, ammo = accepted_items(api.custody)
    numbers = [gun.evidence_no, ammo.evidence_no]
    body = {"location_code": "L220102-A-1", "evidence_nos": numbers}
    made = api.client.post("/api/v1/seals", headers={**custodian, **witness(api, "ng-auditor")}, json=body)
    assert made.status_code == 201, made.text
    seal = made.json()
    assert (seal["status"], seal["witness"], seal["custodian"]) == ("intact", "ng-auditor", "ng-custodian")
    assert sorted(i["evidence_no"] for i in seal["items"]) == sorted(numbers)
    assert {i["state"] for i in seal["items"]} == {"sealed"}
    SealNumber.parse(seal["seal_no"])

    shown = api.client.get(f"/api/v1/seals/{seal['seal_no']}", headers=api.login("ng-auditor"))
    assert shown.status_code == 200 and shown.json()["last_reading"] is None
    out_of_scope = api.client.get(f"/api/v1/seals/{seal['seal_no']}", headers=api.login("jl-clerk"))
    assert (out_of_scope.status_code, out_of_scope.json()["key"]) == (404, "seal.unknown")

    moved = api.client.post(
        f"/api/v1/seals/{seal['seal_no']}/move", headers=custodian, json={"to": "L220102-A-2"}
    )
    assert moved.status_code == 200 and moved.json()["location_code"] == "L220102-A-2"
    head = api.head_seq()
    unwitnessed = api.client.post(
        f"/api/v1/seals/{seal['seal_no']}/open", headers=custodian, json={"reason": "送检"}
    )
    assert (unwitnessed.status_code, unwitnessed.json()["key"]) == (422, "seal.needs_witness")
    assert api.head_seq() == head
    opened = api.client.post(
        f"/api/v1/seals/{seal['seal_no']}/open",
        headers={**custodian, **witness(api, "ng-investigator")},
        json={"reason": "送检"},
    )
    assert opened.status_code == 200, opened.text
    assert (opened.json()["status"], opened.json()["void_reason"]) == ("void", "送检")
    again = api.client.post(
        "/api/v1/seals",
        headers={**custodian, **witness(api, "ng-clerk2")},
        json={**body, "location_code": "L220102-A-2"},
    )
    assert again.status_code == 201, again.text
    assert again.json()["seal_no"] != seal["seal_no"]


def test_seal_refusals_name_each_item_and_write_nothing(api, custodian):
    gun, ammo = accepted_items(api.custody)
    head = api.head_seq()
    body = {"location_code": "L220102-A-1", "evidence_nos": [gun.evidence_no, ammo.evidence_no]}
    in_chain = api.client.post("/api/v1/seals", headers={**custodian, **witness(api, "ng-clerk")}, json=body)
    assert in_chain.status_code == 409, in_chain.text
    problem = in_chain.json()
    assert problem["key"] == "act.list_refused"
    assert gun.evidence_no in problem["detail"] and ammo.evidence_no in problem["detail"]
    own = api.client.post(
        "/api/v1/seals", headers={**custodian, "X-Witness-Token": custodian["Authorization"][7:]}, json=body
    )
    assert own.status_code == 422, own.text
    bad = api.client.post("/api/v1/seals", headers={**custodian, "X-Witness-Token": "not a token"}, json=body)
    assert bad.status_code == 422 and bad.json()["field"] == "X-Witness-Token"
    assert api.head_seq() == head


def test_custodian_change_over_http(api, custodian):
    username = api.add_user(unique("ng-custodian-"), "220102", Department.PUBLIC_ORDER, Role.CUSTODIAN)
    items = accepted_items(api.custody)
    head = api.head_seq()
    missing = api.client.post("/api/v1/custodian-changes", headers=custodian, json={"unit_code": "220102"})
    assert (missing.status_code, missing.json()["key"]) == (422, "custodian.needs_new_custodian")
    assert api.head_seq() == head
    changed = api.client.post(
        "/api/v1/custodian-changes",
        headers={**custodian, "X-Second-Token": api.token(username)},
        json={"unit_code": "220102"},
    )
    assert changed.status_code == 201, changed.text
    answer = changed.json()
    assert answer["to"] == username and {i.evidence_no for i in items} <= set(answer["items"])
    assert answer["marked_seq"] == api.head_seq()
    # and back, so that the module's other tests find the store with its custodian
    back = api.client.post(
        "/api/v1/custodian-changes",
        headers={**api.login(username), "X-Second-Token": api.token("ng-custodian")},
        json={"unit_code": "220102"},
    )
    assert back.status_code == 201, back.text
