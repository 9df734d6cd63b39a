"""The login, home and item pages in a real headless Chromium: keyboard only, no CSP violation or script
error, axe-core finds no serious or critical violation, the chain check answers in place (htmx under the
CSP), a keyboard-wedge scanner typing into no field opens the item, and both languages carry the same
fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_harness import unique
from desk_browser import Live, axe_violations, log_in, watched
from playwright.sync_api import Browser, Page

from custody.intake import FirearmIntake, SourceAndFlow


def _item(live: Live) -> str:
    clerk = live.custody.users.actor("ng-clerk")
    case_no = unique("长南公刑字〔2026〕") + "号"
    live.custody.cases.open(clerk, case_no, "非法持有枪支案")
    intake = FirearmIntake("手枪", "54式", "5401123", "7.62mm", True, SourceAndFlow(route="境外走私"))
    return live.custody.items.register_firearm(clerk, case_no, intake).evidence_no


def _fields(page: Page) -> list[tuple[str, str]]:
    """Every form control of the page: its tag and name (or id)."""
    return page.eval_on_selector_all(
        "input, select, textarea, button",
        "els => els.map(e => [e.tagName, e.name || e.id || e.type]).sort()",
    )


def test_login_home_and_item_by_keyboard_clean_and_accessible(live: Live, chromium: Browser, artefacts: Path):
    number = _item(live)
    seen = watched(chromium)
    page = seen.page
    page.goto(live.url + "/")
    page.locator("#username:focus").wait_for()  # autofocus: no click needed
    assert axe_violations(page) == []
    page.screenshot(path=artefacts / "login.png", full_page=True)
    log_in(page, live.url, "ng-clerk")
    assert axe_violations(page) == []
    page.screenshot(path=artefacts / "home.png", full_page=True)
    # the scan box has the focus: a typed number and Enter open the item
    page.locator("#scan-code:focus").wait_for()
    page.keyboard.type(number.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/item/{number}")
    assert page.locator("h1 .number").inner_text() == number
    assert axe_violations(page) == []
    # the chain check, answered in place by htmx (a script of this service, under the CSP)
    page.get_by_role("link", name="校验记录链").click()
    page.locator("#verification .verified").wait_for()
    assert "记录链完整" in page.locator("#verification").inner_text()
    assert page.url == f"{live.url}/item/{number}"
    page.screenshot(path=artefacts / "item.png", full_page=True)
    seen.check_clean()


def test_a_keyboard_wedge_scanner_typing_into_no_field_opens_the_item(live: Live, chromium: Browser):
    number = _item(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.type(number, delay=5)  # a scanner types fast
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/item/{number}")
    seen.check_clean()


def test_a_code_with_wrong_check_digits_is_refused_in_place_with_the_reason(live: Live, chromium: Browser):
    number = _item(live)
    bad = number[:-2] + ("00" if number[-2:] != "00" else "01")
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.keyboard.type(bad)
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    assert "校验" in alert.inner_text()
    assert axe_violations(page) == []


@pytest.mark.parametrize("path", ["/", "/item/{number}", "/item/{number}/verify"])
def test_chinese_and_english_pages_carry_the_same_fields_and_no_message_key(
    live: Live, chromium: Browser, path: str
):
    number = _item(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.goto(live.url + path.format(number=number))
    chinese = _fields(page), page.locator("h1, h2, th, dt").count()
    zh_text = page.locator("main").inner_text()
    page.goto(f"{live.url}/lang/en?next={path.format(number=number)}")
    english = _fields(page), page.locator("h1, h2, th, dt").count()
    en_text = page.locator("main").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"
    assert chinese == english
    assert zh_text != en_text
    for text in (zh_text, en_text):
        for prefix in ("state.", "role.", "event.", "kind."):
            assert prefix not in text, f"an untranslated key in: {text[:300]}"
    seen.check_clean()
