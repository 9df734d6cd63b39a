"""The disposition queue, review holds and destruction applications over HTTP, on SQLite and
PostgreSQL: Changchun's custodian applies for sealed items of the Nanguan store; a refused application
is a problem document naming each refused item and writes nothing; the applicant withdraws, the
province's destruction officer refuses with a reason; a destruction officer is made only in the
province's public-order department."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import PASSWORD, Harness
from destruction_world import OFFICER, WITNESS, add_people, sealed_items

from custody.numbers import ItemKind


@pytest.fixture
def world(api: Harness) -> Iterator[Harness]:
    add_people(api.custody)
    api.give_passwords(OFFICER, WITNESS)
    yield api


def test_apply_withdraw_and_refuse_over_http(world: Harness):
    city = world.login("cc-custodian")
    first, second = sealed_items(world.custody), sealed_items(world.custody)
    made = world.client.post(
        "/api/v1/destruction-applications",
        headers=city,
        json={"unit_code": "220100", "evidence_nos": first.numbers, "reason": "年度销毁"},
    )
    assert made.status_code == 201, made.text
    application = made.json()
    assert (application["status"], application["applicant"], application["unit_code"]) == (
        "open",
        "cc-custodian",
        "220100",
    )
    assert {i["state"] for i in application["items"]} == {"nominated"}
    listed = world.client.get(
        "/api/v1/destruction-applications?unit=220102", headers=world.login("ng-custodian")
    )
    assert [a["id"] for a in listed.json()["applications"]] == [application["id"]]
    queue = world.client.get("/api/v1/reviews", headers=city).json()["entries"]
    nominated = {e["evidence_no"]: e for e in queue if e["standing"] == "nominated"}
    assert set(nominated) == set(first.numbers)
    assert {e["application_id"] for e in nominated.values()} == {application["id"]}

    withdrawn = world.client.post(
        f"/api/v1/destruction-applications/{application['id']}/withdraw", headers=city, json={}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert {i["state"] for i in withdrawn.json()["items"]} == {"sealed"}

    other = world.client.post(
        "/api/v1/destruction-applications",
        headers=city,
        json={"unit_code": "220100", "evidence_nos": second.numbers},
    ).json()
    officer = world.login(OFFICER)
    head = world.head_seq()
    no_reason = world.client.post(
        f"/api/v1/destruction-applications/{other['id']}/refuse", headers=officer, json={"reason": " "}
    )
    assert no_reason.status_code == 422 and world.head_seq() == head
    refused = world.client.post(
        f"/api/v1/destruction-applications/{other['id']}/refuse",
        headers=officer,
        json={"reason": "样本记录不全"},
    )
    assert refused.status_code == 200, refused.text
    assert (refused.json()["status"], refused.json()["decided_by"], refused.json()["decision_reason"]) == (
        "refused",
        OFFICER,
        "样本记录不全",
    )
    again = world.client.post(
        f"/api/v1/destruction-applications/{other['id']}/refuse", headers=officer, json={"reason": "再次"}
    )
    assert (again.status_code, again.json()["key"]) == (409, "destruction.application_decided")
    assert world.client.get("/api/v1/destruction-applications/99999", headers=officer).status_code == 404


def test_a_refused_application_names_every_refused_item(world: Harness):
    city = world.login("cc-custodian")
    no_samples = sealed_items(world.custody, samples=())
    bullet_only = sealed_items(world.custody, samples=(ItemKind.BULLET_SAMPLE,))
    good = sealed_items(world.custody)
    numbers = [
        no_samples.gun.evidence_no,
        bullet_only.gun.evidence_no,
        good.samples[0].evidence_no,
        good.ammo.evidence_no,
    ]
    head = world.head_seq()
    answer = world.client.post(
        "/api/v1/destruction-applications",
        headers=city,
        json={"unit_code": "220100", "evidence_nos": numbers},
    )
    assert answer.status_code == 409, answer.text
    problem = answer.json()
    assert problem["key"] == "act.list_refused"
    assert {r["evidence_no"]: r["key"] for r in problem["refusals"]} == {
        no_samples.gun.evidence_no: "destruction.samples_missing",
        bullet_only.gun.evidence_no: "destruction.samples_missing",
        good.samples[0].evidence_no: "destruction.is_a_sample",
    }
    assert world.head_seq() == head
    county = world.client.post(
        "/api/v1/destruction-applications",
        headers=world.login("ng-custodian"),
        json={"unit_code": "220102", "evidence_nos": [good.ammo.evidence_no]},
    )
    assert (county.status_code, county.json()["key"]) == (403, "destruction.not_city_level")
    assert world.head_seq() == head


def test_a_review_is_held_over_http(world: Harness):
    lot = sealed_items(world.custody)
    custodian = world.login("ng-custodian")
    held = world.client.post(
        f"/api/v1/items/{lot.ammo.evidence_no}/review-hold",
        headers=custodian,
        json={"version": lot.ammo.version, "reason": "等待法院复函", "until": "2027-06-30"},
    )
    assert held.status_code == 200, held.text
    assert (held.json()["review_due"], held.json()["version"]) == ("2027-06-30", lot.ammo.version + 1)
    shown = world.client.get(f"/api/v1/items/{lot.ammo.evidence_no}", headers=custodian)
    assert shown.json()["review_due"] == "2027-06-30"  # the item's own record says it too
    queue = world.client.get("/api/v1/reviews?within=0", headers=custodian).json()["entries"]
    assert [(e["evidence_no"], e["standing"], e["held_reason"]) for e in queue] == [
        (lot.ammo.evidence_no, "held", "等待法院复函")
    ]
    stale = world.client.post(
        f"/api/v1/items/{lot.ammo.evidence_no}/review-hold",
        headers=custodian,
        json={"version": lot.ammo.version, "reason": "再次", "until": "2027-07-30"},
    )
    assert stale.status_code == 409
    by_a_clerk = world.client.post(
        f"/api/v1/items/{lot.ammo.evidence_no}/review-hold",
        headers=world.login("cc-clerk"),
        json={"version": lot.ammo.version + 1, "reason": "再次", "until": "2027-07-30"},
    )
    assert by_a_clerk.status_code == 403


def test_a_destruction_officer_is_made_only_in_the_provincial_public_order_department(world: Harness):
    admin = world.login("admin")
    body = {"full_name": "销毁", "roles": ["destruction_officer"], "password": PASSWORD}
    for unit, department in (("220102", "public_order"), ("220000", "office")):
        answer = world.client.post(
            "/api/v1/users",
            headers=admin,
            json={**body, "username": f"d-{unit}", "unit_code": unit, "department": department},
        )
        assert (answer.status_code, answer.json()["key"]) == (422, "user.destruction_officer_provincial")
    made = world.client.post(
        "/api/v1/users",
        headers=admin,
        json={**body, "username": "d-prov", "unit_code": "220000", "department": "provincial_public_order"},
    )
    assert made.status_code == 201, made.text


def test_a_seal_made_over_http_gives_its_review_date(world: Harness):
    from seal_world import accepted_items

    gun, ammo = accepted_items(world.custody)
    headers = {**world.login("ng-custodian"), "X-Witness-Token": world.token(WITNESS)}
    body = {"location_code": "L220102-A-1", "evidence_nos": [gun.evidence_no], "review_due": "2026-03-02"}
    head = world.head_seq()
    today = world.client.post("/api/v1/seals", headers=headers, json=body)
    assert (today.status_code, today.json()["key"]) == (422, "review.not_after_today")
    assert world.head_seq() == head
    made = world.client.post("/api/v1/seals", headers=headers, json={**body, "review_due": "2026-10-01"})
    assert made.status_code == 201, made.text
    assert world.custody.items.item(None, gun.evidence_no).review_due == "2026-10-01"
    by_default = world.client.post(
        "/api/v1/seals",
        headers=headers,
        json={"location_code": "L220102-A-1", "evidence_nos": [ammo.evidence_no]},
    )
    assert by_default.status_code == 201, by_default.text
    assert world.custody.items.item(None, ammo.evidence_no).review_due == "2027-03-02"
