"""Writing an item's tag at a station from the item page, over plain HTTP on SQLite and PostgreSQL: the
form (loaded into the item page) names the stations of the user's unit, asks for the job, and the job's
part of the page follows it until the tag is written and bound (its UID) or the job failed (why, in
the user's language); refusals show the core's reason and write nothing; CSRF; out of scope is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import FIREARM, START, Harness, unique
from fastapi.testclient import TestClient
from page_harness import csrf_of, logged_in

from custody.model import Department
from custody.records import Station
from custody.tag_job_records import TagResult

HTMX = {"HX-Request": "true"}
UID = "04C0FFEE0000A1"


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


def new_item(api: Harness, username: str = "ng-clerk") -> str:
    clerk = api.login(username)
    case_no = unique("长南公刑字〔2026〕W") + "号"
    made = api.client.post(
        "/api/v1/cases", headers=clerk, json={"case_no": case_no, "title": "非法持有枪支案"}
    )
    assert made.status_code == 201, made.text
    answer = api.client.post("/api/v1/items/firearms", headers=clerk, json={**FIREARM, "case_no": case_no})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evidence_no"])


def new_station(api: Harness, unit: str = "220102") -> Station:
    name = unique("ng-webdesk-")
    station, _key = api.custody.stations.add(
        api.custody.users.actor("admin"), name, unit, Department.EVIDENCE_ROOM, ["reader-1"]
    )
    return station


def ask(client: TestClient, number: str, station: str, headers: dict[str, str] | None = None) -> Any:
    csrf = csrf_of(client.get("/").text)
    return client.post(
        f"/item/{number}/tag-jobs", data={"station": station, "csrf": csrf}, headers=headers or {}
    )


def job_id_of(html: str) -> int:
    found = re.search(r'id="tag-job-(\d+)"', html)
    assert found, html
    return int(found.group(1))


def test_the_item_page_offers_the_form_and_the_stations_of_the_users_unit(api: Harness):
    number = new_item(api)
    here, far = new_station(api), new_station(api, "220200")
    clerk = logged_in(api, "ng-clerk")
    item_page = clerk.get(f"/item/{number}")
    assert item_page.status_code == 200
    assert "在工作站写入标签" in item_page.text and 'for="station"' in item_page.text  # Chinese by default
    assert (
        f'action="/item/{number}/tag-jobs"' in item_page.text and 'hx-get="/tag-stations"' in item_page.text
    )
    assert "/static/tagjobs.js" in item_page.text
    stations = clerk.get("/tag-stations", headers=HTMX)
    assert stations.status_code == 200
    assert f'<option value="{here.name}"' in stations.text and far.name not in stations.text
    clerk.cookies.set("custody_station", here.name)  # the desk's own station is chosen
    assert f'<option value="{here.name}" selected>' in clerk.get("/tag-stations", headers=HTMX).text
    investigator = logged_in(api, "ng-investigator")  # reads the item, writes no tag: no form
    seen = investigator.get(f"/item/{number}")
    assert seen.status_code == 200 and "tag-jobs" not in seen.text and "tag-stations" not in seen.text
    assert investigator.get("/tag-stations", headers=HTMX).status_code == 403
    english = logged_in(api, "ng-clerk")
    english.get("/lang/en?next=/")
    assert "Write the tag at a station" in english.get(f"/item/{number}").text


def test_the_job_is_followed_live_until_the_tag_is_written_and_bound(api: Harness):
    number = new_item(api)
    station = new_station(api)
    clerk = logged_in(api, "ng-clerk")
    asked = ask(clerk, number, station.name, HTMX)
    assert asked.status_code == 200, asked.text
    job_id = job_id_of(asked.text)
    assert f'hx-get="/tag-jobs/{job_id}?seen=pending"' in asked.text and 'hx-trigger="every 1s"' in asked.text
    assert f"等待工作站{station.name}领取任务" in asked.text
    seen = api.client.get(f"/api/v1/tag-jobs/{job_id}", headers=api.login("ng-clerk")).json()
    assert (seen["status"], seen["evidence_no"], seen["station"]) == ("pending", number, station.name)
    assert clerk.get(f"/tag-jobs/{job_id}?seen=pending", headers=HTMX).status_code == 204  # nothing new
    jobs = api.custody.tag_jobs
    jobs.take(station, station.name, job_id, "reader-1")
    taken = clerk.get(f"/tag-jobs/{job_id}?seen=pending", headers=HTMX)
    assert taken.status_code == 200 and f"{station.name}的读写器上" in taken.text
    assert "?seen=taken" in taken.text
    head = api.head_seq()

    jobs.report(station, station.name, job_id, TagResult(True, uid=UID, tag_type="NTAG215"), "reader-1")
    done = clerk.get(f"/tag-jobs/{job_id}?seen=taken", headers=HTMX)
    assert done.status_code == 200
    assert f"已写入并绑定：标签{UID}（NTAG215）载有{number}" in done.text
    assert "hx-trigger" not in done.text  # finished: it asks no more
    assert api.head_seq() == head + 1
    history = api.client.get(f"/api/v1/items/{number}", headers=api.login("ng-clerk")).json()["history"]
    assert history[-1]["event_type"] == "tag_bound" and history[-1]["station"] == station.name
    page = clerk.get(f"/tag-jobs/{job_id}")
    assert page.status_code == 200 and "<html" in page.text and UID in page.text


def test_a_failure_is_shown_in_the_users_language(api: Harness):
    number = new_item(api)
    station = new_station(api)
    clerk = logged_in(api, "ng-clerk")
    answer = ask(clerk, number, station.name)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/tag-jobs/")
    job_id = int(answer.headers["location"].rsplit("/", 1)[1])

    api.custody.tag_jobs.take(station, station.name, job_id)
    head = api.head_seq()
    removed = TagResult(False, uid=UID, error_kind="tag_removed", error_message="transmit: 0 bytes")
    api.custody.tag_jobs.report(station, station.name, job_id, removed)
    shown = clerk.get(f"/tag-jobs/{job_id}")
    assert "标签未写入：标签在写入完成前离开了读写器：请放回后重试" in shown.text
    clerk.get("/lang/en?next=/")
    english = clerk.get(f"/tag-jobs/{job_id}")
    assert "The tag was not written: the tag left the reader before it was written whole" in english.text
    assert api.head_seq() == head


def test_a_refusal_shows_the_reason_and_writes_nothing(api: Harness):
    number = new_item(api)
    admin = api.custody.users.actor("admin")
    station = new_station(api)
    api.custody.stations.revoke(admin, station.name)
    clerk = logged_in(api, "ng-clerk")
    head = api.head_seq()
    refused = ask(clerk, number, station.name, HTMX)
    assert refused.status_code == 409
    assert 'role="alert"' in refused.text and f"工作站{station.name}已被吊销" in refused.text
    page = ask(clerk, number, station.name)  # without htmx: the form's page, the reason on top
    assert page.status_code == 409 and "<html" in page.text and 'role="alert"' in page.text
    assert api.head_seq() == head
    assert api.custody.tag_jobs.open_jobs(station, station.name) == []


def test_a_form_without_its_csrf_token_is_refused_and_asks_for_nothing(api: Harness):
    number = new_item(api)
    station = new_station(api)
    clerk = logged_in(api, "ng-clerk")
    clerk.get("/")
    answer = clerk.post(f"/item/{number}/tag-jobs", data={"station": station.name, "csrf": "forged"})
    assert answer.status_code == 403
    assert api.custody.tag_jobs.open_jobs(station, station.name) == []


def test_out_of_scope_answers_like_missing(api: Harness):
    number = new_item(api)
    station = new_station(api)
    far_station = new_station(api, "220200")
    outsider = logged_in(api, "jl-clerk")
    assert ask(outsider, number, far_station.name).status_code == 404
    job = api.custody.tag_jobs.request(api.custody.users.actor("ng-clerk"), station.name, evidence_no=number)
    assert outsider.get(f"/tag-jobs/{job.id}").status_code == 404
    assert outsider.get("/tag-jobs/999999").status_code == 404
    csrf = csrf_of(outsider.get("/").text)
    assert outsider.post(f"/tag-jobs/{job.id}/cancel", data={"csrf": csrf}).status_code == 404
    assert api.custody.tag_jobs.get(api.custody.users.actor("ng-clerk"), job.id).open


def test_an_open_job_is_cancelled_from_its_page(api: Harness):
    number = new_item(api)
    station = new_station(api)
    clerk = logged_in(api, "ng-clerk")
    job_id = job_id_of(ask(clerk, number, station.name, HTMX).text)
    csrf = csrf_of(clerk.get(f"/tag-jobs/{job_id}").text)
    cancelled = clerk.post(f"/tag-jobs/{job_id}/cancel", data={"csrf": csrf}, headers=HTMX)
    assert cancelled.status_code == 200 and "已取消：未绑定任何标签" in cancelled.text
    again = clerk.post(f"/tag-jobs/{job_id}/cancel", data={"csrf": csrf}, headers=HTMX)
    assert again.status_code == 409 and 'role="alert"' in again.text
    page = clerk.post(f"/tag-jobs/{job_id}/cancel", data={"csrf": csrf})  # without htmx: the job's page
    assert page.status_code == 409 and "<html" in page.text and 'role="alert"' in page.text
    assert "已取消：未绑定任何标签" in page.text
    assert api.custody.tag_jobs.open_jobs(station, station.name) == []
