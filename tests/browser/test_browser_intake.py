"""The intake desk in a real headless Chromium: a case opened and a firearm registered by keyboard alone
(the first field has the focus, Tab moves on, Enter sends), the label downloaded from the result page by
keyboard and read back, a double-clicked Register making one item, a refusal shown next to its field with
the focus there, the ballistic samples page; no CSP violation or script error, axe-core finds no serious
or critical violation, and Chinese and English carry the same fields."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pdfplumber
import pytest
from api_harness import unique
from desk_browser import Live, axe_violations, log_in, watched
from playwright.sync_api import Browser, Page

from custody.intake import FirearmIntake


def _focused(page: Page, element_id: str) -> None:
    page.locator(f"#{element_id}:focus").wait_for()


def _type_into(page: Page, element_id: str, text: str) -> None:
    """Tab to the next field, check it is ``element_id``, and type."""
    page.keyboard.press("Tab")
    _focused(page, element_id)
    page.keyboard.type(text)


def _tab_to(page: Page, element_id: str, most: int = 10) -> None:
    """Tab until ``element_id`` has the focus (a date field takes a Tab for each of its parts)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"{element_id} never got the focus")


def _new_case(live: Live) -> str:
    case_no = unique("长南公刑字〔2026〕") + "号"
    live.custody.cases.open(live.custody.users.actor("ng-clerk"), case_no, "非法持有枪支案")
    return case_no


def test_a_firearm_is_registered_by_keyboard_alone_and_its_label_downloaded(
    live: Live, chromium: Browser, artefacts: Path
):
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.goto(live.url + "/intake/case")
    _focused(page, "case_no")
    case_no = unique("长南公刑字〔2026〕") + "号"
    page.keyboard.type(case_no)
    _type_into(page, "title", "非法持有枪支案")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/intake?case=" in page.url
    # the firearm form, the case filled in, the focus on the first field to type
    _focused(page, "firearm_type")
    assert page.locator("#case_no").input_value() == case_no
    page.keyboard.type("手枪")
    _type_into(page, "make_model", "54式")
    _type_into(page, "serial_number", "5401123")
    _type_into(page, "calibre", "7.62mm")
    page.keyboard.press("Tab")
    _focused(page, "fires_standard_ammunition")
    page.keyboard.press("ArrowDown")  # 请选择 → 是
    assert page.locator("#fires_standard_ammunition").input_value() == "yes"
    _type_into(page, "description", "枪身有划痕")
    _type_into(page, "source_maker", "黑作坊")
    _type_into(page, "source_workshop", "某村")
    _type_into(page, "source_route", "境外走私")
    _type_into(page, "source_seller", "王某")
    assert axe_violations(page) == []
    page.screenshot(path=artefacts / "intake.png", full_page=True)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    found = re.search(r"/intake/item/([A-Z0-9]+)\?registered=true$", page.url)
    assert found, page.url
    number = found.group(1)
    assert number in page.get_by_role("status").inner_text()
    item = live.custody.items.item(live.custody.users.actor("ng-clerk"), number)
    assert (item.case_no, item.serial_number, item.source_route) == (case_no, "5401123", "境外走私")
    assert item.fires_standard_ammunition is True
    # no printer configured here: the download link has the focus, Enter saves the label
    _focused(page, "label-download")
    assert axe_violations(page) == []
    page.screenshot(path=artefacts / "intake-registered.png", full_page=True)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    data = Path(download.value.path()).read_bytes()
    with pdfplumber.open(io.BytesIO(data)) as document:
        assert number in "".join(p.extract_text() or "" for p in document.pages)
    seen.check_clean()


def test_a_double_clicked_register_makes_one_item(live: Live, chromium: Browser):
    case_no = _new_case(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.goto(f"{live.url}/intake/ammunition?case={case_no}")
    _focused(page, "calibre")
    page.keyboard.type("9mm")
    _type_into(page, "quantity_rounds", "50")
    page.get_by_role("button", name="登记该批弹药").dblclick()
    page.wait_for_url(re.compile(r".*/intake/item/A[0-9]+\?registered=true$"))
    case = live.custody.cases.get(live.custody.users.actor("ng-clerk"), case_no)
    assert len(case.items) == 1
    seen.check_clean()


def test_an_unknown_case_is_refused_next_to_the_field_which_gets_the_focus(live: Live, chromium: Browser):
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.goto(live.url + "/intake/ammunition")
    _focused(page, "case_no")
    page.keyboard.type("无此案件")
    _type_into(page, "calibre", "9mm")
    _type_into(page, "quantity_rounds", "50")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "无此案件" in page.get_by_role("alert").inner_text()
    assert page.locator("#case_no-refusal").is_visible()
    assert page.locator("#case_no").get_attribute("aria-invalid") == "true"
    _focused(page, "case_no")
    assert page.locator("#quantity_rounds").input_value() == "50"  # what was typed stays
    assert axe_violations(page) == []
    # the browser reports the refusal's own status (404, as the API answers), and nothing else
    assert [e for e in seen.errors if "404" not in e or "/intake/ammunition" not in e] == []
    seen.errors.clear()
    seen.check_clean()


def test_the_samples_page_records_a_test_fire_by_keyboard(live: Live, chromium: Browser, artefacts: Path):
    clerk = live.custody.users.actor("ng-clerk")
    intake = FirearmIntake("手枪", "54式", unique("S"), "7.62mm", True)
    number = live.custody.items.register_firearm(clerk, _new_case(live), intake).evidence_no
    live.custody.items.check_out(clerk, number, 1, "lab", "刑科所", "2026-12-31")
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-investigator")
    page.goto(f"{live.url}/item/{number}/samples")
    _focused(page, "lab")
    page.keyboard.type("刑科所")
    _type_into(page, "examiner", "王")
    _tab_to(page, "lab_stock")  # past the date (empty: today) and the lot fields
    page.keyboard.type("库存 7.62mm")
    _type_into(page, "bullets", "1")
    _type_into(page, "cases", "1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    made = re.findall(r"made=([A-Z0-9]+)", page.url)
    assert [m[0] for m in made] == ["B", "C"]
    assert all(page.locator(f"a[href='/item/{m}']").count() >= 1 for m in made)
    assert axe_violations(page) == []
    page.screenshot(path=artefacts / "samples.png", full_page=True)
    seen.check_clean()


def _fields(page: Page) -> list[tuple[str, str]]:
    return page.eval_on_selector_all(
        "input, select, textarea, button",
        "els => els.map(e => [e.tagName, e.name || e.id || e.type]).sort()",
    )


@pytest.mark.parametrize("path", ["/intake", "/intake/ammunition", "/intake/case"])
def test_chinese_and_english_intake_forms_carry_the_same_fields(live: Live, chromium: Browser, path: str):
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.goto(live.url + path)
    chinese, zh_text = _fields(page), page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.goto(f"{live.url}/lang/en?next={path}")
    english, en_text = _fields(page), page.locator("main").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"
    assert chinese == english and zh_text != en_text
    assert axe_violations(page) == []
    for text in (zh_text, en_text):
        assert not re.search(r"\b(label|kind|state|event|item|case)\.[a-z_]+\b", text), text[:300]
    seen.check_clean()
