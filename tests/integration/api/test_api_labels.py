"""Item labels through the API, on SQLite and PostgreSQL: the PDF to download read back with pdfplumber,
the ZPL, a sample's label naming its firearm, refusals (no printer configured, a label that cannot be
made, a printer that does not take the job) writing nothing, and printing through a real, private cupsd
(``CUSTODY_LABEL_PRINTER``), the job arriving byte for byte.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest
from api_harness import PASSWORD, START, Harness, problem, unique
from fastapi.testclient import TestClient

from custody.intake import AmmunitionIntake, FirearmIntake
from custody.numbers import EvidenceNumber, ItemKind
from custody.samples import TestFire as Firing

sys.path.insert(0, str(Path(__file__).parents[1] / "labels"))
from cupsd_harness import QUEUE, Cupsd, free_port


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


@pytest.fixture
def no_printer(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CUSTODY_LABEL_PRINTER", "CUSTODY_LABEL_FORMAT", "CUSTODY_LABEL_LAYOUT"):
        monkeypatch.delenv(name, raising=False)


def new_case(api: Harness, username: str = "ng-clerk") -> str:
    case_no = unique("长南公刑字〔2026〕") + "号"
    api.custody.cases.open(api.custody.users.actor(username), case_no)
    return case_no


def firearm(api: Harness, make_model: str = "54式") -> str:
    clerk = api.custody.users.actor("ng-clerk")
    intake = FirearmIntake("手枪", make_model, unique("S"), "7.62mm", True)
    return api.custody.items.register_firearm(clerk, new_case(api), intake).evidence_no


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def logged_in(api: Harness, username: str) -> TestClient:
    """A browser at the desk, logged in by the login form."""
    client = TestClient(api.app, base_url="http://testserver", follow_redirects=False)
    form = client.get("/").text
    data = {"username": username, "password": PASSWORD, "next": "/", "csrf": csrf_of(form)}
    assert client.post("/login", data=data).status_code == 303
    return client


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return "".join(page.extract_text() or "" for page in document.pages)


def test_the_label_is_a_pdf_holding_the_evidence_number_and_the_case(api, no_printer):
    number = firearm(api)
    answer = api.client.get(f"/api/v1/items/{number}/label", headers=api.login("ng-clerk"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == f'attachment; filename="label-{number}.pdf"'
    text = pdf_text(answer.content)
    assert number in text and "长南公刑字" in text and "南关" in text


@pytest.mark.parametrize("username", ["ng-clerk", "ng-investigator", "ng-custodian"])
def test_each_labelling_role_gets_the_label_on_every_layout(api, no_printer, username):
    number = firearm(api)
    for layout in ("60x40", "100x50", "a4-3x8"):
        answer = api.client.get(f"/api/v1/items/{number}/label?layout={layout}", headers=api.login(username))
        assert answer.status_code == 200, (layout, answer.text)
        assert number in pdf_text(answer.content)


def test_the_label_as_zpl_for_a_thermal_printer(api, no_printer):
    number = firearm(api)
    answer = api.client.get(f"/api/v1/items/{number}/label?format=zpl", headers=api.login("ng-clerk"))
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].endswith(f'label-{number}.zpl"')
    assert answer.content.startswith(b"^XA") and number.encode() in answer.content


def test_zpl_on_an_a4_sheet_is_refused_as_a_label_that_cannot_be_made(api, no_printer):
    number = firearm(api)
    head = api.head_seq()
    answer = api.client.get(
        f"/api/v1/items/{number}/label?format=zpl&layout=a4-3x8", headers=api.login("ng-clerk")
    )
    body = problem(answer, 409, "label-refused")
    assert body["key"] == "label.not_made" and body["params"]["evidence_no"] == number
    assert api.head_seq() == head


def test_a_character_the_label_font_lacks_is_refused_with_the_reason(api, no_printer):
    number = firearm(api, make_model="54式\U0001f52b")  # an emoji: no glyph in the label font
    answer = api.client.get(f"/api/v1/items/{number}/label", headers=api.login("ng-clerk"))
    body = problem(answer, 409, "label-refused")
    assert body["key"] == "label.not_made"


def test_a_samples_label_names_the_firearm_it_was_made_of(api, no_printer):
    clerk = api.custody.users.actor("ng-clerk")
    number = firearm(api)
    api.custody.items.check_out(clerk, number, 1, "lab", "刑科所", "2026-12-31")
    investigator = api.custody.users.actor("ng-investigator")
    fired = api.custody.samples.test_fire(
        investigator, number, Firing("刑科所", "王", 1, 0, lab_stock="库存")
    )
    sample = fired.samples[0].evidence_no
    answer = api.client.get(f"/api/v1/items/{sample}/label", headers=api.login("ng-investigator"))
    text = pdf_text(answer.content)
    assert sample in text and number in text


def test_out_of_scope_is_answered_like_missing(api, no_printer):
    number = firearm(api)
    other = api.login("jl-clerk")
    missing = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 999_999))
    for path in ("/api/v1/items/{n}/label", "/api/v1/items/{n}/label/print"):
        method = "POST" if path.endswith("print") else "GET"
        hidden = api.client.request(method, path.format(n=number), headers=other)
        absent = api.client.request(method, path.format(n=missing), headers=other)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json()["key"] == absent.json()["key"] == "item.unknown"


def test_printing_without_a_printer_is_refused_and_the_download_still_answers(api, no_printer):
    number = firearm(api)
    head = api.head_seq()
    answer = api.client.post(f"/api/v1/items/{number}/label/print", headers=api.login("ng-clerk"))
    body = problem(answer, 409, "label-refused")
    assert body["key"] == "label.no_printer" and "CUSTODY_LABEL_PRINTER" in body["detail"]
    assert api.head_seq() == head
    assert api.client.get(f"/api/v1/items/{number}/label", headers=api.login("ng-clerk")).status_code == 200


def test_a_printer_that_refuses_the_connection_answers_502_and_prints_nothing(api, monkeypatch):
    monkeypatch.setenv("CUSTODY_LABEL_PRINTER", f"tcp://127.0.0.1:{free_port()}")
    number = firearm(api)
    head = api.head_seq()
    answer = api.client.post(f"/api/v1/items/{number}/label/print", headers=api.login("ng-clerk"))
    body = problem(answer, 502, "printer-failed")
    assert body["key"] == "label.printer_failed" and "refused the connection" in body["detail"]
    assert api.head_seq() == head


def test_copies_are_bounded(api, no_printer):
    number = firearm(api)
    answer = api.client.post(
        f"/api/v1/items/{number}/label/print", headers=api.login("ng-clerk"), json={"copies": 21}
    )
    assert problem(answer, 422, "invalid-input")["field"] == "copies"


# ---------------------------------------------------------------------------- through a real cupsd


@pytest.fixture(scope="module")
def cupsd_server() -> Iterator[Cupsd]:
    server = Cupsd()
    yield server
    server.stop()


@pytest.fixture
def cupsd(cupsd_server: Cupsd, monkeypatch: pytest.MonkeyPatch) -> Cupsd:
    """The private cupsd as the service's label printer, its queue's output emptied for this test."""
    cupsd_server.fresh_output()
    monkeypatch.setenv("CUSTODY_LABEL_PRINTER", f"cups://127.0.0.1:{cupsd_server.port}/{QUEUE}")
    return cupsd_server


@pytest.mark.devices
@pytest.mark.xdist_group("labels-cupsd")
def test_a_zpl_label_reaches_the_cups_queue_byte_for_byte(api, cupsd, monkeypatch):
    monkeypatch.setenv("CUSTODY_LABEL_FORMAT", "zpl")
    number = firearm(api)
    clerk = api.login("ng-clerk")
    answer = api.client.post(f"/api/v1/items/{number}/label/print", headers=clerk, json={"copies": 2})
    assert answer.status_code == 202, answer.text
    done = answer.json()
    assert (done["evidence_no"], done["format"], done["copies"]) == (number, "zpl", 2)
    single = api.client.get(f"/api/v1/items/{number}/label?format=zpl", headers=clerk).content
    job = cupsd.printed(single * 2)
    assert job == single * 2 and len(job) == done["bytes"]


@pytest.mark.devices
@pytest.mark.xdist_group("labels-cupsd")
def test_a_pdf_label_printed_through_cups_reads_back_with_its_number(api, cupsd, monkeypatch):
    monkeypatch.setenv("CUSTODY_LABEL_FORMAT", "pdf")
    clerk = api.custody.users.actor("ng-clerk")
    lot = api.custody.items.register_ammunition(clerk, new_case(api), AmmunitionIntake("9mm", 50, "71-09"))
    answer = api.client.post(
        f"/api/v1/items/{lot.evidence_no}/label/print", headers=api.login("ng-custodian")
    )
    assert answer.status_code == 202, answer.text
    job = cupsd.printed(b"\0" * answer.json()["bytes"])
    assert job.startswith(b"%PDF") and lot.evidence_no in pdf_text(job)


@pytest.mark.devices
@pytest.mark.xdist_group("labels-cupsd")
def test_an_unknown_cups_queue_answers_502_with_cups_reason(api, cupsd, monkeypatch):
    monkeypatch.setenv("CUSTODY_LABEL_PRINTER", f"cups://127.0.0.1:{cupsd.port}/no_such_queue")
    number = firearm(api)
    answer = api.client.post(f"/api/v1/items/{number}/label/print", headers=api.login("ng-clerk"))
    body = problem(answer, 502, "printer-failed")
    assert "no_such_queue" in body["detail"]


@pytest.mark.devices
@pytest.mark.xdist_group("labels-cupsd")
def test_the_desks_print_button_sends_the_label_through_cups(api, cupsd):
    number = firearm(api)
    client = logged_in(api, "ng-clerk")
    page = client.get(f"/intake/item/{number}")
    assert f"cups://127.0.0.1:{cupsd.port}/{QUEUE}" in page.text
    answer = client.post(f"/item/{number}/label/print", data={"csrf": csrf_of(page.text), "copies": "1"})
    assert answer.status_code == 303 and answer.headers["location"].endswith("?printed=1")
    expected = api.client.get(
        f"/api/v1/items/{number}/label?format=zpl", headers=api.login("ng-clerk")
    ).content
    assert cupsd.printed(expected) == expected
