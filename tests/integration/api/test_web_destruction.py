"""The destruction desks over plain HTTP, on SQLite and PostgreSQL: a city's custodian applies for sealed
items of the disposition queue by checkboxes, withdraws; the province's destruction officer refuses an
application, builds a batch that another provincial officer approves at the same desk with their own
password; the site desk records two witnesses (each with their own password), opens the site, scans the
items out (in place through htmx, and as a plain form), counts a lot, keeps photos uploaded as a form
(larger than the usual body limit) and serves them back, closes the batch and downloads its report as a
PDF. Each act is seen in the API; each refusal shows the core's reason and writes nothing; a form
without its CSRF token is refused; out of scope answers exactly like missing."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from typing import Any

import pdfplumber
import pytest
from api_harness import PASSWORD, START, Harness
from batch_report_world import APPROVER, FAR_CUSTODIAN, add_readers, png
from destruction_world import OFFICER, WITNESS, Sealed, sealed_items
from fastapi.testclient import TestClient
from page_harness import csrf_of, logged_in

CITY = "cc-custodian"  # Changchun's custodian applies for the Nanguan county's store below it
INSIDE, OUTSIDE = "ng-auditor", "kc-clerk"  # witnesses: of the owning unit, and of another county
JPEG = b"\xff\xd8\xff\xe0" + bytes(512)


@pytest.fixture(scope="module")
def people(module_api: Harness) -> Harness:
    add_readers(module_api.custody)
    module_api.give_passwords(OFFICER, APPROVER, FAR_CUSTODIAN, WITNESS)
    return module_api


@pytest.fixture
def api(people: Harness) -> Iterator[Harness]:
    people.clock.set(START)
    yield people
    people.clock.set(START)


def post(client: TestClient, path: str, data: dict[str, Any], **more: Any) -> Any:
    """A form sent as a browser sends it: with the session's CSRF token from the desk's page."""
    token = csrf_of(client.get("/destruction").text)
    return client.post(path, data={**data, "csrf": token}, **more)


def application(api: Harness, sealed: Sealed) -> int:
    return api.custody.applications.apply(api.custody.users.actor(CITY), "220100", sealed.numbers).id


def batch(api: Harness, applications: list[int]) -> int:
    officer = api.custody.users.actor(OFFICER)
    return api.custody.batches.create(officer, "smelting", "长春钢厂", "2026-04-15", applications).id


def approved(api: Harness, sealed: Sealed) -> int:
    made = batch(api, [application(api, sealed)])
    api.custody.batches.approve(api.custody.users.actor(OFFICER), made, api.custody.users.actor(APPROVER))
    return made


def open_site(api: Harness, sealed: Sealed) -> int:
    made = approved(api, sealed)
    officer = api.custody.users.actor(OFFICER)
    for person in (INSIDE, OUTSIDE):
        api.custody.batch_site.witness(officer, made, api.custody.users.actor(person))
    api.custody.batch_site.open(officer, made, "cutting", "长春钢厂切割车间")
    return made


def api_get(api: Harness, path: str, username: str = OFFICER) -> Any:
    answer = api.client.get(f"/api/v1{path}", headers=api.login(username))
    assert answer.status_code == 200, answer.text
    return answer.json()


# ------------------------------------------------------------------------------------ applications


def test_the_desk_lists_the_queue_and_a_city_applies_by_checkboxes(api: Harness):
    sealed = sealed_items(api.custody)
    client = logged_in(api, CITY)
    desk = client.get("/destruction?within=3660")
    assert desk.status_code == 200, desk.text
    for number in sealed.numbers:
        assert f'name="evidence_nos" value="{number}"' in desk.text
    assert 'action="/destruction/applications"' in desk.text
    assert 'action="/destruction/batches"' not in desk.text  # a custodian builds no batch
    head = api.head_seq()
    answer = post(
        client, "/destruction/applications", {"unit_code": "220100", "evidence_nos": sealed.numbers}
    )
    assert answer.status_code == 303, answer.text
    application_id = int(answer.headers["location"].rsplit("/", 1)[1])
    assert api.head_seq() == head + 2  # one nominated event per item
    shown = client.get(answer.headers["location"])
    assert shown.status_code == 200
    assert "待省厅审批" in shown.text and all(n in shown.text for n in sealed.numbers)
    made = api_get(api, f"/destruction-applications/{application_id}")
    assert made["status"] == "open" and made["applicant"] == CITY
    assert {i["state"] for i in made["items"]} == {"nominated"}
    assert f'href="/application/{application_id}"' in client.get("/destruction?within=3660").text


def test_a_refused_application_names_each_item_beside_its_row_and_writes_nothing(api: Harness):
    sealed = sealed_items(api.custody)
    sample = sealed.samples[0].evidence_no
    client = logged_in(api, CITY)
    head = api.head_seq()
    answer = post(
        client,
        "/destruction/applications",
        {"unit_code": "220100", "evidence_nos": [*sealed.numbers, sample], "within": 3660},
    )
    assert answer.status_code == 409, answer.text
    assert 'role="alert"' in answer.text
    assert f'id="apply-{sample}-refusal"' in answer.text  # beside the row of the refused item
    assert "样本" in answer.text  # the core's reason, in Chinese
    assert api.head_seq() == head
    wrong_unit = post(
        client, "/destruction/applications", {"unit_code": "220102", "evidence_nos": sealed.numbers}
    )
    assert wrong_unit.status_code == 403 and 'role="alert"' in wrong_unit.text
    assert api.head_seq() == head


def test_its_applicant_withdraws_and_the_province_refuses_with_a_reason(api: Harness):
    city = logged_in(api, CITY)
    first = application(api, sealed_items(api.custody))
    page = city.get(f"/application/{first}")
    assert f'action="/application/{first}/withdraw"' in page.text
    assert f'action="/application/{first}/refuse"' not in page.text
    answer = post(city, f"/application/{first}/withdraw", {"reason": "补充材料"})
    assert answer.status_code == 303
    assert api_get(api, f"/destruction-applications/{first}")["status"] == "withdrawn"

    second = application(api, sealed_items(api.custody))
    officer = logged_in(api, OFFICER)
    assert f'action="/application/{second}/refuse"' in officer.get(f"/application/{second}").text
    head = api.head_seq()
    no_reason = post(officer, f"/application/{second}/refuse", {"reason": ""})
    assert no_reason.status_code == 422
    assert 'id="refuse-reason-refusal"' in no_reason.text and api.head_seq() == head
    refused = post(officer, f"/application/{second}/refuse", {"reason": "样本记录不全"})
    assert refused.status_code == 303
    decided = api_get(api, f"/destruction-applications/{second}")
    assert (decided["status"], decided["decision_reason"]) == ("refused", "样本记录不全")
    again = post(officer, f"/application/{second}/refuse", {"reason": "再次"})
    assert again.status_code == 409 and 'role="alert"' in again.text


# ------------------------------------------------------------------------------------------ batches


def test_the_officer_builds_a_batch_and_another_officer_approves_it_with_their_password(api: Harness):
    first = application(api, sealed_items(api.custody))
    second = application(api, sealed_items(api.custody))
    officer = logged_in(api, OFFICER)
    desk = officer.get("/destruction")
    assert f'name="applications" value="{first}"' in desk.text
    head = api.head_seq()
    no_place = post(
        officer,
        "/destruction/batches",
        {"method": "smelting", "place": "", "date": "2026-04-15", "applications": [first]},
    )
    assert no_place.status_code == 422 and 'id="batch-place-refusal"' in no_place.text
    assert api.head_seq() == head
    made = post(
        officer,
        "/destruction/batches",
        {"method": "smelting", "place": "长春钢厂", "date": "2026-04-15", "applications": [first]},
    )
    assert made.status_code == 303, made.text
    batch_id = int(made.headers["location"].rsplit("/", 1)[1])
    page = officer.get(f"/batch/{batch_id}")
    assert page.status_code == 200 and f'value="{second}"' in page.text
    added = post(officer, f"/batch/{batch_id}/applications", {"applications": [second]})
    assert added.status_code == 303
    assert api_get(api, f"/destruction-batches/{batch_id}")["applications"] == [first, second]

    head = api.head_seq()
    for username, password in ((OFFICER, PASSWORD), (APPROVER, "wrong password"), ("", "")):
        refused = post(
            officer,
            f"/batch/{batch_id}/approve",
            {"approver_username": username, "approver_password": password},
        )
        assert refused.status_code == 422, (username, refused.text)
        assert 'id="approve-approver_password-refusal"' in refused.text and "第二确认人未确认" in refused.text
        assert api.head_seq() == head
    builder = logged_in(api, APPROVER)  # the builder may not approve, even as the second person
    refused = post(
        builder, f"/batch/{batch_id}/approve", {"approver_username": OFFICER, "approver_password": PASSWORD}
    )
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    assert api.head_seq() == head
    done = post(
        officer, f"/batch/{batch_id}/approve", {"approver_username": APPROVER, "approver_password": PASSWORD}
    )
    assert done.status_code == 303, done.text
    shown = api_get(api, f"/destruction-batches/{batch_id}")
    assert shown["approved_by"] == APPROVER and {i["state"] for i in shown["items"]} == {"approved"}
    assert f'href="/batch/{batch_id}"' in officer.get("/destruction").text


# --------------------------------------------------------------------------------------- the site


def test_the_site_desk_from_witnesses_to_the_closed_batch_and_its_report(api: Harness):
    sealed = sealed_items(api.custody)
    gun, ammo = sealed.numbers
    batch_id = approved(api, sealed)
    rounds = api.custody.items.item(None, ammo).quantity_rounds
    officer = logged_in(api, OFFICER)
    site = officer.get(f"/batch/{batch_id}/site")
    assert site.status_code == 200, site.text
    assert 'id="witness-witness_username"' in site.text and "<progress" in site.text

    head = api.head_seq()
    in_chain = post(
        officer, f"/batch/{batch_id}/witnesses", {"witness_username": WITNESS, "witness_password": PASSWORD}
    )
    assert in_chain.status_code == 409 and 'role="alert"' in in_chain.text
    wrong = post(
        officer, f"/batch/{batch_id}/witnesses", {"witness_username": INSIDE, "witness_password": "nope"}
    )
    assert wrong.status_code == 422 and 'id="witness-witness_password-refusal"' in wrong.text
    assert "见证人未确认" in wrong.text  # who was not confirmed, in the reader's language
    early = post(officer, f"/batch/{batch_id}/site", {"method": "cutting", "place": "长春钢厂"})
    assert early.status_code == 409 and "见证" in early.text
    assert api.head_seq() == head
    for person in (INSIDE, OUTSIDE):
        witnessed = post(
            officer,
            f"/batch/{batch_id}/witnesses",
            {"witness_username": person, "witness_password": PASSWORD},
        )
        assert witnessed.status_code == 303, witnessed.text
    assert {w["username"] for w in api_get(api, f"/destruction-batches/{batch_id}/site")["witnesses"]} == {
        INSIDE,
        OUTSIDE,
    }
    opened = post(officer, f"/batch/{batch_id}/site", {"method": "cutting", "place": "长春钢厂切割车间"})
    assert opened.status_code == 303
    site = officer.get(f"/batch/{batch_id}/site")
    assert 'id="site-code"' in site.text and 'hx-trigger="every 2s' in site.text
    assert 'value="0" max="2"' in site.text

    # reads: in place through htmx (a finding, an uncounted lot, a destruction), and as a plain form
    in_place = {"HX-Request": "true"}
    unknown = post(officer, f"/batch/{batch_id}/site/reads", {"code": "NOT-A-CODE"}, headers=in_place)
    assert unknown.status_code == 200 and "<html" not in unknown.text
    assert unknown.headers["x-site-read"] == "unknown" and unknown.headers["hx-trigger"] == "site-read"
    uncounted = post(officer, f"/batch/{batch_id}/site/reads", {"code": ammo}, headers=in_place)
    assert uncounted.headers["x-site-read"] == "uncounted"
    destroyed = post(officer, f"/batch/{batch_id}/site/reads", {"code": gun.lower()}, headers=in_place)
    assert destroyed.headers["x-site-read"] == "destroyed" and "已销毁" in destroyed.text
    progress = officer.get(f"/batch/{batch_id}/site/progress")
    assert progress.status_code == 200 and "<html" not in progress.text
    assert 'value="1" max="2"' in progress.text and "NOT-A-CODE" in progress.text
    head = api.head_seq()
    miscount = post(officer, f"/batch/{batch_id}/counts", {"evidence_no": ammo, "rounds": rounds - 1})
    assert miscount.status_code == 303 and api.head_seq() == head  # a finding writes nothing
    assert "与记录不符" in officer.get(f"/batch/{batch_id}/site/progress").text
    not_a_lot = post(officer, f"/batch/{batch_id}/counts", {"evidence_no": gun, "rounds": 1})
    assert not_a_lot.status_code == 409 and 'role="alert"' in not_a_lot.text
    counted = post(officer, f"/batch/{batch_id}/site/reads", {"code": ammo, "rounds": rounds})
    assert counted.status_code == 303
    assert api.head_seq() == head + 1
    assert 'value="2" max="2"' in officer.get(f"/batch/{batch_id}/site/progress").text

    # photos: uploaded as a form, over the usual 1 MiB body limit, served back byte for byte
    large = b"\xff\xd8\xff\xe0" + bytes(2 * 1024 * 1024)
    kept = post(
        officer,
        f"/batch/{batch_id}/photos",
        {"evidence_no": gun, "stage": "after"},
        files={"photo": ("gun.jpg", large, "image/jpeg")},
    )
    assert kept.status_code == 303, kept.text
    sha = hashlib.sha256(large).hexdigest()
    assert [p["sha256"] for p in api_get(api, f"/destruction-batches/{batch_id}/photos")] == [sha]
    site = officer.get(f"/batch/{batch_id}/site")
    assert f'src="/batch/{batch_id}/photos/{sha}"' in site.text
    served = logged_in(api, "ng-custodian").get(f"/batch/{batch_id}/photos/{sha}")
    assert (served.status_code, served.content) == (200, large)
    assert served.headers["content-type"] == "image/jpeg"
    head = api.head_seq()
    not_an_image = post(
        officer,
        f"/batch/{batch_id}/photos",
        {"evidence_no": gun, "stage": "after"},
        files={"photo": ("x.gif", b"GIF89a" + bytes(9), "image/gif")},
    )
    assert not_an_image.status_code == 422 and 'id="photo-photo-refusal"' in not_an_image.text
    before_of_destroyed = post(
        officer,
        f"/batch/{batch_id}/photos",
        {"evidence_no": gun, "stage": "before"},
        files={"photo": ("gun.png", png((1, 2, 3)), "image/png")},
    )
    assert before_of_destroyed.status_code == 409 and 'role="alert"' in before_of_destroyed.text
    assert api.head_seq() == head

    closed = post(officer, f"/batch/{batch_id}/close", {})
    assert closed.status_code == 303
    assert api_get(api, f"/destruction-batches/{batch_id}/site")["status"] == "closed"
    site = officer.get(f"/batch/{batch_id}/site")
    assert "hx-trigger" not in site.text  # a closed site is not polled
    assert f'href="/batch/{batch_id}/report.pdf"' in site.text
    report = officer.get(f"/batch/{batch_id}/report.pdf")
    assert report.status_code == 200 and report.headers["content-type"] == "application/pdf"
    assert report.headers["x-ledger-point"]
    with pdfplumber.open(io.BytesIO(report.content)) as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert gun in text and ammo in text


def test_a_site_read_refused_by_the_core_answers_in_place_and_writes_nothing(api: Harness):
    batch_id = approved(api, sealed_items(api.custody))  # approved, its site not open
    officer = logged_in(api, OFFICER)
    head = api.head_seq()
    answer = post(officer, f"/batch/{batch_id}/site/reads", {"code": "X"}, headers={"HX-Request": "true"})
    assert answer.status_code == 409 and answer.headers["x-site-read"] == "refused"
    assert "<html" not in answer.text and "现场" in answer.text
    plain = post(officer, f"/batch/{batch_id}/site/reads", {"code": "X"})
    assert plain.status_code == 409 and "<html" in plain.text and 'role="alert"' in plain.text
    assert api.head_seq() == head


def test_withdrawing_an_item_lets_the_batch_close(api: Harness):
    sealed = sealed_items(api.custody)
    gun, ammo = sealed.numbers
    batch_id = open_site(api, sealed)
    officer = logged_in(api, OFFICER)
    head = api.head_seq()
    early = post(officer, f"/batch/{batch_id}/close", {})
    assert early.status_code == 409 and gun in early.text and api.head_seq() == head
    no_reason = post(officer, f"/batch/{batch_id}/withdrawals", {"evidence_no": ammo, "reason": ""})
    assert no_reason.status_code == 409 and api.head_seq() == head
    for number in (gun, ammo):
        done = post(
            officer, f"/batch/{batch_id}/withdrawals", {"evidence_no": number, "reason": "数量待复核"}
        )
        assert done.status_code == 303, done.text
    assert post(officer, f"/batch/{batch_id}/close", {}).status_code == 303
    assert {i["state"] for i in api_get(api, f"/destruction-batches/{batch_id}")["items"]} == {"sealed"}


# ----------------------------------------------------------------------------- CSRF and scope


@pytest.mark.parametrize(
    "path",
    ["/destruction/applications", "/destruction/batches", "/batch/{b}/approve", "/batch/{b}/site/reads"],
)
def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(api: Harness, path: str):
    sealed = sealed_items(api.custody)
    batch_id = open_site(api, sealed)
    client = logged_in(api, CITY if path == "/destruction/applications" else OFFICER)
    client.get("/destruction")
    head = api.head_seq()
    data = {
        "unit_code": "220100",
        "evidence_nos": sealed.numbers,
        "method": "smelting",
        "place": "x",
        "date": "2026-04-15",
        "applications": [1],
        "approver_username": APPROVER,
        "approver_password": PASSWORD,
        "code": sealed.gun.evidence_no,
        "csrf": "forged",
    }
    answer = client.post(path.format(b=batch_id), data=data)
    assert answer.status_code == 403 and 'role="alert"' in answer.text
    assert api.head_seq() == head


@pytest.mark.parametrize(
    "path",
    [
        "/application/{a}",
        "/batch/{b}",
        "/batch/{b}/site",
        "/batch/{b}/site/progress",
        "/batch/{b}/report.pdf",
    ],
)
def test_out_of_scope_answers_exactly_like_missing(api: Harness, path: str):
    sealed = sealed_items(api.custody)
    batch_id = open_site(api, sealed)
    application_id = api_get(api, f"/destruction-batches/{batch_id}")["applications"][0]
    far = logged_in(api, FAR_CUSTODIAN)  # Jilin City's custodian: the batch is not of its units
    hidden = far.get(path.format(a=application_id, b=batch_id))
    missing = far.get(path.format(a=999_999, b=999_999))
    assert hidden.status_code == missing.status_code == 404
    assert main_of(hidden.text, application_id, batch_id) == main_of(missing.text, 999_999)


def main_of(html: str, *numbers: int) -> str:
    """The page's main part with the numbers asked for written as N (the rest of a page carries its
    session's CSRF token)."""
    main = html[html.index("<main") : html.index("</main>")]
    for number in numbers:
        main = re.sub(rf"(?<![0-9A-Za-z]){number}(?![0-9A-Za-z])", "N", main)  # not the 1 of <h1>
    return main


def test_the_menu_leads_custodians_and_officers_to_the_desk_and_not_clerks(api: Harness):
    assert 'href="/destruction"' in logged_in(api, CITY).get("/").text
    assert 'href="/destruction"' in logged_in(api, OFFICER).get("/").text
    clerk = logged_in(api, "ng-clerk")
    assert 'href="/destruction"' not in clerk.get("/").text
    assert clerk.get("/destruction").status_code == 403


def test_the_desk_in_english_names_the_core_values_in_english(api: Harness):
    application(api, sealed_items(api.custody))
    client = logged_in(api, OFFICER)
    client.get("/lang/en?next=/destruction")
    desk = client.get("/destruction")
    assert '<html lang="en">' in desk.text and "Awaiting the province" in desk.text
    assert "Build the batch" in desk.text


FIELD = re.compile(r'<(?:input|select|textarea|button)[^>]*?(?:name|id)="([^"]+)"')
KEY = re.compile(r"\b(?:state|role|event|kind)\.[a-z_]+\b")


@pytest.mark.parametrize("path", ["/destruction", "/application/{a}", "/batch/{b}", "/batch/{b}/site"])
def test_chinese_and_english_pages_carry_the_same_fields_and_no_message_key(api: Harness, path: str):
    sealed = sealed_items(api.custody)
    batch_id = approved(api, sealed)
    application_id = api_get(api, f"/destruction-batches/{batch_id}")["applications"][0]
    client = logged_in(api, OFFICER)
    where = path.format(a=application_id, b=batch_id)
    chinese = client.get(where).text
    client.get(f"/lang/en?next={where}")
    english = client.get(where).text
    assert '<html lang="en">' in english and chinese != english
    assert FIELD.findall(chinese) == FIELD.findall(english)
    for text in (chinese, english):
        assert KEY.findall(text[text.index("<main") :]) == []
