"""Scans in batches over HTTP: each scan answered on its own in order, all committed in one
transaction before the answer; a refused scan writes nothing and the others stand; a retried batch is
answered from its receipts; an oversized batch is refused whole."""

from __future__ import annotations

from api_harness import Harness, station_headers

from custody.intake import FirearmIntake

CASE = "长南公刑字〔2026〕078号"


def guns(api: Harness, count: int) -> list[str]:
    clerk = api.custody.users.actor("ng-clerk")
    api.custody.cases.open(clerk, CASE)
    intake = FirearmIntake("手枪", "54式", "1", "7.62mm", True)
    return [api.custody.items.register_firearm(clerk, CASE, intake).evidence_no for _ in range(count)]


def scan(code: str, key: str, device: str = "scanner-1") -> dict:
    return {"device": device, "idempotency_key": key, "code": code}


def test_a_batch_answers_each_scan_and_a_refused_one_writes_nothing(api: Harness):
    numbers = guns(api, 3)
    headers = station_headers(api.station("ng-desk", "220102", "scanner-1"))
    head = api.head_seq()
    body = {
        "scans": [
            scan(numbers[0], "b-1"),
            scan("F220102202600000999", "b-2"),  # check digits wrong
            scan(numbers[1], "b-3"),
            scan(numbers[2], "b-4", device="scanner-9"),  # not the station's device
            scan(numbers[0], "b-1"),  # the first again: its receipt
        ]
    }
    answer = api.client.post("/api/v1/scans/batch", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201, 403, 200]
    assert [r["idempotency_key"] for r in results] == ["b-1", "b-2", "b-3", "b-4", "b-1"]
    assert results[1]["answer"]["type"].endswith("/invalid-evidence-number")
    assert results[4]["answer"] == {**results[0]["answer"], "replayed": True}
    assert api.head_seq() == head + 2
    again = api.client.post("/api/v1/scans/batch", json=body, headers=headers)
    assert [r["status"] for r in again.json()["results"]] == [200, 422, 200, 403, 200]
    assert api.head_seq() == head + 2


def test_an_oversized_or_empty_batch_is_refused_whole(api: Harness):
    numbers = guns(api, 1)
    headers = station_headers(api.station("ng-desk", "220102", "scanner-1"))
    head = api.head_seq()
    many = {"scans": [scan(numbers[0], f"o-{n}") for n in range(51)]}
    assert api.client.post("/api/v1/scans/batch", json=many, headers=headers).status_code == 422
    assert api.client.post("/api/v1/scans/batch", json={"scans": []}, headers=headers).status_code == 422
    assert api.client.post("/api/v1/scans/batch", json={"scans": "x"}, headers=headers).status_code == 422
    assert api.head_seq() == head
