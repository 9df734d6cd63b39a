"""Scope on the API: a case lists only what its reader may see, a receiver or a witness out of scope
answers as a missing one, case numbers are unique per owning unit, a taken username is said only to
administrators (and logged), tokens in query strings are not kept, and the access log's chain verifies."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from api_harness import Harness, problem, station_headers, unique
from sqlalchemy import text

from custody.intake import FirearmIntake


def gun(api: Harness, clerk: str, case_no: str, serial: str) -> str:
    intake = FirearmIntake("手枪", "54式", serial, "7.62mm", True)
    made = api.custody.items.register_firearm(api.custody.users.actor(clerk), case_no, intake)
    return str(made.evidence_no)


def case_path(case_no: str, suffix: str = "") -> str:
    return f"/api/v1/cases/{quote(case_no, safe='')}{suffix}"


def test_a_case_lists_only_the_items_its_reader_may_see(module_api):
    api = module_api
    case_no = unique("S-CASE-")
    api.custody.cases.open(api.custody.users.actor("ng-clerk"), case_no)
    gun(api, "ng-clerk", case_no, unique("KEPT-"))
    moved_serial = unique("MOVED-")
    moved = gun(api, "ng-clerk", case_no, moved_serial)
    api.custody.items.transfer(api.custody.users.actor("ng-clerk"), moved, 1, "220103", "移送")
    key = api.station(unique("s-desk-"), "220102")
    for headers in (api.login("ng-clerk"), station_headers(key)):
        shown = api.client.get(case_path(case_no), headers=headers)
        assert shown.status_code == 200, shown.text
        assert len(shown.json()["items"]) == 1
        assert moved not in shown.text and moved_serial not in shown.text
        problem(api.client.get(f"/api/v1/items/{moved}", headers=headers), 404, "unknown-item")
    city = api.client.get(case_path(case_no), headers=api.login("cc-clerk")).json()
    assert moved in {i["evidence_no"] for i in city["items"]}
    kuancheng = api.login("kc-clerk")
    problem(api.client.get(case_path(case_no), headers=kuancheng), 404, "unknown-case")
    assert api.client.get(f"/api/v1/items/{moved}", headers=kuancheng).status_code == 200


def closed_case_item(api: Harness) -> tuple[str, str]:
    case_no = unique("S-CLOSED-")
    clerk = api.custody.users.actor("ng-clerk")
    api.custody.cases.open(clerk, case_no)
    number = gun(api, "ng-clerk", case_no, unique("H-"))
    api.custody.cases.close(clerk, case_no)
    return case_no, number


def test_a_receiver_out_of_scope_answers_as_a_missing_one(module_api):
    """Named as the receiver of an offer, someone out of scope is answered exactly as nobody at all."""
    api = module_api
    case_no, number = closed_case_item(api)
    clerk = api.login("ng-clerk")
    head = api.head_seq()

    def offer(name: str) -> Any:
        body = {"case_no": case_no, "custodian": name, "evidence_nos": [number]}
        return api.client.post("/api/v1/handovers", headers=clerk, json=body)

    missing = offer("nobody-at-all")
    assert missing.status_code == 409 and missing.json()["key"] == "handover.unknown_receiver"
    for name in ("cc-custodian", "jl-clerk", "admin"):
        named = offer(name)
        assert (named.status_code, named.json()["type"]) == (missing.status_code, missing.json()["type"])
        assert named.json()["detail"].replace(name, "nobody-at-all") == missing.json()["detail"]
    assert api.head_seq() == head


def test_a_witness_out_of_scope_answers_as_a_missing_one(module_api):
    """A witness proved by their own session but outside the actor's scope is an unknown user."""
    api = module_api
    case_no, number = closed_case_item(api)
    clerk = api.custody.users.actor("ng-clerk")
    offered = api.custody.handovers.offer(clerk, case_no, "ng-custodian", [number])
    api.custody.handovers.accept(api.custody.users.actor("ng-custodian"), offered.id)
    custodian = api.login("ng-custodian")
    body = {"version": 3, "changes": {"description": "更正"}, "reason": "笔误"}
    head = api.head_seq()
    for name in ("cc-custodian", "jl-clerk", "admin"):
        headers = {**custodian, "X-Witness-Token": api.token(name)}
        answer = api.client.post(f"/api/v1/items/{number}/correction", headers=headers, json=body)
        refused = problem(answer, 404, "unknown-user")
        assert refused["detail"] == f"unknown witness {name}"
    assert api.head_seq() == head


def test_another_units_case_number_is_no_conflict_and_reads_resolve_within_the_scope(module_api):
    api = module_api
    case_no = unique("S-SAME-")
    api.custody.cases.open(api.custody.users.actor("jl-clerk"), case_no, "吉林市的")
    ng = api.login("ng-clerk")
    problem(api.client.get(case_path(case_no), headers=ng), 404, "unknown-case")
    opened = api.client.post("/api/v1/cases", headers=ng, json={"case_no": case_no, "title": "南关的"})
    assert opened.status_code == 201 and opened.json()["unit_code"] == "220102"
    problem(api.client.post("/api/v1/cases", headers=ng, json={"case_no": case_no}), 409, "already-exists")
    assert api.client.get(case_path(case_no), headers=ng).json()["title"] == "南关的"
    api.custody.cases.open(api.custody.users.actor("kc-clerk"), case_no, "宽城的")
    city = api.login("cc-clerk")
    assert (
        problem(api.client.get(case_path(case_no), headers=city), 422, "invalid-input")["field"]
        == "unit_code"
    )
    chosen = api.client.get(case_path(case_no) + "?unit_code=220103", headers=city)
    assert chosen.json()["title"] == "宽城的"
    body = {"case_no": case_no, "calibre": "9mm", "quantity_rounds": 5}
    lot = api.client.post("/api/v1/items/ammunition?case_unit=220102", headers=city, json=body)
    assert lot.status_code == 201 and lot.json()["unit_code"] == "220102", lot.text
    assert api.client.get(case_path(case_no), headers=api.login("jl-clerk")).json()["title"] == "吉林市的"


def test_a_taken_username_is_said_to_administrators_only_and_logged_with_the_name(module_api):
    api = module_api
    body = {
        "username": "jl-clerk",
        "full_name": "重名",
        "unit_code": "220102",
        "department": "evidence_room",
        "roles": ["clerk"],
        "password": "a long enough password",
    }
    problem(api.client.post("/api/v1/users", headers=api.login("ng-clerk"), json=body), 403, "not-permitted")
    problem(
        api.client.post("/api/v1/users", headers=api.login("admin"), json=body), 409, "username-unavailable"
    )
    logged = api.client.get("/api/v1/access-log?username=admin", headers=api.login("admin")).json()["entries"]
    assert (logged[1]["route"], logged[1]["status"], logged[1]["note"]) == (
        "/api/v1/users",
        409,
        "username-unavailable: jl-clerk",
    )


def test_a_token_in_a_query_string_is_not_kept(module_api):
    api = module_api
    token = api.token("ng-clerk")
    api.client.get(f"/api/v1/units?access_token={token}&q=x", headers={"Authorization": f"Bearer {token}"})
    api.client.get(f"/api/v1/units?{token}", headers={"Authorization": f"Bearer {token}"})
    with api.custody.engine.connect() as conn:
        kept = conn.execute(text("SELECT query FROM access_log ORDER BY seq DESC LIMIT 2")).scalars().all()
    assert kept == ["[redacted]", "access_token=[redacted]&q=x"]
    assert all(token not in q for q in kept)


def test_the_access_logs_chain_is_verified_for_auditors_and_administrators(api):
    auditor = api.login("ng-auditor")
    first = api.client.get("/api/v1/access-log/verification", headers=auditor)
    assert first.status_code == 200 and first.json()["ok"] is True
    head = first.json()["head"]
    again = api.client.get(f"/api/v1/access-log/verification?expect_head={head}", headers=auditor)
    assert again.json()["ok"] is True
    problem(
        api.client.get("/api/v1/access-log/verification", headers=api.login("ng-clerk")), 403, "not-permitted"
    )
    with api.custody.engine.begin() as conn:
        if api.custody.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER access_log_no_update"))
        else:
            conn.execute(text("ALTER TABLE access_log DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE access_log SET status = 200, client = '1.2.3.4' WHERE seq = 2"))
    found = api.client.get("/api/v1/access-log/verification", headers=api.login("admin")).json()
    assert (found["ok"], found["first_bad_seq"]) == (False, 2)
    bad_head = api.client.get("/api/v1/access-log/verification?expect_head=1:xyz", headers=auditor)
    problem(bad_head, 422, "invalid-input")
