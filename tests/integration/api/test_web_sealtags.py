"""The sealing desk's seal tag through the station, over plain HTTP on SQLite and PostgreSQL: the seal
form asks a station of the custodian's unit to read a blank tamper-evident tag (a small form of its own
beside the seal form), follows the job live and, once read, puts the tag's UID into the seal form's
field, with which the seal is made; the seal just made has its number written on its tag the same way.
A failure is shown in the user's language; refusals (a seal without a tag, a station out of scope, a
role that does not seal) show the core's reason and write nothing; CSRF; out of scope is missing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import PASSWORD, START, Harness, unique
from fastapi.testclient import TestClient
from page_harness import csrf_of, logged_in

from custody.codes import SealNumber
from custody.intake import FirearmIntake
from custody.model import Department, Role
from custody.records import Station
from custody.tag_job_records import TagResult

HTMX = {"HX-Request": "true"}
ON_SEAL_FORM = {**HTMX, "HX-Current-URL": "http://testserver/store/seal"}  # htmx names the page it is on
STORE = "L220102-T"
READ_PATH = "/store/seal/tag-jobs"


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


def new_uid() -> str:
    return "04" + secrets.token_hex(6).upper()


def seal_tag(uid: str, tamper: str = "closed", opened_before: bool = False) -> TagResult:
    """A tamper-evident seal tag as the station's reader reads it."""
    return TagResult(True, uid=uid, tag_type="NTAG213TT", tamper=tamper, tamper_opened_before=opened_before)


def new_station(api: Harness, unit: str = "220102") -> Station:
    station, _key = api.custody.stations.add(
        api.custody.users.actor("admin"), unique("ng-sealdesk-"), unit, Department.EVIDENCE_ROOM, ["reader-1"]
    )
    return station


def accepted(api: Harness, items: int = 1) -> list[str]:
    """Firearms of a new closed case of Nanguan, accepted by its custodian; the store's location exists."""
    clerk, custodian = api.custody.users.actor("ng-clerk"), api.custody.users.actor("ng-custodian")
    if STORE not in {loc.code for loc in api.custody.locations.list(custodian, "220102")}:
        api.custody.locations.add(custodian, STORE, "封存库")
    case_no = unique("长南公刑字〔2026〕T") + "号"
    api.custody.cases.open(clerk, case_no, "非法持有枪支案")
    numbers = [
        api.custody.items.register_firearm(
            clerk, case_no, FirearmIntake("手枪", "54式", unique("SN"), "7.62mm", True)
        ).evidence_no
        for _ in range(items)
    ]
    api.custody.cases.close(clerk, case_no)
    offer = api.custody.handovers.offer(clerk, case_no, "ng-custodian", numbers)
    api.custody.handovers.accept(custodian, offer.id)
    return numbers


def witness(api: Harness) -> str:
    return api.add_user(unique("ng-witness-"), "220102", Department.POLICE_STATION, Role.INVESTIGATOR)


def sealed(api: Harness, uid: str | None) -> str:
    """A new seal of the custodian's store (bound to tag ``uid``, if any): its number."""
    custodian = api.custody.users.actor("ng-custodian")
    made = api.custody.seals.create(
        custodian, STORE, accepted(api), api.custody.users.actor(witness(api)), uid
    )
    return made.seal_no


def ask(client: TestClient, path: str, station: str, headers: dict[str, str] | None = None) -> Any:
    csrf = csrf_of(client.get("/").text)
    return client.post(path, data={"station": station, "csrf": csrf}, headers=headers or {})


def job_id_of(html: str) -> int:
    found = re.search(r'id="tag-job-(\d+)"', html)
    assert found, html
    return int(found.group(1))


def api_job(api: Harness, job_id: int) -> dict[str, Any]:
    answer = api.client.get(f"/api/v1/tag-jobs/{job_id}", headers=api.login("ng-custodian"))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def no_jobs(api: Harness, *stations: Station) -> bool:
    return all(api.custody.tag_jobs.open_jobs(s, s.name) == [] for s in stations)


# ------------------------------------------------------------------------------- reading the tag


def test_the_seal_form_offers_a_read_form_of_its_own_beside_the_typed_field(api: Harness):
    custodian = logged_in(api, "ng-custodian")
    form = custodian.get("/store/seal")
    assert form.status_code == 200
    text = form.text
    assert "在工作站读取封签电子标签" in text and 'for="station"' in text  # Chinese by default
    assert f'hx-post="{READ_PATH}"' in text and 'hx-get="/tag-stations"' in text
    assert "/static/tagjobs.js" in text
    read_form_ends = text.index("</form>", text.index(f'action="{READ_PATH}"'))
    assert read_form_ends < text.index('action="/store/seal"')  # not nested in the seal form
    assert 'id="seal-tag-uid"' in text and 'name="tag_uid"' in text  # the typed field stays
    english = logged_in(api, "ng-custodian", "en").get("/store/seal").text
    assert "Read the seal tag at station" in english and "Seal tag UID" in english


def test_the_tag_read_fills_the_uid_and_the_seal_made_with_it_carries_that_tag(api: Harness):
    numbers = accepted(api, 2)
    who = witness(api)
    station = new_station(api)
    uid = new_uid()
    custodian = logged_in(api, "ng-custodian")
    head = api.head_seq()
    asked = ask(custodian, READ_PATH, station.name, HTMX)
    assert asked.status_code == 200, asked.text
    assert asked.text.startswith('<section id="seal-tag-reading"')  # the read form's part, in place
    job_id = job_id_of(asked.text)
    assert f'hx-get="/tag-jobs/{job_id}?seen=pending"' in asked.text
    assert f"等待工作站{station.name}领取任务" in asked.text
    seen = api_job(api, job_id)
    assert (seen["kind"], seen["status"], seen["station"]) == ("seal_tag_read", "pending", station.name)

    jobs = api.custody.tag_jobs
    jobs.take(station, station.name, job_id, "reader-1")
    taken = custodian.get(f"/tag-jobs/{job_id}?seen=pending", headers=ON_SEAL_FORM)
    assert taken.status_code == 200 and f"{station.name}的读写器上" in taken.text
    assert "hx-swap-oob" not in taken.text
    jobs.report(station, station.name, job_id, seal_tag(uid), "reader-1")
    done = custodian.get(f"/tag-jobs/{job_id}?seen=taken", headers=ON_SEAL_FORM)
    assert done.status_code == 200
    assert f"已读取封签电子标签：{uid}（NTAG213TT）" in done.text and "hx-trigger" not in done.text
    elsewhere = custodian.get(f"/tag-jobs/{job_id}?seen=taken", headers=HTMX)  # the job's own page
    assert uid in elsewhere.text and "hx-swap-oob" not in elsewhere.text
    field = re.search(r'<div id="seal-tag-uid" hx-swap-oob="true">.*?</div>', done.text, re.S)
    assert field, done.text  # the seal form's field, swapped in with the UID read
    assert f'name="tag_uid" type="text" value="{uid}"' in field.group(0)
    assert f"由工作站{station.name}读取" in field.group(0)
    assert api.head_seq() == head  # a tag read writes no record

    made = custodian.post(
        "/store/seal",
        data={
            "csrf": csrf_of(custodian.get("/store/seal").text),
            "location_code": STORE,
            "evidence_no": numbers,
            "tag_uid": uid,
            "witness": who,
            "witness_password": PASSWORD,
        },
    )
    assert made.status_code == 303, made.text
    seal_no = made.headers["location"].rsplit("/", 1)[1]
    seal = api.client.get(f"/api/v1/seals/{seal_no}", headers=api.login("ng-custodian")).json()
    assert seal["tag_uid"] == uid and sorted(i["evidence_no"] for i in seal["items"]) == sorted(numbers)
    result = custodian.get(made.headers["location"])
    assert result.status_code == 200 and uid in result.text
    assert f'hx-post="/seal/{seal_no}/tag-jobs"' in result.text and "将封签编号写入其电子标签" in result.text


def test_without_htmx_the_read_job_has_its_page_and_leads_back_to_the_form_with_the_uid(api: Harness):
    station = new_station(api)
    uid = new_uid()
    custodian = logged_in(api, "ng-custodian")
    asked = ask(custodian, READ_PATH, station.name)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/tag-jobs/")
    job_id = int(asked.headers["location"].rsplit("/", 1)[1])
    api.custody.tag_jobs.take(station, station.name, job_id)
    api.custody.tag_jobs.report(station, station.name, job_id, seal_tag(uid))
    shown = custodian.get(f"/tag-jobs/{job_id}")
    assert shown.status_code == 200 and "<h1>在工作站读取封签电子标签</h1>" in shown.text
    assert f'href="/store/seal?tag_uid={uid}"' in shown.text and "hx-swap-oob" not in shown.text
    form = custodian.get(f"/store/seal?tag_uid={uid}")
    assert f'name="tag_uid" type="text" value="{uid}"' in form.text


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (seal_tag("04000000000001", tamper="open"), "此封存标签的防拆回路已断开或曾经断开"),
        (
            TagResult(True, uid="04000000000002", tag_type="NTAG215"),
            "封存须使用防拆标签（NTAG 213 TT）；此标签为NTAG215",
        ),
        (TagResult(False, error_kind="no_tag"), "在30秒内没有标签放到工作站{station}的读写器上"),
    ],
    ids=["loop-open", "not-a-seal-tag", "no-tag"],
)
def test_a_failed_read_shows_the_reason_in_the_users_language_and_fills_nothing(
    api: Harness, result: TagResult, reason: str
):
    station = new_station(api)
    custodian = logged_in(api, "ng-custodian")
    job_id = job_id_of(ask(custodian, READ_PATH, station.name, HTMX).text)
    api.custody.tag_jobs.take(station, station.name, job_id)
    head = api.head_seq()
    api.custody.tag_jobs.report(station, station.name, job_id, result)
    failed = custodian.get(f"/tag-jobs/{job_id}?seen=taken", headers=ON_SEAL_FORM)
    assert failed.status_code == 200
    assert "未读取到可用的封签电子标签：" + reason.format(station=station.name) in failed.text
    assert "hx-swap-oob" not in failed.text and "tag_uid" not in failed.text
    english = logged_in(api, "ng-custodian", "en").get(f"/tag-jobs/{job_id}?seen=taken", headers=HTMX)
    assert "No usable seal tag was read: " in english.text
    assert api.head_seq() == head


def test_a_tag_bound_already_is_not_read_for_a_new_seal(api: Harness):
    uid = new_uid()
    sealed(api, uid)
    station = new_station(api)
    custodian = logged_in(api, "ng-custodian")
    job_id = job_id_of(ask(custodian, READ_PATH, station.name, HTMX).text)
    api.custody.tag_jobs.take(station, station.name, job_id)
    api.custody.tag_jobs.report(station, station.name, job_id, seal_tag(uid))
    failed = custodian.get(f"/tag-jobs/{job_id}?seen=taken", headers=ON_SEAL_FORM)
    assert f"标签{uid}已被绑定：请换用空白标签" in failed.text and "hx-swap-oob" not in failed.text


# -------------------------------------------------------------------------------- writing the tag


def test_the_seal_number_is_written_on_its_tag_and_followed_live(api: Harness):
    uid = new_uid()
    seal_no = sealed(api, uid)
    station = new_station(api)
    custodian = logged_in(api, "ng-custodian")
    result = custodian.get(f"/store/sealed/{seal_no}")
    assert result.status_code == 200
    assert f'action="/seal/{seal_no}/tag-jobs"' in result.text and 'hx-get="/tag-stations"' in result.text
    assert "/static/tagjobs.js" in result.text
    head = api.head_seq()
    asked = ask(custodian, f"/seal/{seal_no}/tag-jobs", station.name, HTMX)
    assert asked.status_code == 200, asked.text
    assert asked.text.startswith('<section id="seal-tag-writing"')
    job_id = job_id_of(asked.text)
    seen = api_job(api, job_id)
    assert (seen["kind"], seen["seal_no"], seen["text"], seen["expected_uid"]) == (
        "seal_tag_write",
        seal_no,
        seal_no,
        uid,
    )
    jobs = api.custody.tag_jobs
    jobs.take(station, station.name, job_id, "reader-1")
    jobs.report(station, station.name, job_id, seal_tag(uid), "reader-1")
    done = custodian.get(f"/tag-jobs/{job_id}?seen=pending", headers=HTMX)
    assert done.status_code == 200 and f"封签编号{seal_no}已写入电子标签{uid}" in done.text
    assert "hx-trigger" not in done.text and "hx-swap-oob" not in done.text
    assert api.head_seq() == head  # the tag was bound when the seal was made
    page = custodian.get(f"/tag-jobs/{job_id}")
    assert "<h1>将封签编号写入其电子标签</h1>" in page.text and f'href="/seal/{seal_no}"' in page.text


def test_another_tag_than_the_seals_fails_the_write_in_the_users_language(api: Harness):
    uid, other = new_uid(), new_uid()
    seal_no = sealed(api, uid)
    station = new_station(api)
    custodian = logged_in(api, "ng-custodian")
    asked = ask(custodian, f"/seal/{seal_no}/tag-jobs", station.name)  # without htmx: the job's page
    assert asked.status_code == 303
    job_id = int(asked.headers["location"].rsplit("/", 1)[1])
    api.custody.tag_jobs.take(station, station.name, job_id)
    api.custody.tag_jobs.report(station, station.name, job_id, seal_tag(other))
    shown = custodian.get(f"/tag-jobs/{job_id}")
    assert f"标签未写入：工作站写入的是标签{other}，而不是封存标签{uid}" in shown.text


# -------------------------------------------------------------------------------------- refusals


def test_a_seal_without_a_tag_has_nothing_to_write_and_is_refused_with_nothing_written(api: Harness):
    seal_no = sealed(api, None)
    station = new_station(api)
    custodian = logged_in(api, "ng-custodian")
    result = custodian.get(f"/store/sealed/{seal_no}")
    assert "此封签未绑定电子标签" in result.text and f"/seal/{seal_no}/tag-jobs" not in result.text
    head = api.head_seq()
    refused = ask(custodian, f"/seal/{seal_no}/tag-jobs", station.name, HTMX)
    assert refused.status_code == 409
    assert 'role="alert"' in refused.text and f"封存{seal_no}未绑定标签：无可写入的标签" in refused.text
    assert refused.text.startswith('<section id="seal-tag-writing"')  # in place, the form kept
    page = ask(custodian, f"/seal/{seal_no}/tag-jobs", station.name)  # without htmx: the form's page
    assert page.status_code == 409 and "<html" in page.text and 'role="alert"' in page.text
    assert f'action="/seal/{seal_no}/tag-jobs"' in page.text
    assert api.head_seq() == head and no_jobs(api, station)


def test_a_station_out_of_scope_is_refused_like_a_missing_one_with_nothing_asked(api: Harness):
    seal_no = sealed(api, new_uid())
    far = new_station(api, "220200")
    custodian = logged_in(api, "ng-custodian")
    head = api.head_seq()
    for path in (READ_PATH, f"/seal/{seal_no}/tag-jobs"):
        hidden = ask(custodian, path, far.name, HTMX)
        missing = ask(custodian, path, "ng-no-such-station", HTMX)
        assert hidden.status_code == missing.status_code == 404, hidden.text
        assert 'role="alert"' in hidden.text and f"未找到工作站{far.name}" in hidden.text
        assert hidden.text.replace(far.name, "S") == missing.text.replace("ng-no-such-station", "S")
        page = ask(custodian, path, far.name)
        assert page.status_code == 404 and "<html" in page.text and 'role="alert"' in page.text
    assert api.head_seq() == head and no_jobs(api, far)


def test_a_seal_out_of_scope_answers_like_a_missing_one(api: Harness):
    seal_no = sealed(api, new_uid())
    far = new_station(api, "220200")
    outsider = api.add_user(unique("jl-custodian-"), "220200", Department.PUBLIC_ORDER, Role.CUSTODIAN)
    client = logged_in(api, outsider)
    hidden = ask(client, f"/seal/{seal_no}/tag-jobs", far.name)
    missing = ask(client, f"/seal/{SealNumber('220102', 2026, 999_999)}/tag-jobs", far.name)
    assert hidden.status_code == missing.status_code == 404
    assert "<html" in hidden.text and 'role="alert"' in hidden.text
    in_place = ask(client, f"/seal/{seal_no}/tag-jobs", far.name, HTMX)
    assert in_place.status_code == 404 and in_place.text.startswith('<section id="seal-tag-writing"')
    assert no_jobs(api, far)


def test_only_a_custodian_asks_for_a_seal_tag(api: Harness):
    seal_no = sealed(api, new_uid())
    station = new_station(api)
    clerk = logged_in(api, "ng-clerk")
    assert ask(clerk, READ_PATH, station.name, HTMX).status_code == 403
    assert ask(clerk, f"/seal/{seal_no}/tag-jobs", station.name, HTMX).status_code == 403
    shown = clerk.get(f"/store/sealed/{seal_no}")  # the clerk reads the seal: no form to write its tag
    assert shown.status_code == 200 and f"/seal/{seal_no}/tag-jobs" not in shown.text
    assert no_jobs(api, station)


@pytest.mark.parametrize("which", ["read", "write"])
def test_a_form_without_its_csrf_token_is_refused_and_asks_for_nothing(api: Harness, which: str):
    seal_no = sealed(api, new_uid())
    station = new_station(api)
    custodian = logged_in(api, "ng-custodian")
    custodian.get("/")
    path = READ_PATH if which == "read" else f"/seal/{seal_no}/tag-jobs"
    for csrf in ("forged", ""):
        answer = custodian.post(path, data={"station": station.name, "csrf": csrf}, headers=HTMX)
        assert answer.status_code == 403 and 'role="alert"' in answer.text
    assert no_jobs(api, station)
