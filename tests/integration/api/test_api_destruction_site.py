"""A provincial destruction batch from approval to closing over HTTP, on SQLite and PostgreSQL: the
approver and each witness confirm with their own session token in a header of the request; the site
opens before two witnesses; a station bound to it scans items out through the scan intake; a lot is
counted; unknown codes and miscounts are findings that write nothing to the ledger; photos are kept by
their SHA-256 and read back byte for byte; the batch closes once every item is accounted for. Every
refusal is a problem document and writes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import Harness, problem, station_headers
from destruction_world import OFFICER, WITNESS, add_people, sealed_items

from custody.model import Department, Role

APPROVER = "prov-destruction2"
INSIDE, OUTSIDE = "ng-auditor", "kc-clerk"  # of the owning unit, and of another county
JPEG = b"\xff\xd8\xff\xe0" + bytes(512)


@pytest.fixture
def world(api: Harness) -> Iterator[Harness]:
    add_people(api.custody)
    api.add_user(APPROVER, "220000", Department.PROVINCIAL_PUBLIC_ORDER, Role.DESTRUCTION_OFFICER)
    api.give_passwords(OFFICER, WITNESS)
    yield api


def unchanged(world: Harness, answer: Any, status: int, code: str, head: int) -> dict[str, Any]:
    found = problem(answer, status, code)
    assert world.head_seq() == head, "a refusal wrote to the ledger"
    return found


def test_a_batch_from_approval_to_closing_over_http(world: Harness):
    custody, client = world.custody, world.client
    city = custody.users.actor("cc-custodian")
    sealed = sealed_items(custody)
    gun, ammo = sealed.numbers
    application = custody.applications.apply(city, "220100", sealed.numbers).id
    officer = world.login(OFFICER)
    made = client.post(
        "/api/v1/destruction-batches",
        headers=officer,
        json={"method": "smelting", "place": "长春钢厂", "date": "2026-04-15", "applications": [application]},
    )
    assert made.status_code == 201, made.text
    batch = made.json()["id"]
    base = f"/api/v1/destruction-batches/{batch}"

    head = world.head_seq()
    unchanged(world, client.post(f"{base}/approve", headers=officer), 422, "invalid-input", head)
    own = {"X-Second-Token": world.token(OFFICER)}  # the builder's own session is no second person
    unchanged(
        world,
        client.post(f"{base}/approve", headers={**officer, **own}),
        422,
        "second-person-not-confirmed",
        head,
    )
    builder_approves = client.post(
        f"{base}/approve", headers={**world.login(APPROVER), "X-Second-Token": world.token(OFFICER)}
    )
    refusals = unchanged(world, builder_approves, 409, "list-refused", head)["refusals"]
    assert {r["key"] for r in refusals} == {"batch.builder_approves"}
    approved = client.post(f"{base}/approve", headers={**officer, "X-Second-Token": world.token(APPROVER)})
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == APPROVER
    assert {i["state"] for i in approved.json()["items"]} == {"approved"}

    # witnesses: each with their own session; the seal's witness took part in the custody
    head = world.head_seq()
    unchanged(world, client.post(f"{base}/witnesses", headers=officer), 422, "invalid-input", head)
    in_chain = client.post(f"{base}/witnesses", headers={**officer, "X-Witness-Token": world.token(WITNESS)})
    assert problem(in_chain, 409, "transition-refused")["key"] == "batch.witness_in_chain"
    site_body = {"method": "smelting", "place": "长春钢厂熔炉", "station": "prov-furnace"}
    early = client.post(f"{base}/site", headers=officer, json=site_body)
    assert problem(early, 409, "transition-refused")["key"] == "batch.two_witnesses"
    for person in (INSIDE, OUTSIDE):
        witnessed = client.post(
            f"{base}/witnesses", headers={**officer, "X-Witness-Token": world.token(person)}
        )
        assert witnessed.status_code == 200, witnessed.text
    assert {w["username"] for w in witnessed.json()["witnesses"]} == {INSIDE, OUTSIDE}
    unknown_station = client.post(f"{base}/site", headers=officer, json=site_body)
    assert problem(unknown_station, 404, "unknown-station")["key"] == "station.unknown"
    key = world.station("prov-furnace", "220000", "gun-1")
    opened = client.post(f"{base}/site", headers=officer, json=site_body)
    assert opened.status_code == 200, opened.text
    assert (opened.json()["status"], opened.json()["station"]) == ("site", "prov-furnace")

    # photos: kept by their SHA-256, read back byte for byte; anything else refused
    photo_path = f"{base}/photos?evidence_no={gun}&stage=before"
    jpeg = {**officer, "Content-Type": "image/jpeg"}
    kept = client.post(photo_path, headers=jpeg, content=JPEG)
    assert kept.status_code == 201, kept.text
    sha = hashlib.sha256(JPEG).hexdigest()
    assert (kept.json()["sha256"], kept.json()["media_type"]) == (sha, "image/jpeg")
    read_back = client.get(f"{base}/photos/{sha}", headers=world.login("ng-custodian"))
    assert (read_back.status_code, read_back.content) == (200, JPEG)
    assert read_back.headers["content-type"] == "image/jpeg"
    head = world.head_seq()
    unchanged(
        world, client.post(photo_path, headers=jpeg, content=b"GIF89a" + bytes(9)), 422, "invalid-input", head
    )
    too_large = client.post(photo_path, headers=jpeg, content=JPEG + bytes(10 * 1024 * 1024))
    unchanged(world, too_large, 413, "content-too-large", head)
    unchanged(world, client.get(f"{base}/photos/{'0' * 64}", headers=officer), 404, "not-found", head)

    # the station scans out: an unknown code and an uncounted lot are findings
    station = station_headers(key, "gun-1")
    scans = [("NO SUCH CODE", "unknown"), (ammo, "uncounted"), (gun, "destroyed"), (gun, "repeat")]
    for number, (code, outcome) in enumerate(scans):
        scanned = client.post(
            "/api/v1/scans",
            headers=station,
            json={"device": "gun-1", "idempotency_key": f"site-{number}", "code": code},
        )
        assert scanned.status_code == (201 if outcome == "destroyed" else 200), scanned.text
        assert (scanned.json()["site_read"], scanned.json()["batch_id"]) == (outcome, batch)
    rounds = custody.items.item(None, ammo).quantity_rounds
    assert rounds is not None
    head = world.head_seq()
    miscount = client.post(
        f"{base}/counts", headers=officer, json={"evidence_no": ammo, "rounds": rounds - 1}
    )
    assert miscount.status_code == 200 and miscount.json()["status"] == "rounds_differ"
    assert miscount.json()["finding"] is True and world.head_seq() == head
    for bad in (
        {"evidence_no": ammo, "rounds": -1},
        {"evidence_no": ammo, "rounds": "50"},
        {"evidence_no": "x"},
    ):
        unchanged(world, client.post(f"{base}/counts", headers=officer, json=bad), 422, "invalid-input", head)
    unchanged(
        world, client.post(f"{base}/close", headers=officer), 409, "transition-refused", head
    )  # the lot is not accounted for
    destroyed = client.post(f"{base}/site/reads", headers=officer, json={"code": ammo, "rounds": rounds})
    assert destroyed.status_code == 200 and destroyed.json()["status"] == "destroyed", destroyed.text

    findings = client.get(f"{base}/site/reads?show=findings", headers=world.login("ng-custodian"))
    assert findings.status_code == 200, findings.text
    assert [(r["status"], r["station"]) for r in findings.json()["reads"]] == [
        ("unknown", "prov-furnace"),
        ("uncounted", "prov-furnace"),
        ("rounds_differ", ""),
    ]
    after = client.post(f"{base}/photos?evidence_no={gun}&stage=after", headers=jpeg, content=JPEG + b"after")
    assert after.status_code == 201, after.text
    listed = client.get(f"{base}/photos", headers=officer).json()
    assert [(p["evidence_no"], p["stage"]) for p in listed] == [(gun, "before"), (gun, "after")]

    closed = client.post(f"{base}/close", headers=officer)
    assert closed.status_code == 200, closed.text
    ledger_head = custody.ledger.head()
    assert (closed.json()["status"], closed.json()["closed_seq"], closed.json()["closed_hash"]) == (
        "closed",
        ledger_head.seq,
        ledger_head.hash,
    )
    # out of scope is missing: Jilin City's custodian does not see the batch
    jilin = world.add_user("jl-custodian", "220200", Department.PUBLIC_ORDER, Role.CUSTODIAN)
    assert client.get(f"{base}/site", headers=world.login(jilin)).status_code == 404
    assert client.get(f"{base}/photos/{sha}", headers=world.login(jilin)).status_code == 404
    # the station is a sighting station again
    again = client.post(
        "/api/v1/scans",
        headers=station,
        json={"device": "gun-1", "idempotency_key": "site-after", "code": gun},
    )
    assert again.status_code == 201 and "site_read" not in again.json()
    assert again.json()["evidence_no"] == gun  # a sighting of the destroyed firearm
