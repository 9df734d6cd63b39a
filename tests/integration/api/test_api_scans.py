"""Scan intake over HTTP: one sighting per scan, retries answered alike, no existence leak; the feed."""

from __future__ import annotations

import asyncio
import json

import httpx
from api_harness import Harness, problem, station_headers

from api.routes.scans import SightingFeed
from custody.intake import FirearmIntake
from custody.numbers import EvidenceNumber, ItemKind

CASE = "长南公刑字〔2026〕077号"


def gun(api: Harness) -> str:
    clerk = api.custody.users.actor("ng-clerk")
    api.custody.cases.open(clerk, CASE)
    return str(
        api.custody.items.register_firearm(
            clerk, CASE, FirearmIntake("手枪", "54式", "1", "7.62mm", True)
        ).evidence_no
    )


def scan(code: str, key: str = "k-1", device: str = "scanner-1") -> dict:
    return {"device": device, "idempotency_key": key, "code": code, "symbology": "C0"}


def test_a_scan_is_recorded_once_and_a_retry_gets_the_same_answer(api: Harness):
    number = gun(api)
    headers = station_headers(api.station("ng-desk", "220102", "scanner-1"))
    first = api.client.post("/api/v1/scans", json=scan(number), headers=headers)
    assert first.status_code == 201, first.text
    head = api.head_seq()
    again = api.client.post("/api/v1/scans", json=scan(number), headers=headers)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert api.head_seq() == head
    history = api.custody.items.item(None, number).history
    assert [e.event_type for e in history] == ["registered", "sighted"]
    assert (history[-1].station, history[-1].device) == ("ng-desk", "scanner-1")


def test_the_same_key_with_another_body_is_a_conflict(api: Harness):
    number = gun(api)
    headers = station_headers(api.station("ng-desk", "220102", "scanner-1"))
    api.client.post("/api/v1/scans", json=scan(number), headers=headers)
    head = api.head_seq()
    other = api.client.post("/api/v1/scans", json={**scan(number), "symbology": "Q1"}, headers=headers)
    problem(other, 409, "idempotency-conflict")
    assert api.head_seq() == head


def test_unknown_and_out_of_scope_numbers_answer_alike(api: Harness):
    number = gun(api)
    unknown = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 4040))
    jilin = station_headers(api.station("jl-desk", "220200", "scanner-1"))
    missing = api.client.post("/api/v1/scans", json=scan(unknown), headers=jilin)
    hidden = api.client.post("/api/v1/scans", json=scan(number, key="k-2"), headers=jilin)
    assert missing.status_code == hidden.status_code == 404
    assert missing.json()["type"] == hidden.json()["type"]
    assert set(missing.json()) == set(hidden.json())


def test_a_bad_check_digit_says_so_and_a_foreign_device_is_refused(api: Harness):
    number = gun(api)
    headers = station_headers(api.station("ng-desk", "220102", "scanner-1"))
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    refused = problem(
        api.client.post("/api/v1/scans", json=scan(wrong), headers=headers), 422, "invalid-evidence-number"
    )
    assert "check digits" in refused["detail"]
    foreign = api.client.post("/api/v1/scans", json=scan(number, device="scanner-9"), headers=headers)
    assert foreign.status_code == 403
    assert api.client.post("/api/v1/scans", json={"device": "scanner-1"}, headers=headers).status_code == 422


def test_a_clerk_scanning_at_the_desk_is_recorded_as_the_clerk(api: Harness):
    number = gun(api)
    answer = api.client.post("/api/v1/scans", json=scan(number), headers=api.login("ng-clerk"))
    assert answer.status_code == 201 and answer.json()["station"] == "user:ng-clerk"
    assert api.custody.items.item(None, number).history[-1].actor == "ng-clerk"


def test_a_hundred_concurrent_deliveries_of_one_scan_make_one_event(api: Harness):
    number = gun(api)
    headers = station_headers(api.station("ng-desk", "220102", "scanner-1"))
    head = api.head_seq()

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            return await asyncio.gather(
                *(
                    client.post("/api/v1/scans", json=scan(number, key="burst"), headers=headers)
                    for _ in range(100)
                )
            )

    answers = asyncio.run(burst())
    assert sorted({a.status_code for a in answers}) == [200, 201]
    assert [a.status_code for a in answers].count(201) == 1
    assert len({a.json()["seq"] for a in answers}) == 1
    assert api.head_seq() == head + 1


def test_the_feed_streams_a_stations_sightings(api: Harness):
    number = gun(api)
    key = api.station("ng-desk", "220102", "scanner-1")
    feed = api.app.state.sighting_feed = SightingFeed()

    async def listen_and_scan() -> str:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:

            async def listen() -> str:
                async with client.stream(
                    "GET", "/api/v1/stations/ng-desk/sightings?events=1", headers=api.login("ng-clerk")
                ) as stream:
                    return "".join([chunk async for chunk in stream.aiter_text()])

            listener = asyncio.create_task(listen())
            while feed.listeners("ng-desk") == 0:  # the scan is posted once the desk listens
                await asyncio.sleep(0.01)
            await client.post("/api/v1/scans", json=scan(number), headers=station_headers(key))
            return await asyncio.wait_for(listener, 10)

    text = asyncio.run(listen_and_scan())
    data = next(line for line in text.splitlines() if line.startswith("data: "))
    assert "event: sighting" in text and json.loads(data[6:])["evidence_no"] == number


def test_each_scan_request_is_in_the_access_log_once_with_its_status(api: Harness):
    from sqlalchemy import text

    number = gun(api)
    headers = station_headers(api.station("ng-desk", "220102", "scanner-1"))
    api.client.post("/api/v1/scans", json=scan(number), headers=headers)
    api.client.post("/api/v1/scans", json=scan(number), headers=headers)
    api.client.post("/api/v1/scans", json=scan(number, key="k-9", device="scanner-9"), headers=headers)
    with api.custody.engine.connect() as conn:
        statuses = conn.execute(
            text("SELECT status FROM access_log WHERE path = '/api/v1/scans' ORDER BY seq")
        ).all()
    assert [s[0] for s in statuses] == [201, 200, 403]


def test_a_key_revoked_elsewhere_stops_scans_although_the_service_remembers_it(api: Harness):
    from custody.stations import Stations

    number = gun(api)
    key = api.station("ng-desk", "220102", "scanner-1")
    headers = station_headers(key)
    assert api.client.post("/api/v1/scans", json=scan(number), headers=headers).status_code == 201
    assert api.services.station_keys.recall(key) is not None  # remembered: the next scan reads no key
    # revoked by another process (the command line), whose revocation this service does not see
    Stations(api.custody.store).revoke(api.custody.users.actor("admin"), "ng-desk")
    head = api.head_seq()
    refused = api.client.post("/api/v1/scans", json=scan(number, key="k-2"), headers=headers)
    problem(refused, 401, "unauthenticated")
    assert api.head_seq() == head
    assert api.services.station_keys.recall(key) is None  # forgotten: later requests read the key again
    problem(
        api.client.post("/api/v1/scans", json=scan(number, key="k-3"), headers=headers),
        401,
        "unauthenticated",
    )


def test_a_scan_that_is_not_json_is_refused_and_writes_nothing(api: Harness):
    number = gun(api)
    headers = station_headers(api.station("ng-desk", "220102", "scanner-1"))
    head = api.head_seq()
    as_text = api.client.post(
        "/api/v1/scans", content=json.dumps(scan(number)), headers={**headers, "Content-Type": "text/plain"}
    )
    problem(as_text, 422, "invalid-input")
    broken = api.client.post(
        "/api/v1/scans",
        content=b'{"device": "scanner-1",',
        headers={**headers, "Content-Type": "application/json"},
    )
    problem(broken, 422, "invalid-input")
    extra = api.client.post("/api/v1/scans", json={**scan(number), "colour": "red"}, headers=headers)
    assert problem(extra, 422, "invalid-input")["errors"][0]["field"] == "colour"
    assert api.head_seq() == head


def test_the_scan_body_is_documented(api: Harness):
    operation = api.client.get("/openapi.json").json()["paths"]["/api/v1/scans"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "device" in schema["required"]  # the key may come as the Idempotency-Key header instead
    assert {"idempotency_key", "code", "uid", "text", "device_time", "symbology"} <= set(schema["properties"])
