"""Acts from the item's and the seal's pages and closing a case at the intake desk, over plain HTTP on
SQLite and PostgreSQL: an item checked out and returned from its page (the version it showed carried with
the form), a case closed, a seal opened before a witness typing their own password. Each act is seen
through the API; a refusal shows the core's reason next to the field it blames and writes nothing; a
stale version is refused and the page shows the item as it now stands; a form without its CSRF token is
refused; out of scope answers exactly like missing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import PASSWORD, START, Harness, unique
from fastapi.testclient import TestClient
from page_harness import csrf_of, logged_in

from custody.intake import FirearmIntake
from custody.model import Department, Role
from custody.numbers import EvidenceNumber, ItemKind
from custody.tag_job_records import TagResult

DUE = "2026-04-01"
UID = "04C0FFEE0000B2"


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


def post(client: TestClient, path: str, data: dict[str, Any], page: str) -> Any:
    """A form of ``page``, sent with the session's CSRF token read from it."""
    return client.post(path, data={**data, "csrf": csrf_of(client.get(page).text)})


def new_case(api: Harness) -> str:
    case_no = unique("长南公刑字〔2026〕A") + "号"
    api.custody.cases.open(api.custody.users.actor("ng-clerk"), case_no, "非法持有枪支案")
    return case_no


def firearm(api: Harness, case_no: str | None = None) -> str:
    clerk = api.custody.users.actor("ng-clerk")
    intake = FirearmIntake("手枪", "54式", unique("S"), "7.62mm", True)
    return api.custody.items.register_firearm(clerk, case_no or new_case(api), intake).evidence_no


def item(api: Harness, number: str) -> dict[str, Any]:
    answer = api.client.get(f"/api/v1/items/{number}", headers=api.login("ng-clerk"))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def version_of(html: str, form: str) -> str:
    found = re.search(rf'action="{re.escape(form)}".*?name="version" value="(\d+)"', html, re.S)
    assert found, html
    return found.group(1)


def checkout(number: str, version: str, **changes: str) -> dict[str, Any]:
    return {"version": version, "purpose": "lab", "to": "刑科所", "due_date": DUE, **changes}


def sealed(api: Harness) -> tuple[str, list[str], str]:
    """Two firearms of a closed case, accepted by the custodian and sealed before a witness: the seal's
    number, the items, the witness."""
    clerk, custodian = (api.custody.users.actor(u) for u in ("ng-clerk", "ng-custodian"))
    case_no = new_case(api)
    numbers = [firearm(api, case_no) for _ in range(2)]
    api.custody.cases.close(clerk, case_no)
    offered = api.custody.handovers.offer(clerk, case_no, "ng-custodian", numbers)
    api.custody.handovers.accept(custodian, offered.id)
    if "L220102-O" not in {loc.code for loc in api.custody.locations.list(custodian, "220102")}:
        api.custody.locations.add(custodian, "L220102-O", "开封库")
    who = api.add_user(unique("ng-witness-"), "220102", Department.POLICE_STATION, Role.INVESTIGATOR)
    first = api.custody.users.actor(who)
    seal = api.custody.seals.create(custodian, "L220102-O", numbers, first)
    return seal.seal_no, numbers, who


# ----------------------------------------------------------------------------------- check out, return


def test_an_item_is_checked_out_and_returned_from_its_page(api):
    number = firearm(api)
    clerk = logged_in(api, "ng-clerk")
    shown = clerk.get(f"/item/{number}")
    assert shown.status_code == 200
    assert 'id="checkout-form"' in shown.text and 'id="return-form"' in shown.text
    head = api.head_seq()
    out = post(
        clerk,
        f"/item/{number}/checkout",
        checkout(number, version_of(shown.text, f"/item/{number}/checkout")),
        f"/item/{number}",
    )
    assert out.status_code == 303 and out.headers["location"] == f"/item/{number}", out.text
    after = item(api, number)
    assert (after["state"], after["checkout"]) == (
        "checked_out",
        {"purpose": "lab", "to": "刑科所", "due_date": DUE},
    )
    assert api.head_seq() == head + 1
    shown = clerk.get(f"/item/{number}")
    assert "刑科所" in shown.text and "借出" in shown.text
    back = post(
        clerk,
        f"/item/{number}/return",
        {"version": version_of(shown.text, f"/item/{number}/return"), "note": "检验完毕"},
        f"/item/{number}",
    )
    assert back.status_code == 303, back.text
    assert item(api, number)["state"] == "registered" and api.head_seq() == head + 2
    timeline = api.custody.items.timeline(api.custody.users.actor("ng-clerk"), number)
    assert [row[2] for row in timeline.rows][:2] == ["returned", "checked_out"]


def test_the_acts_are_offered_to_whom_their_routes_admit(api):
    number = firearm(api)
    for who, offered in (("ng-clerk", True), ("ng-custodian", True), ("ng-auditor", False)):
        shown = logged_in(api, who).get(f"/item/{number}")
        assert shown.status_code == 200
        assert ('id="checkout-form"' in shown.text) is offered, who
        assert ('id="return-form"' in shown.text) is offered, who


def test_a_refused_act_shows_the_reason_by_its_field_and_writes_nothing(api):
    number = firearm(api)
    clerk = logged_in(api, "ng-clerk")
    page = f"/item/{number}"
    head = api.head_seq()
    past = post(clerk, f"/item/{number}/checkout", checkout(number, "1", due_date="2026-01-01"), page)
    assert past.status_code == 409 and 'role="alert"' in past.text, past.text
    assert 'value="刑科所"' in past.text  # the form keeps what was typed
    nobody = post(clerk, f"/item/{number}/checkout", checkout(number, "1", to=" "), page)
    assert nobody.status_code == 422 and 'id="to-refusal"' in nobody.text, nobody.text
    not_out = post(clerk, f"/item/{number}/return", {"version": "1"}, page)
    assert not_out.status_code == 409 and 'role="alert"' in not_out.text
    custodian = logged_in(api, "ng-custodian")  # an item in case custody leaves it through a clerk
    assert post(custodian, f"/item/{number}/checkout", checkout(number, "1"), page).status_code == 403
    assert api.head_seq() == head and item(api, number)["state"] == "registered"


def test_a_stale_version_is_refused_and_the_item_shown_as_it_stands(api):
    number = firearm(api)
    clerk, other = logged_in(api, "ng-clerk"), logged_in(api, "ng-clerk2")
    shown = clerk.get(f"/item/{number}")
    version = version_of(shown.text, f"/item/{number}/checkout")
    done = post(
        other,
        f"/item/{number}/checkout",
        checkout(number, version, to="法院", purpose="court"),
        f"/item/{number}",
    )
    assert done.status_code == 303
    head = api.head_seq()
    stale = clerk.post(
        f"/item/{number}/checkout", data={**checkout(number, version), "csrf": csrf_of(shown.text)}
    )
    assert stale.status_code == 409 and 'role="alert"' in stale.text, stale.text
    assert "法院" in stale.text  # who has it now
    assert version_of(stale.text, f"/item/{number}/return") == str(int(version) + 1)
    assert api.head_seq() == head and item(api, number)["checkout"]["to"] == "法院"


@pytest.mark.parametrize("act", ["checkout", "return"])
def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(api, act):
    number = firearm(api)
    clerk = logged_in(api, "ng-clerk")
    head = api.head_seq()
    answer = clerk.post(f"/item/{number}/{act}", data={**checkout(number, "1"), "csrf": "forged"})
    assert answer.status_code == 403 and 'role="alert"' in answer.text
    assert api.head_seq() == head and item(api, number)["state"] == "registered"


def test_out_of_scope_answers_exactly_like_missing(api):
    number = firearm(api)
    other = logged_in(api, "kc-clerk")
    head = api.head_seq()
    csrf = csrf_of(other.get("/").text)
    missing_no = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 999_999))
    for act in ("checkout", "return"):
        hidden = other.post(f"/item/{number}/{act}", data={**checkout(number, "1"), "csrf": csrf})
        missing = other.post(f"/item/{missing_no}/{act}", data={**checkout(missing_no, "1"), "csrf": csrf})
        assert hidden.status_code == missing.status_code == 404, hidden.text
        assert hidden.text.replace(number, "N") == missing.text.replace(missing_no, "N")
    assert api.head_seq() == head and item(api, number)["state"] == "registered"


# ------------------------------------------------------------------------------------------ close case


def test_a_case_is_closed_at_the_intake_desk(api):
    case_no, case2 = new_case(api), new_case(api)
    clerk = logged_in(api, "ng-clerk")
    desk = clerk.get("/intake/case")
    assert desk.status_code == 200 and 'action="/intake/case/close"' in desk.text
    head = api.head_seq()
    closed = post(clerk, "/intake/case/close", {"close_case_no": case_no}, "/intake/case")
    assert closed.status_code == 303, closed.text
    shown = clerk.get(closed.headers["location"])
    assert shown.status_code == 200 and case_no in shown.text and 'role="status"' in shown.text
    case = api.client.get(f"/api/v1/cases/{case_no}", headers=api.login("ng-clerk")).json()
    assert case["status"] == "closed"
    after = api.head_seq()
    again = post(clerk, "/intake/case/close", {"close_case_no": case_no}, "/intake/case")
    assert again.status_code == 409 and 'id="close_case_no-refusal"' in again.text, again.text
    assert api.head_seq() == after >= head
    unknown = post(clerk, "/intake/case/close", {"close_case_no": unique("无此案")}, "/intake/case")
    assert unknown.status_code == 404 and 'id="close_case_no-refusal"' in unknown.text
    other = logged_in(api, "kc-clerk")
    hidden = post(other, "/intake/case/close", {"close_case_no": case2}, "/intake/case")
    assert hidden.status_code == 404
    forged = clerk.post("/intake/case/close", data={"close_case_no": case2, "csrf": "forged"})
    assert forged.status_code == 403
    assert api.head_seq() == after
    assert api.client.get(f"/api/v1/cases/{case2}", headers=api.login("ng-clerk")).json()["status"] == "open"


# ------------------------------------------------------------------------------------------- open seal


def test_a_seal_is_opened_before_a_witness_typing_their_password(api):
    seal_no, numbers, who = sealed(api)
    custodian = logged_in(api, "ng-custodian")
    page = f"/seal/{seal_no}"
    shown = custodian.get(page)
    assert shown.status_code == 200 and f'action="/seal/{seal_no}/open"' in shown.text
    assert 'action="/seal/' not in logged_in(api, "ng-clerk").get(page).text  # not a clerk's act
    head = api.head_seq()
    body = {"reason": "送检", "witness": who}
    wrong = post(custodian, f"/seal/{seal_no}/open", {**body, "witness_password": "nope"}, page)
    assert wrong.status_code == 422 and 'id="witness_password-refusal"' in wrong.text, wrong.text
    assert f'value="{who}"' in wrong.text and 'value="送检"' in wrong.text
    oneself = {**body, "witness": "ng-custodian", "witness_password": PASSWORD}
    assert post(custodian, f"/seal/{seal_no}/open", oneself, page).status_code == 422
    forged = custodian.post(f"/seal/{seal_no}/open", data={**body, "witness_password": PASSWORD, "csrf": "x"})
    assert forged.status_code == 403
    assert api.head_seq() == head
    opened = post(custodian, f"/seal/{seal_no}/open", {**body, "witness_password": PASSWORD}, page)
    assert opened.status_code == 303 and opened.headers["location"] == page, opened.text
    seal = api.client.get(f"/api/v1/seals/{seal_no}", headers=api.login("ng-custodian")).json()
    assert seal["status"] == "void"
    assert {item(api, n)["state"] for n in numbers} == {"handed_over"}
    assert api.head_seq() == head + len(numbers)
    again = post(custodian, f"/seal/{seal_no}/open", {**body, "witness_password": PASSWORD}, page)
    assert again.status_code == 409 and 'role="alert"' in again.text
    assert api.head_seq() == head + len(numbers)


def test_a_seal_out_of_scope_is_missing(api):
    seal_no, numbers, who = sealed(api)
    other = logged_in(
        api, api.add_user(unique("kc-custodian-"), "220103", Department.PUBLIC_ORDER, Role.CUSTODIAN)
    )
    csrf = csrf_of(other.get("/").text)
    head = api.head_seq()
    body = {"reason": "送检", "witness": who, "witness_password": PASSWORD, "csrf": csrf}
    hidden = other.post(f"/seal/{seal_no}/open", data=body)
    assert hidden.status_code == 404 and other.get(f"/seal/{seal_no}").status_code == 404, hidden.text
    assert api.head_seq() == head and {item(api, n)["state"] for n in numbers} == {"sealed"}


# ------------------------------------------------------------------------ a tag written, the page updated


def test_a_tag_written_from_the_item_page_updates_its_tag_acts_and_timeline(api):
    number = firearm(api)
    station, _key = api.custody.stations.add(
        api.custody.users.actor("admin"),
        unique("ng-actdesk-"),
        "220102",
        Department.EVIDENCE_ROOM,
        ["reader-1"],
    )
    clerk = logged_in(api, "ng-clerk")
    htmx = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/item/{number}"}
    asked = clerk.post(
        f"/item/{number}/tag-jobs",
        data={"station": station.name, "csrf": csrf_of(clerk.get(f"/item/{number}").text)},
        headers=htmx,
    )
    job_id = int(re.search(r'id="tag-job-(\d+)"', asked.text).group(1))  # type: ignore[union-attr]
    jobs = api.custody.tag_jobs
    jobs.take(station, station.name, job_id, "reader-1")
    taken = clerk.get(f"/tag-jobs/{job_id}?seen=pending", headers=htmx)
    assert taken.status_code == 200 and "hx-swap-oob" not in taken.text  # nothing bound yet
    jobs.report(station, station.name, job_id, TagResult(True, uid=UID, tag_type="NTAG215"), "reader-1")
    done = clerk.get(f"/tag-jobs/{job_id}?seen=taken", headers=htmx)
    assert done.status_code == 200
    assert f'<dd id="item-tag" hx-swap-oob="true">{UID}</dd>' in done.text
    assert 'id="timeline-table" hx-swap-oob="true"' in done.text and "绑定标签" in done.text
    assert 'id="item-acts"' in done.text and version_of(done.text, f"/item/{number}/checkout") == "2"
    elsewhere = {**htmx, "HX-Current-URL": f"http://testserver/tag-jobs/{job_id}"}
    assert "hx-swap-oob" not in clerk.get(f"/tag-jobs/{job_id}?seen=taken", headers=elsewhere).text
