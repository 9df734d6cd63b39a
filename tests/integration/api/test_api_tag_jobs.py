"""Tag-write jobs over HTTP, on SQLite and PostgreSQL: a clerk asks a station to write an item's tag,
the station finds the job in its own feed (a long poll), takes it and reports; the tag is bound to the
item with the station and its reader named, or the job fails and nothing is recorded. Only the station,
by its key, takes and reports its jobs; anything out of scope answers 404 like missing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import FIREARM, START, Harness, problem, station_headers, unique

READER = "reader-1"


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


def new_item(api: Harness, clerk: dict[str, str]) -> str:
    case_no = unique("长南公刑字〔2026〕T") + "号"
    made = api.client.post(
        "/api/v1/cases", headers=clerk, json={"case_no": case_no, "title": "非法持有枪支案"}
    )
    assert made.status_code == 201, made.text
    answer = api.client.post("/api/v1/items/firearms", headers=clerk, json={**FIREARM, "case_no": case_no})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evidence_no"])


def new_station(api: Harness, unit: str = "220102") -> tuple[str, dict[str, str]]:
    name = unique("ng-tagdesk-")
    return name, station_headers(api.station(name, unit, READER), READER)


def ask(api: Harness, who: dict[str, str], station: str, evidence_no: str, **more: Any) -> dict[str, Any]:
    answer = api.client.post(
        "/api/v1/tag-jobs", headers=who, json={"station": station, "evidence_no": evidence_no, **more}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_tag_written_at_the_station_is_bound_to_the_item(api: Harness):
    clerk = api.login("ng-clerk")
    number = new_item(api, clerk)
    name, key = new_station(api)
    job = ask(api, clerk, name, number)
    assert (job["status"], job["kind"], job["text"], job["requested_by"]) == (
        "pending",
        "item_tag",
        number,
        "ng-clerk",
    )
    feed = api.client.get(f"/api/v1/stations/{name}/tag-jobs", headers=key)
    assert feed.status_code == 200, feed.text
    assert [(j["id"], j["text"]) for j in feed.json()["jobs"]] == [(job["id"], number)]
    taken = api.client.post(f"/api/v1/stations/{name}/tag-jobs/{job['id']}/take", headers=key)
    assert taken.status_code == 200 and taken.json()["status"] == "taken" and taken.json()["device"] == READER
    again = api.client.post(f"/api/v1/stations/{name}/tag-jobs/{job['id']}/take", headers=key)
    problem(again, 409, "tag-job-refused")
    head = api.head_seq()
    result = {"done": True, "uid": "04AB12CD34EF56", "tag_type": "NTAG215"}
    done = api.client.post(f"/api/v1/stations/{name}/tag-jobs/{job['id']}/result", headers=key, json=result)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["uid"], done.json()["failure"]) == (
        "done",
        "04AB12CD34EF56",
        None,
    )
    assert api.head_seq() == head + 1
    item = api.client.get(f"/api/v1/items/{number}", headers=clerk).json()
    assert api.custody.items.item(None, number).tag_uid == "04AB12CD34EF56"
    event = item["history"][-1]
    assert (event["event_type"], event["actor"], event["station"], event["device"]) == (
        "tag_bound",
        "ng-clerk",
        name,
        READER,
    )
    shown = api.client.get(f"/api/v1/tag-jobs/{job['id']}", headers=api.login("ng-clerk2"))
    assert shown.status_code == 200 and shown.json()["status"] == "done"
    assert api.client.get(f"/api/v1/stations/{name}/tag-jobs", headers=key).json() == {"jobs": []}


def test_a_failure_reported_is_shown_with_its_key_and_records_nothing(api: Harness):
    clerk = api.login("ng-clerk")
    number = new_item(api, clerk)
    name, key = new_station(api)
    job = ask(api, clerk, name, number, wait_s=15)
    api.client.post(f"/api/v1/stations/{name}/tag-jobs/{job['id']}/take", headers=key)
    head = api.head_seq()
    result = {"done": False, "uid": "04AB12CD34EF57", "error_kind": "tag_removed", "error_message": "gone"}
    failed = api.client.post(f"/api/v1/stations/{name}/tag-jobs/{job['id']}/result", headers=key, json=result)
    assert failed.status_code == 200, failed.text
    body = failed.json()
    assert body["status"] == "failed"
    assert body["failure"]["kind"] == "tag_removed" and body["failure"]["key"] == "tagjob.tag_removed"
    assert body["failure"]["station_said"] == "gone"
    assert api.head_seq() == head
    assert api.custody.items.item(None, number).tag_uid is None


def test_the_feed_waits_for_a_job_and_answers_as_soon_as_one_is_asked_for(api: Harness):
    clerk = api.login("ng-clerk")
    number = new_item(api, clerk)
    name, key = new_station(api)
    started = time.monotonic()
    empty = api.client.get(f"/api/v1/stations/{name}/tag-jobs?wait=0.6", headers=key)
    assert empty.json() == {"jobs": []} and time.monotonic() - started >= 0.5
    answers: list[Any] = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            api.client.get(f"/api/v1/stations/{name}/tag-jobs?wait=20", headers=key)
        )
    )
    started = time.monotonic()
    waiting.start()
    time.sleep(0.3)
    job = ask(api, clerk, name, number)
    waiting.join(15)
    assert answers and [j["id"] for j in answers[0].json()["jobs"]] == [job["id"]]
    assert time.monotonic() - started < 5


def test_only_the_station_itself_reaches_its_jobs(api: Harness):
    clerk = api.login("ng-clerk")
    number = new_item(api, clerk)
    name, key = new_station(api)
    other, other_key = new_station(api)
    job = ask(api, clerk, name, number)
    refused = api.client.get(f"/api/v1/stations/{name}/tag-jobs", headers=clerk)
    assert problem(refused, 403, "not-permitted")["key"] == "tagjob.stations_only"
    problem(
        api.client.post(f"/api/v1/stations/{name}/tag-jobs/{job['id']}/take", headers=clerk),
        403,
        "not-permitted",
    )
    problem(api.client.get(f"/api/v1/stations/{name}/tag-jobs", headers=other_key), 404, "unknown-station")
    take = api.client.post(f"/api/v1/stations/{other}/tag-jobs/{job['id']}/take", headers=other_key)
    problem(take, 404, "not-found")
    problem(api.client.get(f"/api/v1/tag-jobs/{job['id']}", headers=key), 403, "not-permitted")
    problem(
        api.client.post("/api/v1/tag-jobs", headers=key, json={"station": name, "evidence_no": number}),
        403,
        "not-permitted",
    )
    unbound = station_headers(key["X-Station-Key"], "scanner-9")
    problem(api.client.get(f"/api/v1/stations/{name}/tag-jobs", headers=unbound), 403, "device-not-bound")
    problem(api.client.get(f"/api/v1/stations/{name}/tag-jobs"), 401, "unauthenticated")


def test_refused_requests_write_nothing_and_out_of_scope_is_missing(api: Harness):
    clerk = api.login("ng-clerk")
    number = new_item(api, clerk)
    name, _key = new_station(api)
    far, _far_key = new_station(api, "220200")
    head = api.head_seq()
    jl_clerk = api.login("jl-clerk")
    problem(
        api.client.post("/api/v1/tag-jobs", headers=jl_clerk, json={"station": far, "evidence_no": number}),
        404,
        "unknown-item",
    )
    problem(
        api.client.post("/api/v1/tag-jobs", headers=clerk, json={"station": far, "evidence_no": number}),
        404,
        "unknown-station",
    )
    bad_wait = api.client.post(
        "/api/v1/tag-jobs", headers=clerk, json={"station": name, "evidence_no": number, "wait_s": 999}
    )
    problem(bad_wait, 422, "invalid-input")
    problem(api.client.post("/api/v1/tag-jobs", headers=clerk, json={"station": name}), 422, "invalid-input")
    investigator = api.login("ng-investigator")
    problem(
        api.client.post(
            "/api/v1/tag-jobs", headers=investigator, json={"station": name, "evidence_no": number}
        ),
        403,
        "not-permitted",
    )
    job = ask(api, clerk, name, number)
    problem(api.client.get(f"/api/v1/tag-jobs/{job['id']}", headers=jl_clerk), 404, "not-found")
    problem(api.client.post(f"/api/v1/tag-jobs/{job['id']}/cancel", headers=jl_clerk), 404, "not-found")
    cancelled = api.client.post(f"/api/v1/tag-jobs/{job['id']}/cancel", headers=clerk)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    problem(api.client.post(f"/api/v1/tag-jobs/{job['id']}/cancel", headers=clerk), 409, "tag-job-refused")
    assert api.head_seq() == head


def test_the_openapi_document_says_who_reaches_the_jobs(api: Harness):
    paths = api.client.get("/openapi.json").json()["paths"]
    feed = paths["/api/v1/stations/{name}/tag-jobs"]["get"]
    assert feed["x-admits"] == {"roles": [], "stations": True}
    assert paths["/api/v1/tag-jobs"]["post"]["x-admits"] == {
        "roles": ["clerk", "custodian"],
        "stations": False,
    }
