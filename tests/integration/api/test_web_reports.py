"""The reports page over plain HTTP, on SQLite and PostgreSQL: each report is offered to the roles its API
route admits and to no one else; each downloads from the page exactly as from the API (content type,
file name, ledger point, the same CSV), its PDF read back showing its evidence number, period, batch or
letter; a tracing letter is issued at the page and downloaded; a refusal of the core comes back as the
page with the reason beside the field, in the reader's language, writing nothing; a form without its
CSRF token is refused; another unit's item, batch, letter or unit answers exactly like a missing one."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pdfplumber
import pytest
from api_harness import START, Harness
from batch_report_world import FAR_CUSTODIAN, STATISTICS, ClosedBatch, add_readers, closed_batch
from destruction_world import OFFICER
from fastapi.testclient import TestClient
from page_harness import csrf_of, logged_in
from seal_world import accepted_items

from custody.intake import FirearmIntake
from custody.numbers import EvidenceNumber, ItemKind
from custody.services import Custody

SECTION = re.compile(r'<section class="report" id="([a-z-]+)"')
REFUSAL = re.compile(r'<span class="field-refusal" id="([a-z_-]+)-refusal">([^<]*)</span>')
MISSING = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 999_999))  # never issued here


@dataclass(frozen=True)
class World:
    """What the reports read: an item of Nanguan in store (its handover accepted), one of Jilin city,
    a closed destruction batch, and a tracing letter about the Nanguan item."""

    item: str
    far_item: str
    handover: int
    batch: ClosedBatch
    letter: int


@pytest.fixture(scope="module")
def world(module_api: Harness) -> World:
    custody: Custody = module_api.custody
    add_readers(custody)
    module_api.give_passwords(OFFICER, STATISTICS, FAR_CUSTODIAN)
    batch = closed_batch(custody, module_api.clock)
    module_api.clock.set(START)
    item = accepted_items(custody, 1)[0].evidence_no
    clerk = custody.users.actor("ng-clerk")
    handover = custody.handovers.list(clerk, None).rows[0].id
    far_clerk = custody.users.actor("jl-clerk")
    custody.cases.open(far_clerk, "吉市公刑字〔2026〕900号", "非法持有枪支案")
    far_item = custody.items.register_firearm(
        far_clerk, "吉市公刑字〔2026〕900号", FirearmIntake("手枪", "64式", "64-900", "7.65mm", True)
    ).evidence_no
    letter = custody.tracing_letters.issue(clerk, item, "吉林市公安局刑侦支队").point.seq
    return World(item, far_item, handover, batch, letter)


@pytest.fixture
def api(module_api: Harness, world: World) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


def offered(client: TestClient) -> set[str]:
    answer = client.get("/reports")
    assert answer.status_code == 200, answer.text
    return set(SECTION.findall(answer.text))


def refusals(html: str) -> dict[str, str]:
    """The refusals shown beside fields, by the field's id."""
    return dict(REFUSAL.findall(html))


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


# ------------------------------------------------------------------------------------------ offered


@pytest.mark.parametrize(
    ("username", "reports"),
    [
        ("ng-clerk", {"custody", "slip", "new-letter", "letter"}),
        ("ng-investigator", {"custody", "slip", "new-letter", "letter"}),
        ("ng-custodian", {"custody", "slip", "batch"}),
        ("ng-auditor", {"custody", "slip", "batch", "monthly", "quarterly"}),
        (OFFICER, {"slip", "batch", "monthly", "quarterly"}),
        (STATISTICS, {"slip", "batch", "monthly", "quarterly"}),
    ],
)
def test_each_report_is_offered_to_the_roles_its_api_route_admits(api, username, reports):
    client = logged_in(api, username)
    assert offered(client) == reports
    home = client.get("/").text
    assert 'href="/reports"' in home  # the menu links the page


def test_a_user_who_may_read_no_report_has_no_reports_page(api):
    admin = logged_in(api, "admin")
    answer = admin.get("/reports")
    assert answer.status_code == 403 and 'role="alert"' in answer.text
    assert 'href="/reports"' not in admin.get("/").text
    assert admin.get(f"/reports/custody?evidence_no={MISSING}").status_code == 403


def test_the_page_labels_every_field_and_focuses_the_first(api):
    html = logged_in(api, "ng-auditor").get("/reports").text
    ids = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', html)
    assert ids and all(f'<label for="{i}">' in html for i in ids)
    assert len(ids) == len(set(ids))
    assert html.count(" autofocus") == 1 and re.search(r'id="custody-evidence_no"[^>]* autofocus', html)
    assert 'value="2026-02"' in html and 'value="2025-Q4"' in html  # the last month and quarter ended


# ---------------------------------------------------------------------------------------- downloads


def same_download(page: Any, api_answer: Any, name: str, media: str) -> None:
    assert page.status_code == 200, page.text[:600]
    assert api_answer.status_code == 200, api_answer.text
    assert page.headers["content-type"] == api_answer.headers["content-type"]
    assert page.headers["content-type"].startswith(media)
    assert page.headers["content-disposition"] == api_answer.headers["content-disposition"]
    assert page.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert page.headers.get("x-ledger-point") == api_answer.headers.get("x-ledger-point")


def test_the_chain_of_custody_downloads_as_the_api_makes_it(api, world):
    client, token = logged_in(api, "ng-custodian"), api.login("ng-custodian")
    head = api.head_seq()
    pdf = client.get(f"/reports/custody?evidence_no={world.item}&format=pdf&as_of=")
    twin = api.client.get(f"/api/v1/reports/custody/{world.item}", headers=token)
    same_download(pdf, twin, f"custody-{world.item}-{head}.pdf", "application/pdf")
    text = pdf_text(pdf.content)
    assert world.item in text and "证据保管链" in text
    rows = client.get(f"/reports/custody?evidence_no={world.item.lower()}&format=csv&as_of={head - 1}")
    twin = api.client.get(f"/api/v1/reports/custody/{world.item}?format=csv&as_of={head - 1}", headers=token)
    same_download(rows, twin, f"custody-{world.item}-{head - 1}.csv", "text/csv")
    assert rows.content == twin.content
    assert any(world.item in row for row in csv_rows(rows.content)[1:])
    assert api.head_seq() == head


def test_the_handover_slip_downloads_as_the_api_makes_it(api, world):
    client, token = logged_in(api, "ng-clerk"), api.login("ng-clerk")
    name = f"handover-{world.handover}-slip"
    pdf = client.get(f"/reports/handover-slip?handover_id={world.handover}")
    twin = api.client.get(f"/api/v1/handovers/{world.handover}/slip", headers=token)
    same_download(pdf, twin, f"{name}.pdf", "application/pdf")
    assert "移交清单" in pdf_text(pdf.content) and world.item in pdf_text(pdf.content)
    rows = client.get(f"/reports/handover-slip?handover_id={world.handover}&format=csv")
    twin = api.client.get(f"/api/v1/handovers/{world.handover}/slip?format=csv", headers=token)
    same_download(rows, twin, f"{name}.csv", "text/csv")
    assert rows.content == twin.content and world.item in rows.content.decode("utf-8-sig")


def test_the_batch_report_downloads_as_the_api_makes_it(api, world):
    batch = world.batch
    for username in ("ng-custodian", OFFICER, STATISTICS):
        client, token = logged_in(api, username), api.login(username)
        pdf = client.get(f"/reports/batch?batch_id={batch.batch_id}&format=pdf&as_of=")
        twin = api.client.get(f"/api/v1/reports/batches/{batch.batch_id}", headers=token)
        same_download(pdf, twin, f"batch-{batch.batch_id}-report.pdf", "application/pdf")
        text = pdf_text(pdf.content)
        assert "枪支弹药销毁报告" in text and batch.first.gun.evidence_no in text
    rows = client.get(f"/reports/batch?batch_id={batch.batch_id}&format=csv&as_of={batch.middle}")
    twin = api.client.get(
        f"/api/v1/reports/batches/{batch.batch_id}?format=csv&as_of={batch.middle}", headers=token
    )
    same_download(rows, twin, f"batch-{batch.batch_id}-report.csv", "text/csv")
    assert rows.content == twin.content and rows.headers["x-ledger-point"].startswith(f"{batch.middle}:")


@pytest.mark.parametrize(
    ("kind", "period", "label"), [("monthly", "month", "2026-03"), ("quarterly", "quarter", "2026-Q1")]
)
def test_the_statistics_download_as_the_api_makes_them(api, world, kind, period, label):
    client, token = logged_in(api, STATISTICS), api.login(STATISTICS)
    pdf = client.get(f"/reports/{kind}?{period}={label}&unit=&format=pdf&as_of=")
    twin = api.client.get(f"/api/v1/reports/{kind}?{period}={label}", headers=token)
    same_download(pdf, twin, f"statistics-{label}-220000.pdf", "application/pdf")
    assert f"period: {label}" in pdf_text(pdf.content)
    rows = client.get(f"/reports/{kind}?{period}={label}&unit=220102&format=csv")
    twin = api.client.get(f"/api/v1/reports/{kind}?{period}={label}&unit=220102&format=csv", headers=token)
    same_download(rows, twin, f"statistics-{label}-220102.csv", "text/csv")
    assert rows.content == twin.content
    header, *lines = csv_rows(rows.content)
    assert header[-1] == "ledger_point" and lines
    assert {line[0] for line in lines} == {label} and "220102" in {line[1] for line in lines}


def test_a_tracing_letter_is_issued_at_the_page_and_downloaded(api, world):
    client = logged_in(api, "ng-investigator")
    head = api.head_seq()
    form = {
        "evidence_no": world.item,
        "addressee": "长春市公安局刑侦支队",
        "request": "",
        "reply_by": "2026-04-01",
    }
    answer = client.post(
        "/reports/tracing-letters", data={**form, "csrf": csrf_of(client.get("/reports").text)}
    )
    assert answer.status_code == 303, answer.text
    assert api.head_seq() == head + 1
    seq = head + 1
    assert answer.headers["location"] == f"/reports?letter={seq}"
    shown = client.get(answer.headers["location"])
    assert shown.status_code == 200 and 'role="status"' in shown.text
    assert re.search(r'id="issued-pdf"[^>]* autofocus', shown.text) and shown.text.count(" autofocus") == 1
    reference = api.custody.tracing_letters.get(None, seq).reference
    assert (
        reference in shown.text
        and f'href="/reports/tracing-letter?letter={seq}&amp;format=pdf"' in shown.text
    )
    token = api.login("ng-investigator")
    pdf = client.get(f"/reports/tracing-letter?letter={seq}")
    twin = api.client.get(f"/api/v1/reports/tracing-letters/{seq}", headers=token)
    same_download(pdf, twin, f"tracing-letter-{seq}.pdf", "application/pdf")
    text = pdf_text(pdf.content)
    assert reference in text and world.item in text and "长春市公安局刑侦支队" in text
    rows = client.get(f"/reports/tracing-letter?letter={world.letter}&format=csv")
    twin = api.client.get(f"/api/v1/reports/tracing-letters/{world.letter}?format=csv", headers=token)
    same_download(rows, twin, f"tracing-letter-{world.letter}.csv", "text/csv")
    assert rows.content == twin.content


# ----------------------------------------------------------------------------------------- refusals


def refused(answer: Any, status: int, field: str) -> str:
    """The page again, with the core's reason at the top and beside ``field``: its text."""
    assert answer.status_code == status, answer.text[:600]
    assert answer.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in answer.text and '<section class="report"' in answer.text
    beside = refusals(answer.text)
    assert list(beside) == [field], beside
    assert re.search(rf'id="{field}"[^>]* aria-invalid="true"[^>]* autofocus', answer.text)
    return beside[field]


def test_an_unknown_item_is_refused_beside_its_field_in_the_readers_language(api, world):
    head = api.head_seq()
    chinese = refused(
        logged_in(api, "ng-clerk").get(f"/reports/custody?evidence_no={MISSING}"), 404, "custody-evidence_no"
    )
    english = refused(
        logged_in(api, "ng-clerk", "en").get(f"/reports/custody?evidence_no={MISSING}"),
        404,
        "custody-evidence_no",
    )
    assert MISSING in chinese and MISSING in english and chinese != english
    assert re.search("[\u4e00-\u9fff]", chinese) and not re.search("[\u4e00-\u9fff]", english)
    sent_back = logged_in(api, "ng-clerk").get(f"/reports/custody?evidence_no={MISSING}&format=csv").text
    assert f'value="{MISSING}"' in sent_back and '<option value="csv" selected>' in sent_back
    malformed = logged_in(api, "ng-clerk").get("/reports/custody?evidence_no=F2201")
    assert refused(malformed, 422, "custody-evidence_no")
    assert api.head_seq() == head


def test_another_units_objects_answer_exactly_like_missing_ones(api, world):
    far = logged_in(api, "jl-clerk")
    mine = refused(far.get(f"/reports/custody?evidence_no={world.item}"), 404, "custody-evidence_no")
    missing = refused(far.get(f"/reports/custody?evidence_no={MISSING}"), 404, "custody-evidence_no")
    assert mine.replace(world.item, "*") == missing.replace(MISSING, "*")
    slip = refused(far.get(f"/reports/handover-slip?handover_id={world.handover}"), 404, "slip-handover_id")
    assert slip.replace(str(world.handover), "*") == refused(
        far.get("/reports/handover-slip?handover_id=999999"), 404, "slip-handover_id"
    ).replace("999999", "*")
    letter = refused(far.get(f"/reports/tracing-letter?letter={world.letter}"), 404, "letter-letter")
    assert letter.replace(str(world.letter), "*") == refused(
        far.get("/reports/tracing-letter?letter=99999999"), 404, "letter-letter"
    ).replace("99999999", "*")
    assert far.get(f"/reports?letter={world.letter}").status_code == 404
    custodian = logged_in(api, FAR_CUSTODIAN)
    batch = refused(custodian.get(f"/reports/batch?batch_id={world.batch.batch_id}"), 404, "batch-batch_id")
    assert batch.replace(str(world.batch.batch_id), "*") == refused(
        custodian.get("/reports/batch?batch_id=99999"), 404, "batch-batch_id"
    ).replace("99999", "*")
    county = logged_in(api, "ng-auditor")
    unit = refused(county.get("/reports/monthly?month=2026-03&unit=220200"), 404, "monthly-unit")
    assert "220200" in unit
    assert (
        refused(county.get("/reports/monthly?month=2026-03&unit=229999"), 404, "monthly-unit").replace(
            "229999", "220200"
        )
        == unit
    )


def test_a_malformed_period_or_ledger_point_is_refused_beside_its_field(api, world):
    client = logged_in(api, "ng-auditor")
    assert "2026-13" in refused(client.get("/reports/monthly?month=2026-13"), 422, "monthly-month")
    assert refused(client.get("/reports/quarterly?quarter=2026-Q5"), 422, "quarterly-quarter")
    too_far = api.head_seq() + 1000
    assert str(too_far) in refused(
        client.get(f"/reports/custody?evidence_no={world.item}&as_of={too_far}"), 422, "custody-as_of"
    )
    page = client.get("/reports/monthly?month=2026-13&unit=220102")
    assert 'value="2026-13"' in page.text and 'value="220102"' in page.text  # the form as sent


def test_a_refused_letter_writes_nothing_and_a_letter_needs_its_csrf_token(api, world):
    client = logged_in(api, "ng-clerk")
    head = api.head_seq()
    token = csrf_of(client.get("/reports").text)
    empty = client.post(
        "/reports/tracing-letters", data={"evidence_no": world.item, "addressee": "", "csrf": token}
    )
    assert refused(empty, 422, "new-letter-addressee")
    assert f'value="{world.item}"' in empty.text
    far = client.post(
        "/reports/tracing-letters",
        data={"evidence_no": world.far_item, "addressee": "吉林市公安局", "csrf": token},
    )
    missing = client.post(
        "/reports/tracing-letters", data={"evidence_no": MISSING, "addressee": "吉林市公安局", "csrf": token}
    )
    assert refused(far, 404, "new-letter-evidence_no").replace(world.far_item, "*") == refused(
        missing, 404, "new-letter-evidence_no"
    ).replace(MISSING, "*")
    bad_date = client.post(
        "/reports/tracing-letters",
        data={"evidence_no": world.item, "addressee": "吉林市公安局", "reply_by": "明天", "csrf": token},
    )
    assert refused(bad_date, 422, "new-letter-reply_by")
    forged = client.post(
        "/reports/tracing-letters",
        data={"evidence_no": world.item, "addressee": "吉林市公安局", "csrf": "forged"},
    )
    assert forged.status_code == 403 and 'role="alert"' in forged.text
    assert api.head_seq() == head


def test_a_report_the_users_roles_may_not_read_is_refused_even_by_its_address(api, world):
    clerk = logged_in(api, "ng-clerk")
    assert clerk.get("/reports/monthly?month=2026-03").status_code == 403
    assert clerk.get(f"/reports/batch?batch_id={world.batch.batch_id}").status_code == 403
    custodian = logged_in(api, "ng-custodian")
    assert custodian.get(f"/reports/tracing-letter?letter={world.letter}").status_code == 403
    anonymous = TestClient(api.app, base_url="http://testserver", follow_redirects=False)
    assert anonymous.get("/reports").headers["location"] == "/?next=/reports"
