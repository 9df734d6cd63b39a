"""Live scans in a real browser: the desk names its station, and a scan at that station opens the item on
whatever page the desk shows; the live-scans page lists scans instead; a form being filled in is not left
behind (a link is announced instead); another station's scans are not heard."""

from __future__ import annotations

from pathlib import Path

from api_harness import station_headers, unique
from desk_browser import Live, axe_violations, log_in, watched
from playwright.sync_api import Browser, Page

from custody.intake import FirearmIntake, SourceAndFlow


def _item(live: Live) -> str:
    clerk = live.custody.users.actor("ng-clerk")
    case_no = unique("长南公刑字〔2026〕") + "号"
    live.custody.cases.open(clerk, case_no, "非法持有枪支案")
    intake = FirearmIntake("手枪", "54式", unique("SN"), "7.62mm", True, SourceAndFlow())
    return live.custody.items.register_firearm(clerk, case_no, intake).evidence_no


def _scan(live: Live, key: str, code: str) -> None:
    body = {"device": "scanner-1", "idempotency_key": unique("scan-"), "code": code}
    answer = live.harness.client.post("/api/v1/scans", headers=station_headers(key), json=body)
    assert answer.status_code == 201, answer.text


def _choose_station(page: Page, base: str, name: str) -> None:
    page.goto(base + "/scans")
    page.select_option("#station", name)
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert page.locator("#sightings-list").count() == 1, page.locator("main").inner_text()


def _listening(page: Page) -> None:
    """Wait until the page's event stream is open (the feed has a listener)."""
    page.locator("body[data-listening]").wait_for(state="attached")


def test_a_scan_at_the_desks_station_opens_the_item(live: Live, chromium: Browser, artefacts: Path):
    station = unique("desk-")
    key = live.harness.station(station, "220102", "scanner-1")
    number = _item(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    _choose_station(page, live.url, station)
    assert axe_violations(page) == []
    # the live-scans page lists what is scanned
    _listening(page)
    _scan(live, key, number)
    page.locator("#sightings-list a", has_text=number).wait_for()
    page.screenshot(path=artefacts / "scans.png", full_page=True)
    # any other page opens it
    page.goto(live.url + "/")
    _listening(page)
    other = _item(live)
    with page.expect_navigation(url=f"{live.url}/item/{other}"):
        _scan(live, key, other)
    assert page.locator("h1 .number").inner_text() == other
    seen.check_clean()


def test_a_form_being_filled_in_is_not_left_for_a_scan(live: Live, chromium: Browser):
    station = unique("desk-")
    key = live.harness.station(station, "220102", "scanner-1")
    number = _item(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    _choose_station(page, live.url, station)
    page.goto(live.url + "/")
    _listening(page)
    page.locator("#scan-code").fill("F2201")  # typing by hand
    _scan(live, key, number)
    notice = page.locator("#scan-notice")
    notice.get_by_role("link", name=number).wait_for()
    assert page.url == live.url + "/"
    seen.check_clean()
