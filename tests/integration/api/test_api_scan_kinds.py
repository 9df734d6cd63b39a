"""Scan intake over HTTP beyond evidence numbers: a tag's tamper status, seal numbers, location codes,
and the station's configured location."""

from __future__ import annotations

from api_harness import Harness, problem, station_headers
from storage_rows import place, seal

from custody.codes import SealNumber
from custody.intake import FirearmIntake

CASE = "长南公刑字〔2026〕078号"
UID = "04C0FFEE000001"


def gun(api: Harness) -> str:
    clerk = api.custody.users.actor("ng-clerk")
    api.custody.cases.open(clerk, CASE)
    return str(
        api.custody.items.register_firearm(
            clerk, CASE, FirearmIntake("手枪", "54式", "1", "7.62mm", True)
        ).evidence_no
    )


def tag_read(text: str, key: str = "t-1", **more) -> dict:
    return {"device": "reader-1", "idempotency_key": key, "uid": UID, "text": text, **more}


def test_an_open_tamper_loop_is_recorded_and_answered(api: Harness):
    number = gun(api)
    headers = station_headers(api.station("ng-desk", "220102", "reader-1"), "reader-1")
    answer = api.client.post("/api/v1/scans", json=tag_read(number, tamper="open"), headers=headers)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["evidence_no"], body["tamper"]) == (number, "open")
    assert [w["key"] for w in body["warnings"]] == ["scan.tamper_open"]
    sighting = api.custody.items.item(None, number).history[-1]
    assert (sighting.event_type, sighting.payload["tamper"]) == ("sighted", "open")


def test_a_tamper_status_outside_the_drivers_values_is_refused(api: Harness):
    number = gun(api)
    headers = station_headers(api.station("ng-desk", "220102", "reader-1"), "reader-1")
    head = api.head_seq()
    problem(
        api.client.post("/api/v1/scans", json=tag_read(number, tamper="cut"), headers=headers),
        422,
        "invalid-input",
    )
    barcode = {"device": "reader-1", "idempotency_key": "b-1", "code": number, "tamper": "open"}
    refused = problem(api.client.post("/api/v1/scans", json=barcode, headers=headers), 422, "invalid-input")
    assert refused["key"] == "scan.tamper_without_tag"
    assert api.head_seq() == head


def sealed_gun(api: Harness) -> tuple[str, str]:
    number = gun(api)
    item = api.custody.items.item(None, number)
    shelf = place(api.custody, "L220102-A-1-03", "枪弹架 3")
    return number, seal(api.custody, [item], shelf, tag_uid=UID)


def test_a_seal_scan_records_a_sighting_per_item_and_answers_with_the_seal(api: Harness):
    number, seal_no = sealed_gun(api)
    headers = station_headers(api.station("ng-desk", "220102", "reader-1"), "reader-1")
    answer = api.client.post("/api/v1/scans", json=tag_read(seal_no, tamper="open"), headers=headers)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["kind"], body["seal_no"], body["status"], body["tamper"]) == (
        "seal",
        seal_no,
        "intact",
        "open",
    )
    assert body["location_code"] == "L220102-A-1-03"
    assert [i["evidence_no"] for i in body["items"]] == [number]
    assert [w["key"] for w in body["warnings"]] == ["scan.tamper_open"]
    sighting = api.custody.items.item(None, number).history[-1]
    assert (sighting.seq, sighting.payload["seal_no"], sighting.payload["tamper"]) == (
        body["seq"],
        seal_no,
        "open",
    )
    retry = api.client.post("/api/v1/scans", json=tag_read(seal_no, tamper="open"), headers=headers)
    assert retry.status_code == 200 and retry.json() == {**body, "replayed": True}


def test_seal_refusals_unknown_out_of_scope_and_check_digits(api: Harness):
    _number, seal_no = sealed_gun(api)
    jilin = station_headers(api.station("jl-desk", "220200", "scanner-1"))
    ours = station_headers(api.station("ng-desk", "220102", "scanner-1"))
    unknown = str(SealNumber.make("220102", 2026, 404))
    missing = problem(api.client.post("/api/v1/scans", json=barcode(unknown), headers=ours), 404, "not-found")
    hidden = problem(api.client.post("/api/v1/scans", json=barcode(seal_no), headers=jilin), 404, "not-found")
    assert missing["key"] == hidden["key"] == "scan.unknown_seal"
    wrong = seal_no[:-2] + f"{(int(seal_no[-2:]) + 1) % 100:02d}"
    refused = problem(
        api.client.post("/api/v1/scans", json=barcode(wrong, "k-2"), headers=ours), 422, "invalid-seal-number"
    )
    assert "check digits" in refused["detail"]


def test_a_location_scan_answers_what_lies_there_with_200_and_records_nothing(api: Harness):
    number, seal_no = sealed_gun(api)
    headers = station_headers(api.station("ng-desk", "220102", "scanner-1"))
    head = api.head_seq()
    answer = api.client.post("/api/v1/scans", json=barcode("L220102-A-1"), headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["kind"], body["seq"], body["location"]["code"]) == ("location", None, "L220102-A-1")
    assert [s["seal_no"] for s in body["seals"]] == [seal_no]
    assert [(i["evidence_no"], i["seal_no"]) for i in body["items"]] == [(number, seal_no)]
    assert api.head_seq() == head
    problem(
        api.client.post("/api/v1/scans", json=barcode("L220102-A-1-"), headers=headers),
        422,
        "invalid-location-code",
    )


def test_a_station_created_at_a_location_records_its_sightings_there(api: Harness):
    number = gun(api)
    place(api.custody, "L220102-A-1")
    admin = api.login("admin")
    body = {
        "name": "ng-desk-at",
        "unit_code": "220102",
        "department": "evidence_room",
        "devices": ["scanner-1"],
        "location_code": "L220102-A-1",
    }
    created = api.client.post("/api/v1/stations", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["station"]["location_code"] == "L220102-A-1"
    key = created.json()["key"]
    scanned = api.client.post("/api/v1/scans", json=barcode(number), headers=station_headers(key))
    assert scanned.status_code == 201, scanned.text
    assert api.custody.items.item(None, number).history[-1].payload["location"] == "L220102-A-1"
    shown = api.client.get("/api/v1/stations/ng-desk-at", headers=admin).json()
    assert shown["location_code"] == "L220102-A-1"
    missing = {**body, "name": "ng-desk-nowhere", "location_code": "L220102-Q"}
    problem(api.client.post("/api/v1/stations", json=missing, headers=admin), 404, "not-found")


def barcode(code: str, key: str = "k-1") -> dict:
    return {"device": "scanner-1", "idempotency_key": key, "code": code, "symbology": "C0"}
