"""The intake desk over plain HTTP, on SQLite and PostgreSQL: opening a case, registering a firearm and an
ammunition lot (source and flow included), each refusal next to the field it blames with nothing written,
a double-submitted form making one item, the label as a PDF and to a printer, and the ballistic samples
page (test-fire and lot split); CSRF on every form, out of scope answered exactly like missing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pdfplumber
import pytest
from api_harness import START, Harness, unique
from fastapi.testclient import TestClient
from page_harness import csrf_of, logged_in

from custody.intake import AmmunitionIntake, FirearmIntake
from custody.numbers import EvidenceNumber, ItemKind

TOKEN = re.compile(r'name="once_token" value="([^"]+)"')
FIREARM_FORM = {
    "firearm_type": "手枪",
    "make_model": "54式",
    "serial_number": "5401123",
    "calibre": "7.62mm",
    "fires_standard_ammunition": "yes",
    "description": "枪身有划痕",
    "source_maker": "黑作坊",
    "source_workshop": "某村",
    "source_route": "境外走私",
    "source_seller": "王某",
    "source_notes": "经网络联系",
}


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


def token_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, html
    return found.group(1)


def form_of(client: TestClient, path: str) -> tuple[str, str]:
    """The CSRF token and the one-time token of the form at ``path``."""
    shown = client.get(path)
    assert shown.status_code == 200, shown.text
    return csrf_of(shown.text), token_of(shown.text)


def new_case(api: Harness, username: str = "ng-clerk") -> str:
    case_no = unique("长南公刑字〔2026〕") + "号"
    api.custody.cases.open(api.custody.users.actor(username), case_no, "非法持有枪支案")
    return case_no


def register(client: TestClient, case_no: str, **fields: str) -> Any:
    csrf, token = form_of(client, "/intake")
    data = {**FIREARM_FORM, "case_no": case_no, **fields, "csrf": csrf, "once_token": token}
    return client.post("/intake/firearm", data=data)


def evidence_no_of(answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/intake/item/([A-Z0-9]+)\?registered=true", answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


def refused_at(answer: Any, status: int, field: str) -> str:
    """The page that refused, with the reason at the top and next to ``field``."""
    assert answer.status_code == status, answer.text
    assert 'role="alert"' in answer.text
    assert f'id="{field}-refusal"' in answer.text, answer.text
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', answer.text), answer.text
    return str(answer.text)


# ------------------------------------------------------------------------------------------ the desk


@pytest.mark.parametrize("path", ["/intake", "/intake/ammunition", "/intake/case"])
def test_each_intake_form_labels_every_field_and_focuses_the_first(api, path):
    client = logged_in(api, "ng-clerk")
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    html = answer.text
    controls = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html)
    for control in controls:
        if control != "scan-code":
            assert f'<label for="{control}">' in html, control
    assert re.search(r'id="case_no"[^>]*autofocus', html)
    assert html.count("autofocus") == 1
    assert token_of(html) and csrf_of(html)


def test_opening_a_case_leads_to_the_firearm_form_with_the_case_filled_in(api):
    client = logged_in(api, "ng-clerk")
    csrf, token = form_of(client, "/intake/case")
    case_no = unique("长南公刑字〔2026〕") + "号"
    answer = client.post(
        "/intake/case",
        data={
            "case_no": case_no,
            "title": "非法持有枪支案",
            "category": "possession",
            "filed_date": "2026-03-01",
            "csrf": csrf,
            "once_token": token,
        },
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/intake?case=")
    case = api.client.get(f"/api/v1/cases/{quote(case_no, safe='')}", headers=api.login("ng-clerk")).json()
    assert (case["category"], case["filed_date"], case["status"]) == ("possession", "2026-03-01", "open")
    desk = client.get(answer.headers["location"])
    assert f'value="{case_no}"' in desk.text and f"案件{case_no}已建立" in desk.text
    assert re.search(r'id="firearm_type"[^>]*autofocus', desk.text)


def test_opening_a_case_for_a_unit_below_names_the_unit_in_the_next_form(api):
    client = logged_in(api, "cc-clerk")  # Changchun, above Nanguan
    csrf, token = form_of(client, "/intake/case")
    case_no = unique("M-CC-")
    data = {"case_no": case_no, "unit_code": "220102", "csrf": csrf, "once_token": token}
    answer = client.post("/intake/case", data=data)
    assert answer.status_code == 303, answer.text
    assert "unit=220102" in answer.headers["location"]


def test_a_case_number_in_use_and_a_future_filing_date_are_refused_at_their_fields(api):
    client = logged_in(api, "ng-clerk")
    case_no = new_case(api)
    head = api.head_seq()
    csrf, token = form_of(client, "/intake/case")
    taken = client.post("/intake/case", data={"case_no": case_no, "csrf": csrf, "once_token": token})
    refused_at(taken, 409, "case_no")
    future = {"case_no": unique("M-"), "filed_date": "2026-04-01", "csrf": csrf, "once_token": token}
    text = refused_at(client.post("/intake/case", data=future), 409, "filed_date")
    assert 'value="2026-04-01"' in text  # the form keeps what was typed
    assert api.head_seq() == head


def test_registering_a_firearm_records_it_with_source_and_flow_and_offers_its_label(api):
    client = logged_in(api, "ng-clerk")
    case_no = new_case(api)
    head = api.head_seq()
    number = evidence_no_of(register(client, case_no))
    assert api.head_seq() == head + 1
    item = api.client.get(f"/api/v1/items/{number}", headers=api.login("ng-clerk")).json()
    assert (item["case_no"], item["serial_number"], item["fires_standard_ammunition"]) == (
        case_no,
        "5401123",
        True,
    )
    assert item["source"] == {
        "maker": "黑作坊",
        "workshop": "某村",
        "route": "境外走私",
        "seller": "王某",
        "notes": "经网络联系",
    }
    result = client.get(f"/intake/item/{number}?registered=true")
    assert result.status_code == 200, result.text
    assert number in result.text and "已登记" in result.text
    assert f'href="/item/{number}/label"' in result.text
    assert "未配置标签打印机" in result.text  # no printer here: download only
    assert f'href="/intake?case={quote(case_no)}"' in result.text.replace("&amp;", "&")
    assert f"/item/{number}/samples" in result.text
    desk = client.get(f"/intake?case={quote(case_no)}")
    assert number in desk.text  # the case's items so far


def test_registering_an_ammunition_lot(api):
    client = logged_in(api, "ng-clerk")
    case_no = new_case(api)
    csrf, token = form_of(client, "/intake/ammunition")
    data = {
        "case_no": case_no,
        "calibre": "9mm",
        "quantity_rounds": "５０",  # typed with a Chinese input method: full-width digits
        "headstamp_lot": "71-09",
        "source_route": "邮寄",
        "csrf": csrf,
        "once_token": token,
    }
    number = evidence_no_of(client.post("/intake/ammunition", data=data))
    item = api.client.get(f"/api/v1/items/{number}", headers=api.login("ng-clerk")).json()
    assert (item["kind"], item["quantity_rounds"], item["headstamp_lot"]) == ("A", 50, "71-09")
    assert item["source"]["route"] == "邮寄"


def test_a_double_submitted_register_makes_one_item(api):
    client = logged_in(api, "ng-clerk")
    case_no = new_case(api)
    csrf, token = form_of(client, "/intake")
    data = {**FIREARM_FORM, "case_no": case_no, "csrf": csrf, "once_token": token}
    first = client.post("/intake/firearm", data=data)
    head = api.head_seq()
    second = client.post("/intake/firearm", data=data)
    assert second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert api.head_seq() == head
    case = api.client.get(f"/api/v1/cases/{quote(case_no, safe='')}", headers=api.login("ng-clerk")).json()
    assert len(case["items"]) == 1


def test_the_same_form_sent_again_with_other_values_is_renewed_and_writes_nothing(api):
    client = logged_in(api, "ng-clerk")
    case_no = new_case(api)
    csrf, token = form_of(client, "/intake")
    data = {**FIREARM_FORM, "case_no": case_no, "csrf": csrf, "once_token": token}
    evidence_no_of(client.post("/intake/firearm", data=data))
    head = api.head_seq()
    again = client.post("/intake/firearm", data={**data, "serial_number": "5409999"})
    assert again.status_code == 409 and 'role="alert"' in again.text
    assert token_of(again.text) != token and 'value="5409999"' in again.text
    assert api.head_seq() == head
    assert evidence_no_of(
        client.post(
            "/intake/firearm", data={**data, "serial_number": "5409999", "once_token": token_of(again.text)}
        )
    )


def test_an_unknown_or_closed_case_is_refused_next_to_the_case_number_and_writes_nothing(api):
    client = logged_in(api, "ng-clerk")
    head = api.head_seq()
    text = refused_at(register(client, unique("无此案")), 404, "case_no")
    assert 'value="5401123"' in text and "境外走私" in text  # what was typed stays
    closed = new_case(api)
    api.custody.cases.close(api.custody.users.actor("ng-clerk"), closed)
    head = api.head_seq()
    refused_at(register(client, closed), 409, "case_no")
    assert api.head_seq() == head


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"serial_number": " "}, "serial_number"),
        ({"fires_standard_ammunition": ""}, "fires_standard_ammunition"),
        ({"make_model": "x" * 201}, "make_model"),
        ({"source_seller": "王\x07某"}, "source_seller"),
    ],
)
def test_a_field_the_core_refuses_is_named_next_to_it(api, fields, field):
    client = logged_in(api, "ng-clerk")
    case_no = new_case(api)
    head = api.head_seq()
    refused_at(register(client, case_no, **fields), 422, field)
    assert api.head_seq() == head


def test_a_lot_without_a_whole_number_of_rounds_is_refused_at_its_field(api):
    client = logged_in(api, "ng-clerk")
    case_no = new_case(api)
    csrf, token = form_of(client, "/intake/ammunition")
    head = api.head_seq()
    for rounds in ("五十", "0", ""):
        data = {
            "case_no": case_no,
            "calibre": "9mm",
            "quantity_rounds": rounds,
            "csrf": csrf,
            "once_token": token,
        }
        refused_at(client.post("/intake/ammunition", data=data), 422, "quantity_rounds")
    assert api.head_seq() == head


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/intake/case", {"case_no": "M-FORGED"}),
        ("/intake/firearm", {**FIREARM_FORM, "case_no": "M-FORGED"}),
        ("/intake/ammunition", {"case_no": "M-FORGED", "calibre": "9mm", "quantity_rounds": "5"}),
        ("/item/{number}/label/print", {}),
        ("/item/{number}/samples/split", {"rounds": "1"}),
    ],
)
def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(api, path, data):
    client = logged_in(api, "ng-clerk")
    clerk = api.custody.users.actor("ng-clerk")
    lot = api.custody.items.register_ammunition(clerk, new_case(api), AmmunitionIntake("9mm", 5))
    head = api.head_seq()
    answer = client.post(path.format(number=lot.evidence_no), data={**data, "csrf": "forged"})
    assert answer.status_code == 403 and 'role="alert"' in answer.text
    assert api.head_seq() == head


def test_the_desk_admits_clerks_and_the_case_form_investigators_too(api):
    investigator = logged_in(api, "ng-investigator")
    assert investigator.get("/intake").status_code == 403
    assert investigator.get("/intake/case").status_code == 200
    menu = logged_in(api, "ng-clerk").get("/")
    assert 'href="/intake"' in menu.text


def test_out_of_scope_answers_exactly_like_missing(api):
    client = logged_in(api, "ng-clerk")
    number = evidence_no_of(register(client, new_case(api)))
    other = logged_in(api, "kc-clerk")  # another district
    missing_no = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 999_999))
    for path in ("/intake/item/{n}", "/item/{n}/label", "/item/{n}/samples"):
        hidden = other.get(path.format(n=number))
        missing = other.get(path.format(n=missing_no))
        assert hidden.status_code == missing.status_code == 404, path
        assert hidden.text.replace(number, "N") == missing.text.replace(missing_no, "N")
    head = api.head_seq()
    csrf, token = form_of(other, "/intake")
    case_no = new_case(api)  # Nanguan's case, not Kuancheng's to see
    data = {**FIREARM_FORM, "csrf": csrf, "once_token": token}
    theirs = other.post("/intake/firearm", data={**data, "case_no": case_no})
    nobody = other.post("/intake/firearm", data={**data, "case_no": case_no + "无"})
    assert theirs.status_code == nobody.status_code == 404
    for name, text in (("theirs", theirs.text), ("nobody", nobody.text)):
        shown = case_no if name == "theirs" else case_no + "无"
        same = text.replace(quote(shown), "N").replace(shown, "N")
        assert same == theirs.text.replace(quote(case_no), "N").replace(case_no, "N")
    assert api.head_seq() == head + 1  # the case opened here, nothing by the other district


def test_the_desk_in_english(api):
    client = logged_in(api, "ng-clerk")
    client.get("/lang/en?next=/intake")
    answer = client.get("/intake")
    assert '<html lang="en">' in answer.text and "Register a firearm" in answer.text
    assert "登记枪支" not in answer.text


# --------------------------------------------------------------------------------------------- labels


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return "".join(page.extract_text() or "" for page in document.pages)


def test_the_label_downloads_as_a_pdf_holding_the_evidence_number(api):
    client = logged_in(api, "ng-clerk")
    number = evidence_no_of(register(client, new_case(api)))
    answer = client.get(f"/item/{number}/label")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert f'filename="label-{number}.pdf"' in answer.headers["content-disposition"]
    assert number in pdf_text(answer.content)


def test_printing_without_a_printer_is_refused_with_the_reason_and_download_still_works(api):
    client = logged_in(api, "ng-clerk")
    number = evidence_no_of(register(client, new_case(api)))
    head = api.head_seq()
    csrf = csrf_of(client.get(f"/intake/item/{number}").text)
    answer = client.post(f"/item/{number}/label/print", data={"csrf": csrf, "copies": "1"})
    assert answer.status_code == 409
    assert "未配置标签打印机" in answer.text and 'role="alert"' in answer.text
    assert f'href="/item/{number}/label"' in answer.text
    assert api.head_seq() == head


def test_printing_sends_the_label_to_the_configured_printer(api, tmp_path, monkeypatch):
    out = tmp_path / "printer.zpl"
    monkeypatch.setenv("CUSTODY_LABEL_PRINTER", f"file://{out}")
    client = logged_in(api, "ng-clerk")
    number = evidence_no_of(register(client, new_case(api)))
    page = client.get(f"/intake/item/{number}?registered=true")
    assert f"file://{out}" in page.text and re.search(r'id="label-print"[^>]*autofocus', page.text)
    answer = client.post(f"/item/{number}/label/print", data={"csrf": csrf_of(page.text), "copies": "2"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/intake/item/{number}?printed=2"
    job = out.read_bytes()
    assert job.count(b"^XA") == 2 and number.encode() in job
    assert "已发送至标签打印机" in client.get(answer.headers["location"]).text


# ------------------------------------------------------------------------------------ ballistic samples


def lab_firearm(api: Harness) -> str:
    """A firearm of a fresh case, checked out to the lab."""
    clerk = api.custody.users.actor("ng-clerk")
    intake = FirearmIntake("手枪", "54式", unique("S"), "7.62mm", True)
    number = api.custody.items.register_firearm(clerk, new_case(api), intake).evidence_no
    api.custody.items.check_out(clerk, number, 1, "lab", "刑科所", "2026-12-31")
    return number


def test_an_investigator_records_a_test_fire_once_and_sees_its_samples(api):
    number = lab_firearm(api)
    client = logged_in(api, "ng-investigator")
    csrf, token = form_of(client, f"/item/{number}/samples")
    data = {
        "lab": "刑科所",
        "examiner": "王",
        "lab_stock": "库存 7.62mm",
        "bullets": "2",
        "cases": "1",
        "csrf": csrf,
        "once_token": token,
    }
    head = api.head_seq()
    answer = client.post(f"/item/{number}/samples/test-fire", data=data)
    assert answer.status_code == 303, answer.text
    made = re.findall(r"made=([A-Z0-9]+)", answer.headers["location"])
    assert [m[0] for m in made] == ["B", "B", "C"]
    assert api.head_seq() == head + 4
    again = client.post(f"/item/{number}/samples/test-fire", data=data)  # a double click
    assert again.headers["location"] == answer.headers["location"] and api.head_seq() == head + 4
    shown = client.get(answer.headers["location"])
    assert all(f'href="/item/{m}"' in shown.text for m in made) and "试射已记录" in shown.text
    sample = api.client.get(f"/api/v1/items/{made[0]}", headers=api.login("ng-investigator")).json()
    assert sample["sample_of"] == number
    assert number in pdf_text(client.get(f"/item/{made[0]}/label").content)  # the sample names its firearm


def test_test_fire_refusals_are_shown_at_their_fields(api):
    number = lab_firearm(api)
    clerk = api.custody.users.actor("ng-clerk")
    lot = api.custody.items.register_ammunition(clerk, new_case(api), AmmunitionIntake("7.62mm", 3))
    client = logged_in(api, "ng-investigator")
    csrf, token = form_of(client, f"/item/{number}/samples")
    base = {"lab": "刑科所", "examiner": "王", "csrf": csrf, "once_token": token}
    head = api.head_seq()
    none_kept = client.post(f"/item/{number}/samples/test-fire", data={**base, "lab_stock": "库存"})
    refused_at(none_kept, 422, "bullets")
    short = {**base, "ammunition_lot": lot.evidence_no, "rounds": "5", "bullets": "1"}
    refused_at(client.post(f"/item/{number}/samples/test-fire", data=short), 409, "rounds")
    unknown = {**short, "ammunition_lot": str(EvidenceNumber(ItemKind.AMMUNITION, "220102", 2026, 999_998))}
    refused_at(client.post(f"/item/{number}/samples/test-fire", data=unknown), 404, "ammunition_lot")
    not_at_the_lab = api.custody.items.register_firearm(
        clerk, new_case(api), FirearmIntake("手枪", "54式", unique("S"), "7.62mm", True)
    ).evidence_no
    head = api.head_seq()
    answer = client.post(
        f"/item/{not_at_the_lab}/samples/test-fire", data={**base, "lab_stock": "库存", "bullets": "1"}
    )
    assert answer.status_code == 409 and 'role="alert"' in answer.text
    assert api.head_seq() == head


def test_the_samples_page_offers_each_role_its_own_form(api):
    number = lab_firearm(api)
    clerk_view = logged_in(api, "ng-clerk").get(f"/item/{number}/samples")
    assert clerk_view.status_code == 200 and "samples/test-fire" not in clerk_view.text
    auditor_view = logged_in(api, "ng-auditor").get(f"/item/{number}/samples")
    assert auditor_view.status_code == 200 and f'href="/item/{number}/label"' not in auditor_view.text
    assert logged_in(api, "ng-investigator").get(f"/item/{number}/samples").text.count("autofocus") == 1


def test_a_clerk_splits_a_lot_and_the_new_lot_is_offered_its_label(api):
    clerk = api.custody.users.actor("ng-clerk")
    lot = api.custody.items.register_ammunition(clerk, new_case(api), AmmunitionIntake("9mm", 50)).evidence_no
    client = logged_in(api, "ng-clerk")
    csrf, token = form_of(client, f"/item/{lot}/samples")
    head = api.head_seq()
    too_many = client.post(
        f"/item/{lot}/samples/split", data={"rounds": "50", "csrf": csrf, "once_token": token}
    )
    refused_at(too_many, 409, "rounds")
    assert api.head_seq() == head
    answer = client.post(
        f"/item/{lot}/samples/split", data={"rounds": "20", "csrf": csrf, "once_token": token}
    )
    assert answer.status_code == 303, answer.text
    part = re.search(r"split=([A-Z0-9]+)", answer.headers["location"]).group(1)
    assert api.custody.items.item(clerk, part).quantity_rounds == 20
    assert api.custody.items.item(clerk, lot).quantity_rounds == 30
    shown = client.get(answer.headers["location"])
    assert f'href="/intake/item/{part}"' in shown.text and "拆分弹药批" in shown.text
