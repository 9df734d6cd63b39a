"""Test-fires with ballistic samples and lot splits over HTTP, on SQLite and PostgreSQL: the answers
carry the new items; refusals are problem documents with message keys and write nothing; an item out
of scope answers 404; a retry under the same Idempotency-Key makes no second sample."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Harness, unique
from seal_world import assert_ledger_sound

from custody.intake import AmmunitionIntake, FirearmIntake
from custody.numbers import EvidenceNumber


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    yield module_api


def new_case(api: Harness) -> str:
    case_no = unique("长南公刑字-S-")
    api.custody.cases.open(api.custody.users.actor("ng-clerk"), case_no, "非法持有枪支案")
    return case_no


def firearm_at_the_lab(api: Harness, case_no: str) -> str:
    clerk = api.custody.users.actor("ng-clerk")
    intake = FirearmIntake("手枪", "54式", unique("54-"), "7.62mm", True)
    number = api.custody.items.register_firearm(clerk, case_no, intake).evidence_no
    api.custody.items.check_out(clerk, number, 1, "lab", "技术室", "2026-12-31")
    return number


def lot(api: Harness, case_no: str, rounds: int = 50) -> str:
    clerk = api.custody.users.actor("ng-clerk")
    return api.custody.items.register_ammunition(
        clerk, case_no, AmmunitionIntake("7.62mm", rounds)
    ).evidence_no


def test_a_test_fire_over_http_answers_the_samples_and_the_lot(api):
    case_no = new_case(api)
    gun, ammo = firearm_at_the_lab(api, case_no), lot(api, case_no)
    body = {
        "lab": "刑科所",
        "examiner": "王检验师",
        "date": "2026-03-01",
        "ammunition_lot": ammo,
        "rounds": 2,
        "bullets": 1,
        "cases": 1,
    }
    headers = {**api.login("ng-investigator"), "Idempotency-Key": unique("fire-")}
    done = api.client.post(f"/api/v1/items/{gun}/test-fires", headers=headers, json=body)
    assert done.status_code == 201, done.text
    answer = done.json()
    assert [s["kind"] for s in answer["samples"]] == ["B", "C"]
    assert {s["state"] for s in answer["samples"]} == {"registered"}
    assert (answer["firearm"]["evidence_no"], answer["firearm"]["state"]) == (gun, "checked_out")
    assert (answer["lot"]["evidence_no"], answer["lot"]["quantity_rounds"]) == (ammo, 48)
    for made in answer["samples"]:
        EvidenceNumber.parse(made["evidence_no"])
        shown = api.client.get(f"/api/v1/items/{made['evidence_no']}", headers=api.login("ng-clerk"))
        assert shown.json()["case_no"] == case_no
        assert shown.json()["history"][0]["payload"]["firearm"] == gun
        assert shown.json()["sample_of"] == gun
    firearm = api.client.get(f"/api/v1/items/{gun}", headers=api.login("ng-clerk")).json()
    assert (firearm["sample_of"], firearm["review_due"]) == (None, None)  # not a sample; not sealed
    head = api.head_seq()
    again = api.client.post(f"/api/v1/items/{gun}/test-fires", headers=headers, json=body)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == answer and api.head_seq() == head
    assert_ledger_sound(api.custody)


@pytest.mark.parametrize(
    ("user", "body", "status", "key"),
    [
        ("ng-investigator", {"lab_stock": "库存"}, 422, "sample.none"),
        ("ng-investigator", {"bullets": 1}, 422, "sample.ammunition_source"),
        (
            "ng-investigator",
            {"bullets": 1, "rounds": 51, "lab_stock": None, "ammunition_lot": "LOT"},
            409,
            "consume.not_enough_rounds",
        ),
        ("ng-clerk", {"bullets": 1, "lab_stock": "库存"}, 403, None),
        ("jl-clerk", {"bullets": 1, "lab_stock": "库存"}, 403, None),
    ],
)
def test_test_fire_refusals_are_problems_and_write_nothing(api, user, body, status, key):
    case_no = new_case(api)
    gun, ammo = firearm_at_the_lab(api, case_no), lot(api, case_no)
    sent = {"lab": "刑科所", "examiner": "王", **body}
    if sent.get("ammunition_lot") == "LOT":
        sent["ammunition_lot"] = ammo
    sent = {k: v for k, v in sent.items() if v is not None}
    head = api.head_seq()
    refused = api.client.post(f"/api/v1/items/{gun}/test-fires", headers=api.login(user), json=sent)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    if key is not None:
        assert refused.json()["key"] == key, refused.text
    assert api.head_seq() == head


def test_a_firearm_not_at_the_lab_or_out_of_scope_is_refused(api):
    case_no = new_case(api)
    clerk = api.custody.users.actor("ng-clerk")
    intake = FirearmIntake("手枪", "54式", unique("54-"), "7.62mm", True)
    gun = api.custody.items.register_firearm(clerk, case_no, intake).evidence_no
    body = {"lab": "刑科所", "examiner": "王", "lab_stock": "库存", "bullets": 1}
    investigator = api.login("ng-investigator")
    head = api.head_seq()
    kept = api.client.post(f"/api/v1/items/{gun}/test-fires", headers=investigator, json=body)
    assert (kept.status_code, kept.json()["key"]) == (409, "act.not_from_state")
    assert api.head_seq() == head
    api.custody.items.check_out(clerk, gun, 1, "court", "法院", "2026-12-31")
    head = api.head_seq()
    court = api.client.post(f"/api/v1/items/{gun}/test-fires", headers=investigator, json=body)
    assert (court.status_code, court.json()["key"]) == (409, "sample.not_at_the_lab")
    assert api.head_seq() == head
    jl_clerk = api.custody.users.actor("jl-clerk")
    other_case = unique("吉林-S-")
    api.custody.cases.open(jl_clerk, other_case)
    other = api.custody.items.register_firearm(jl_clerk, other_case, intake).evidence_no
    api.custody.items.check_out(jl_clerk, other, 1, "lab", "技术室", "2026-12-31")
    head = api.head_seq()
    out = api.client.post(f"/api/v1/items/{other}/test-fires", headers=investigator, json=body)
    assert (out.status_code, out.json()["key"]) == (404, "item.unknown")
    assert api.head_seq() == head


def test_a_split_over_http_answers_both_lots(api):
    case_no = new_case(api)
    ammo = lot(api, case_no, 30)
    clerk = api.login("ng-clerk")
    done = api.client.post(f"/api/v1/items/{ammo}/split", headers=clerk, json={"rounds": 12})
    assert done.status_code == 201, done.text
    answer = done.json()
    assert (answer["original"]["quantity_rounds"], answer["split_off"]["quantity_rounds"]) == (18, 12)
    head = api.head_seq()
    for rounds, status in ((18, 409), (0, 422)):
        refused = api.client.post(f"/api/v1/items/{ammo}/split", headers=clerk, json={"rounds": rounds})
        assert refused.status_code == status, refused.text
    out = api.client.post(f"/api/v1/items/{ammo}/split", headers=api.login("jl-clerk"), json={"rounds": 1})
    assert (out.status_code, out.json()["key"]) == (404, "item.unknown")
    assert api.head_seq() == head
    assert_ledger_sound(api.custody)
