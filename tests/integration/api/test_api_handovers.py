"""Handovers over HTTP, on SQLite and PostgreSQL: offered by a clerk, accepted or refused by the named
custodian's own session, read within the caller's scope; a refused list is one problem naming every
item with its reason, and writes nothing."""

from __future__ import annotations

import io
from typing import Any

import pdfplumber
from api_harness import Harness, problem, unique

FIREARM = {
    "firearm_type": "手枪",
    "make_model": "54式",
    "calibre": "7.62mm",
    "fires_standard_ammunition": True,
}


def closed_case(api: Harness, *, checked_out: int = 0, items: int = 2) -> tuple[str, list[str]]:
    """A closed case of Nanguan with ``items`` firearms (the first ``checked_out`` of them at the lab)."""
    clerk = api.custody.users.actor("ng-clerk")
    case_no = unique("H-API-")
    api.custody.cases.open(clerk, case_no)
    numbers = []
    for _ in range(items):
        answer = api.client.post(
            "/api/v1/items/firearms",
            headers=api.login("ng-clerk"),
            json={**FIREARM, "case_no": case_no, "serial_number": unique("S")},
        )
        numbers.append(answer.json()["evidence_no"])
    for number in numbers[:checked_out]:
        api.custody.items.check_out(clerk, number, 1, "lab", "刑侦技术室", "2026-12-31")
    api.custody.cases.close(clerk, case_no)
    return case_no, numbers


def offer_body(case_no: str, numbers: list[str], custodian: str = "ng-custodian") -> dict[str, Any]:
    return {"case_no": case_no, "custodian": custodian, "evidence_nos": numbers}


def test_offer_accept_and_read_back(module_api):
    api = module_api
    case_no, numbers = closed_case(api)
    clerk, custodian = api.login("ng-clerk"), api.login("ng-custodian")
    offered = api.client.post("/api/v1/handovers", headers=clerk, json=offer_body(case_no, numbers))
    assert offered.status_code == 201, offered.text
    body = offered.json()
    assert offered.headers["location"] == f"/api/v1/handovers/{body['id']}"
    assert (body["status"], body["offered_by"], body["custodian"], body["case_no"]) == (
        "offered",
        "ng-clerk",
        "ng-custodian",
        case_no,
    )
    assert sorted(body["evidence_nos"]) == sorted(numbers) and body["decided_at"] is None
    listed = api.client.get("/api/v1/handovers?status=offered", headers=custodian).json()["handovers"]
    assert body["id"] in [h["id"] for h in listed]
    accepted = api.client.post(f"/api/v1/handovers/{body['id']}/accept", headers=custodian)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text
    shown = api.client.get(f"/api/v1/handovers/{body['id']}", headers=api.login("cc-clerk")).json()
    assert shown["status"] == "accepted" and shown["decided_at"] is not None
    for number in numbers:
        assert api.client.get(f"/api/v1/items/{number}", headers=clerk).json()["state"] == "handed_over"
    again = api.client.post(f"/api/v1/handovers/{body['id']}/accept", headers=custodian)
    assert problem(again, 409, "transition-refused")["key"] == "handover.decided"
    problem(
        api.client.get(f"/api/v1/handovers/{body['id']}", headers=api.login("jl-clerk")), 404, "not-found"
    )
    assert api.custody.ledger.verify().ok


def test_refusal_needs_a_reason_and_returns_the_items(module_api):
    api = module_api
    case_no, numbers = closed_case(api)
    offered = api.client.post(
        "/api/v1/handovers", headers=api.login("ng-clerk"), json=offer_body(case_no, numbers)
    )
    path = f"/api/v1/handovers/{offered.json()['id']}/refuse"
    custodian = api.login("ng-custodian")
    head = api.head_seq()
    assert (
        problem(api.client.post(path, headers=custodian, json={"reason": " "}), 422, "invalid-input")["field"]
        == "reason"
    )
    problem(api.client.post(path, headers=custodian, json={}), 422, "invalid-input")
    assert api.head_seq() == head
    refused = api.client.post(path, headers=custodian, json={"reason": "清单与实物不符"})
    assert refused.status_code == 200 and refused.json()["refusal_reason"] == "清单与实物不符"
    for number in numbers:
        assert api.custody.items.item(None, number).state == "registered"


def test_a_refused_list_names_every_item_and_its_reason_and_writes_nothing(module_api):
    api = module_api
    case_no, numbers = closed_case(api, checked_out=2, items=3)
    head = api.head_seq()
    answer = api.client.post(
        "/api/v1/handovers", headers=api.login("ng-clerk"), json=offer_body(case_no, numbers)
    )
    body = problem(answer, 409, "list-refused")
    assert (body["params"]["count"], body["params"]["total"]) == (2, 3)
    assert all(number in body["params"]["reasons"] for number in numbers[:2])
    assert [(r["evidence_no"], r["key"]) for r in body["refusals"]] == [
        (numbers[0], "act.not_from_state"),
        (numbers[1], "act.not_from_state"),
    ]
    assert api.head_seq() == head
    assert api.custody.items.item(None, numbers[2]).state == "registered"


def test_bad_input_answers_422_naming_the_field(module_api):
    api = module_api
    case_no, numbers = closed_case(api, items=1)
    clerk = api.login("ng-clerk")
    head = api.head_seq()
    for evidence_nos, field in (
        ([], "evidence_nos"),
        (["F-NOT-A-NUMBER"], "evidence_nos.0"),
        ([numbers[0], numbers[0].lower()], "evidence_nos"),
    ):
        answer = api.client.post("/api/v1/handovers", headers=clerk, json=offer_body(case_no, evidence_nos))
        assert problem(answer, 422, "invalid-input")["field"] == field, evidence_nos
    for path in ("/api/v1/handovers/0/accept", "/api/v1/handovers/99999999999/accept", "/api/v1/handovers/x"):
        answer = api.client.request(
            "GET" if path.endswith("x") else "POST", path, headers=api.login("ng-custodian")
        )
        problem(answer, 422, "invalid-input")
    assert api.head_seq() == head


def test_the_slip_is_a_pdf_of_the_handover(module_api):
    api = module_api
    case_no, numbers = closed_case(api)
    clerk = api.login("ng-clerk")
    handover_id = api.client.post(
        "/api/v1/handovers", headers=clerk, json=offer_body(case_no, numbers)
    ).json()["id"]
    api.client.post(f"/api/v1/handovers/{handover_id}/accept", headers=api.login("ng-custodian"))
    answer = api.client.get(f"/api/v1/handovers/{handover_id}/slip", headers=clerk)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    with pdfplumber.open(io.BytesIO(answer.content)) as document:
        text = "\n".join(page.extract_text() for page in document.pages)
    assert all(number in text for number in numbers) and "南关治安" in text and "移交清单" in text
    rows = api.client.get(f"/api/v1/handovers/{handover_id}/slip?format=csv", headers=clerk)
    assert rows.status_code == 200 and rows.headers["content-type"].startswith("text/csv")
    listed = [line.split(",")[3] for line in rows.content.decode("utf-8-sig").splitlines()[1:]]
    assert sorted(n for n in listed if n) == sorted(numbers)
    problem(
        api.client.get(f"/api/v1/handovers/{handover_id}/slip", headers=api.login("jl-clerk")),
        404,
        "not-found",
    )
