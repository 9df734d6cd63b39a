"""Scan intake over HTTP beyond evidence numbers: a tag's tamper status, seal numbers, location codes,
and the station's configured location."""

from __future__ import annotations

from api_harness import Harness, problem, station_headers

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
