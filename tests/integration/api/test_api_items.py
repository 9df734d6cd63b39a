"""Cases, items and their acts over HTTP, scoped to unit, on SQLite and PostgreSQL.

The tests share one database per back end; each works on a case of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from api_harness import START, Harness, problem, station_headers, unique

from custody.model import Department, Role
from custody.numbers import EvidenceNumber, ItemKind

FIREARM = {
    "firearm_type": "手枪",
    "make_model": "54式",
    "serial_number": "5401123",
    "calibre": "7.62mm",
    "fires_standard_ammunition": True,
    "source": {"route": "境外走私", "seller": "王某"},
}


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


@pytest.fixture
def clerk(api: Harness) -> dict[str, str]:
    return api.login("ng-clerk")


@pytest.fixture
def case(api: Harness, clerk: dict[str, str]) -> str:
    number = unique("长南公刑字〔2026〕") + "号"
    answer = api.client.post(
        "/api/v1/cases", headers=clerk, json={"case_no": number, "title": "非法持有枪支案"}
    )
    assert answer.status_code == 201, answer.text
    return number


def register(api: Harness, headers: dict[str, str], case_no: str, **fields: Any) -> dict[str, Any]:
    answer = api.client.post(
        "/api/v1/items/firearms", headers=headers, json={**FIREARM, "case_no": case_no, **fields}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_registering_a_firearm_answers_its_evidence_number_and_location(api, clerk, case):
    answer = api.client.post("/api/v1/items/firearms", headers=clerk, json={**FIREARM, "case_no": case})
    assert answer.status_code == 201
    item = answer.json()
    number = EvidenceNumber.parse(item["evidence_no"])
    assert (number.region_code, number.year) == ("220102", 2026)
    assert answer.headers["location"] == f"/api/v1/items/{item['evidence_no']}"
    assert (item["state"], item["version"], item["case_no"]) == ("registered", 1, case)
    assert item["source"] == {
        "maker": None,
        "workshop": None,
        "route": "境外走私",
        "seller": "王某",
        "notes": None,
    }


def test_an_item_shows_its_history_with_the_acting_user(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    out = api.client.post(
        f"/api/v1/items/{number}/checkout",
        headers=clerk,
        json={"version": 1, "purpose": "lab", "to": "刑侦技术室", "due_date": "2026-03-10"},
    )
    assert out.status_code == 200 and out.json()["checkout"] == {
        "purpose": "lab",
        "to": "刑侦技术室",
        "due_date": "2026-03-10",
    }
    shown = api.client.get(f"/api/v1/items/{number.lower()}", headers=clerk).json()
    assert [e["event_type"] for e in shown["history"]] == ["registered", "checked_out"]
    assert {e["actor"] for e in shown["history"]} == {"ng-clerk"}
    assert shown["history"][1]["item_version"] == 2 and len(shown["history"][1]["hash"]) == 64


def test_ammunition_is_counted_and_consumed_through_recorded_acts(api, clerk, case):
    lot = api.client.post(
        "/api/v1/items/ammunition",
        headers=clerk,
        json={"case_no": case, "calibre": "7.62mm", "quantity_rounds": 50, "headstamp_lot": "71-83"},
    ).json()
    number = lot["evidence_no"]
    counted = api.client.post(
        f"/api/v1/items/{number}/count", headers=clerk, json={"version": 1, "quantity": 48, "reason": "清点"}
    ).json()
    investigator = api.login("ng-investigator")
    used = api.client.post(
        f"/api/v1/items/{number}/consumption",
        headers=investigator,
        json={"version": counted["version"], "rounds": 8, "reason": "试射"},
    )
    assert used.status_code == 200 and used.json()["quantity_rounds"] == 40
    too_many = api.client.post(
        f"/api/v1/items/{number}/consumption",
        headers=investigator,
        json={"version": used.json()["version"], "rounds": 41, "reason": "试射"},
    )
    problem(too_many, 409, "transition-refused")


def test_a_stale_version_is_a_conflict_and_changes_nothing(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    api.client.post(
        f"/api/v1/items/{number}/transfer", headers=clerk, json={"version": 1, "to_unit": "220100"}
    )
    head = api.head_seq()
    stale = api.client.post(
        f"/api/v1/items/{number}/transfer",
        headers=api.login("cc-clerk"),
        json={"version": 1, "to_unit": "220200"},
    )
    body = problem(stale, 409, "conflict")
    assert "version 1, now 2" in body["detail"]
    assert api.head_seq() == head


def test_an_act_not_allowed_from_the_current_state_is_refused(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    answer = api.client.post(f"/api/v1/items/{number}/return", headers=clerk, json={"version": 1})
    problem(answer, 409, "illegal-transition")


def test_handover_needs_a_closed_case_and_the_same_level_custodian(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    handover = {"case_no": case, "custodian": "ng-custodian", "evidence_nos": [number]}
    open_case = problem(
        api.client.post("/api/v1/handovers", headers=clerk, json=handover), 409, "list-refused"
    )
    assert [r["key"] for r in open_case["refusals"]] == ["handover.case_not_concluded"]
    assert api.client.post(f"/api/v1/cases/{quote(case)}/close", headers=clerk).json()["status"] == "closed"
    out_of_scope = {**handover, "custodian": "cc-custodian"}
    problem(api.client.post("/api/v1/handovers", headers=clerk, json=out_of_scope), 409, "transition-refused")
    not_a_custodian = {**handover, "custodian": "ng-clerk2"}
    refused = problem(
        api.client.post("/api/v1/handovers", headers=clerk, json=not_a_custodian), 409, "list-refused"
    )
    assert refused["refusals"][0]["type"] == "/problems/transition-refused"
    offered = api.client.post("/api/v1/handovers", headers=clerk, json=handover)
    assert offered.status_code == 201, offered.text
    accepted = api.client.post(
        f"/api/v1/handovers/{offered.json()['id']}/accept", headers=api.login("ng-custodian")
    )
    assert accepted.status_code == 200, accepted.text
    shown = api.client.get(f"/api/v1/items/{number}", headers=clerk).json()
    assert shown["state"] == "handed_over"


def test_a_handover_is_accepted_by_the_named_custodian_with_their_own_session(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    assert api.client.post(f"/api/v1/cases/{quote(case)}/close", headers=clerk).json()["status"] == "closed"
    body = {"case_no": case, "custodian": "ng-custodian", "evidence_nos": [number]}
    handover_id = api.client.post("/api/v1/handovers", headers=clerk, json=body).json()["id"]
    path = f"/api/v1/handovers/{handover_id}/accept"
    head = api.head_seq()
    problem(api.client.post(path, headers=clerk), 403, "not-permitted")  # the offering clerk
    other = api.add_user(unique("ng-cust-"), "220102", Department.PUBLIC_ORDER, Role.CUSTODIAN)
    refused = problem(api.client.post(path, headers=api.login(other)), 409, "list-refused")
    assert refused["refusals"][0]["key"] == "handover.not_the_named_custodian"
    assert api.head_seq() == head
    done = api.client.post(path, headers=api.login("ng-custodian"))
    assert done.status_code == 200, done.text
    last = api.client.get(f"/api/v1/items/{number}", headers=clerk).json()["history"][-1]
    assert (last["event_type"], last["actor"]) == ("handover_accepted", "ng-custodian")


def test_a_correction_in_the_store_takes_the_witnesss_own_session(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    assert api.client.post(f"/api/v1/cases/{quote(case)}/close", headers=clerk).json()["status"] == "closed"
    body = {"case_no": case, "custodian": "ng-custodian", "evidence_nos": [number]}
    handover_id = api.client.post("/api/v1/handovers", headers=clerk, json=body).json()["id"]
    custodian = api.login("ng-custodian")
    assert api.client.post(f"/api/v1/handovers/{handover_id}/accept", headers=custodian).status_code == 200
    path = f"/api/v1/items/{number}/correction"
    correction = {"version": 3, "changes": {"serial_number": "5401128"}, "reason": "登记时抄错编号"}
    head = api.head_seq()
    unwitnessed = problem(
        api.client.post(path, headers=custodian, json=correction), 409, "transition-refused"
    )
    assert unwitnessed["key"] == "correction.needs_witness"
    problem(
        api.client.post(path, headers=clerk, json=correction), 403, "not-permitted"
    )  # the clerk's no more
    bad_token = {**custodian, "X-Witness-Token": "not a session"}
    refused = problem(
        api.client.post(path, headers=bad_token, json=correction), 422, "second-person-not-confirmed"
    )
    assert refused["field"] == "X-Witness-Token"
    own = {**custodian, "X-Witness-Token": custodian["Authorization"].removeprefix("Bearer ")}
    problem(api.client.post(path, headers=own, json=correction), 422, "second-person-not-confirmed")
    assert api.head_seq() == head
    witnessed = {**custodian, "X-Witness-Token": api.token("ng-clerk2")}
    done = api.client.post(path, headers=witnessed, json=correction)
    assert done.status_code == 200, done.text
    last = api.client.get(f"/api/v1/items/{number}", headers=clerk).json()["history"][-1]
    assert (last["event_type"], last["witness"]) == ("corrected", "ng-clerk2")
    assert "password" not in json.dumps(last) and "token" not in json.dumps(last)


def test_a_correction_is_a_new_record_and_the_old_one_stays(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    registered = api.client.get(f"/api/v1/items/{number}", headers=clerk).json()["history"][0]["seq"]
    corrected = api.client.post(
        f"/api/v1/items/{number}/correction",
        headers=clerk,
        json={
            "version": 1,
            "changes": {"serial_number": "5401124"},
            "reason": "笔误",
            "corrects_seq": registered,
        },
    )
    assert corrected.json()["serial_number"] == "5401124"
    history = api.client.get(f"/api/v1/items/{number}", headers=clerk).json()["history"]
    assert history[0]["payload"]["serial_number"] == "5401123"
    assert history[1]["payload"]["previous"] == {"serial_number": "5401123"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fires_standard_ammunition": "yes"}, "fires_standard_ammunition"),
        ({"calibre": ""}, "calibre"),
        ({"source": {"route": "x" * 201}}, "source.route"),
        ({"colour": "black"}, "colour"),
        ({"case_no": None}, "case_no"),
    ],
)
def test_invalid_registration_names_the_field_and_writes_nothing(api, clerk, case, change, field):
    head = api.head_seq()
    answer = api.client.post(
        "/api/v1/items/firearms", headers=clerk, json={**FIREARM, "case_no": case, **change}
    )
    body = problem(answer, 422, "invalid-input")
    assert body["field"] == field and body["errors"][0]["field"] == field
    assert api.head_seq() == head


def test_the_core_refusing_a_blank_field_names_it_too(api, clerk, case):
    answer = api.client.post(
        "/api/v1/items/firearms", headers=clerk, json={**FIREARM, "case_no": case, "serial_number": "   "}
    )
    assert problem(answer, 422, "invalid-input")["field"] == "serial_number"


def test_a_mistyped_evidence_number_says_what_is_wrong(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    swapped = number[:-2] + number[-1] + number[-2]
    body = problem(api.client.get(f"/api/v1/items/{swapped}", headers=clerk), 422, "invalid-evidence-number")
    assert body["field"] == "evidence_no" and "check digits" in body["detail"]


def test_an_item_out_of_scope_answers_exactly_like_a_missing_one(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    parsed = EvidenceNumber.parse(number)
    missing = str(EvidenceNumber(parsed.kind, parsed.region_code, parsed.year, 999_999))
    outsider = api.login("jl-clerk")
    hidden = api.client.get(f"/api/v1/items/{number}", headers=outsider)
    absent = api.client.get(f"/api/v1/items/{missing}", headers=outsider)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.headers == absent.headers
    assert hidden.text == absent.text.replace(missing, number)
    act = api.client.post(
        f"/api/v1/items/{number}/transfer", headers=outsider, json={"version": 1, "to_unit": "220200"}
    )
    problem(act, 404, "unknown-item")


def test_the_city_and_the_province_see_a_countys_items(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    for viewer in ("cc-clerk", "prov-clerk"):
        assert api.client.get(f"/api/v1/items/{number}", headers=api.login(viewer)).status_code == 200
    assert api.client.get(f"/api/v1/items/{number}", headers=api.login("kc-clerk")).status_code == 404


def test_a_station_reads_items_of_its_unit_only(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    mine = api.station(unique("ng-desk-"), "220102")
    other = api.station(unique("jl-desk-"), "220200")
    assert api.client.get(f"/api/v1/items/{number}", headers=station_headers(mine)).status_code == 200
    problem(api.client.get(f"/api/v1/items/{number}", headers=station_headers(other)), 404, "unknown-item")


def test_search_finds_items_by_source_and_flow_fields(api, clerk, case):
    register(api, clerk, case, serial_number="A1", source={"workshop": "地下作坊", "seller": "张某"})
    register(api, clerk, case, serial_number="A2", source={"route": "境外走私"})
    register(api, clerk, case, serial_number="A3", source={"maker": "国营工厂"})

    def serials(query: str) -> list[str]:
        answer = api.client.get(f"/api/v1/items?case_no={quote(case)}&{query}", headers=clerk)
        assert answer.status_code == 200, answer.text
        return [i["serial_number"] for i in answer.json()["items"]]

    assert serials(f"source_workshop={quote('作坊')}") == ["A1"]
    assert serials(f"source_route={quote('走私')}") == ["A2"]
    assert serials(f"q={quote('国营')}") == ["A3"]
    assert serials(f"q={quote('张')}&kind=F") == ["A1"]
    assert serials("q=a") == ["A3", "A2", "A1"]  # newest first; case-insensitive
    assert serials(f"q={quote('%')}") == []  # wildcards are taken literally
    assert serials("registered_from=2026-03-02&registered_to=2026-03-02") == ["A3", "A2", "A1"]
    assert serials("registered_from=2026-03-03") == []


def test_search_pages_through_every_item_once_with_a_cursor(api, clerk, case):
    made = [register(api, clerk, case, serial_number=f"P{i}")["evidence_no"] for i in range(7)]
    seen: list[str] = []
    cursor = ""
    while True:
        page = api.client.get(
            f"/api/v1/items?case_no={quote(case)}&limit=3&cursor={cursor}", headers=clerk
        ).json()
        seen += [i["evidence_no"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert seen == made[::-1]


def test_search_refuses_an_unknown_field_or_a_forged_cursor(api, clerk):
    assert (
        problem(api.client.get("/api/v1/items?colour=red", headers=clerk), 422, "invalid-input")["field"]
        == "colour"
    )
    forged = api.client.get("/api/v1/items?cursor=bm90LWEtY3Vyc29y", headers=clerk)
    assert problem(forged, 422, "invalid-input")["field"] == "cursor"
    assert (
        problem(api.client.get("/api/v1/items?limit=0", headers=clerk), 422, "invalid-input")["field"]
        == "limit"
    )


def test_search_never_shows_items_out_of_scope(api, clerk, case):
    register(api, clerk, case, serial_number="NG")
    answer = api.client.get("/api/v1/items?unit_code=220102", headers=api.login("jl-clerk"))
    assert answer.status_code == 200 and answer.json() == {"items": [], "next_cursor": None}
    problem(api.client.get("/api/v1/items?unit_code=999999", headers=clerk), 404, "unknown-unit")


def test_overdue_lists_the_callers_scope_only(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    api.client.post(
        f"/api/v1/items/{number}/checkout",
        headers=clerk,
        json={"version": 1, "purpose": "court", "to": "南关区法院", "due_date": "2026-03-05"},
    )
    api.clock.advance(5 * 86400)
    overdue = api.client.get("/api/v1/checkouts/overdue", headers=api.login("cc-clerk")).json()
    assert number in [o["evidence_no"] for o in overdue]
    elsewhere = api.client.get("/api/v1/checkouts/overdue", headers=api.login("jl-clerk")).json()
    assert {o["unit_code"] for o in elsewhere} <= {"220200"}


def test_cases_open_close_and_judge_and_list_in_scope(api, clerk, case):
    investigator = api.login("ng-investigator")
    other = unique("长南公刑字〔2026〕") + "号/附"  # a case number with a slash travels percent-encoded
    opened = api.client.post("/api/v1/cases", headers=investigator, json={"case_no": other})
    assert opened.status_code == 201 and opened.json()["unit_code"] == "220102"
    judged = api.client.post(
        f"/api/v1/cases/{quote(other, safe='')}/judgment",
        headers=investigator,
        json={"judgment_no": "(2026)吉0102刑初12号", "judgment_date": "2026-02-20"},
    )
    assert judged.json()["status"] == "judged" and judged.json()["judgment_date"] == "2026-02-20"
    listed = api.client.get(f"/api/v1/cases?status=judged&q={quote(other)}", headers=clerk).json()["cases"]
    assert [c["case_no"] for c in listed] == [other]
    elsewhere = api.client.get("/api/v1/cases?limit=200", headers=api.login("jl-clerk")).json()["cases"]
    assert {c["unit_code"] for c in elsewhere} <= {"220200"}
    shown = api.client.get(f"/api/v1/cases/{quote(case)}", headers=clerk).json()
    assert shown["status"] == "open" and shown["items"] == []


def test_a_case_cannot_be_opened_for_a_unit_out_of_scope(api, clerk):
    answer = api.client.post(
        "/api/v1/cases", headers=clerk, json={"case_no": unique("X-"), "unit_code": "220200"}
    )
    problem(answer, 403, "not-permitted")


def test_a_role_not_admitted_is_refused_before_anything_is_looked_up(api, clerk, case):
    number = register(api, clerk, case)["evidence_no"]
    custodian = api.login("ng-custodian")
    refused = api.client.post(
        f"/api/v1/items/{number}/transfer", headers=custodian, json={"version": 1, "to_unit": "220100"}
    )
    missing = api.client.post(
        f"/api/v1/items/{EvidenceNumber(ItemKind.FIREARM, '220102', 2099, 1)}/transfer",
        headers=custodian,
        json={"version": 1, "to_unit": "220100"},
    )
    assert (
        problem(refused, 403, "not-permitted")["detail"] == problem(missing, 403, "not-permitted")["detail"]
    )


def test_the_ledger_head_and_verification(api, clerk, case):
    before = api.head_seq()
    register(api, clerk, case)
    head = api.client.get("/api/v1/ledger/head", headers=clerk).json()
    assert head["seq"] == before + 1 and head["head"] == f"{head['seq']}:{head['hash']}"
    auditor = api.login("ng-auditor")
    verified = api.client.get(
        f"/api/v1/ledger/verification?expect_head={head['head']}", headers=auditor
    ).json()
    assert verified["ok"] is True and verified["events"] >= head["seq"]
    beyond = api.client.get(f"/api/v1/ledger/verification?expect_head={10**9}:{'0' * 64}", headers=auditor)
    assert beyond.json()["ok"] is False and beyond.json()["first_bad_seq"] > head["seq"]
    bad = api.client.get("/api/v1/ledger/verification?expect_head=nonsense", headers=auditor)
    assert problem(bad, 422, "invalid-input")["field"] == "expect_head"
