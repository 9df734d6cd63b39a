"""The audit desk in a real headless Chromium: an auditor opens an audit of a room of the store by
keyboard, with the desk's station bound to it; a seal scanned into the read box (a wedge scanner types
its number and Enter) moves the live counts at once, a read posted by the station shows in the counts
the page polls; the one planted discrepancy (an item missing from its shelf) shows among them, the round
is submitted, the audit closed, and the item's custodian resolves the discrepancy before a second
auditor typing their own password. A blind audit shows only the codes read and the unknown ones until
its round is submitted. Keyboard where it matters, no CSP violation or script error, no serious or
critical axe-core violation; screenshots of the audit, blind and not."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from api_harness import PASSWORD, station_headers, unique
from desk_browser import Live, axe_violations, log_in, watched
from playwright.sync_api import Browser, Page, expect
from seal_world import accepted_items

from custody.model import Department, Role

ROOM, SHELF = "L220102-A-1", "L220102-A-1-01"
SLOW = 8000  # ms: the counts are polled every 2 s


@dataclass
class Shelf:
    """Two seals on a shelf of the Nanguan store: one over a firearm and a lot, one over a firearm alone
    (the item the audit will miss), a station of the unit, and a second auditor."""

    seal: str
    sealed: list[str]
    missing: str
    station: str
    station_key: str
    second: str


def _shelf(live: Live) -> Shelf:
    custody = live.custody
    custodian = custody.users.actor("ng-custodian")
    for code, name in (("L220102-A", "一号库"), (ROOM, "一室"), (SHELF, "1号架")):
        custody.locations.add(custodian, code, name)
    witness = live.harness.add_user(
        unique("ng-witness-"), "220102", Department.POLICE_STATION, Role.INVESTIGATOR
    )
    seen = [i.evidence_no for i in accepted_items(custody, 2)]
    (lone,) = [i.evidence_no for i in accepted_items(custody, 1)]
    by = custody.users.actor(witness)
    seal = custody.seals.create(custodian, SHELF, seen, by).seal_no
    custody.seals.create(custodian, SHELF, [lone], by)
    station = unique("ng-audit-desk-")
    key = live.harness.station(station, "220102", "scanner-1")
    second = live.harness.add_user(unique("ng-auditor-"), "220102", Department.INSPECTION, Role.AUDITOR)
    return Shelf(seal, seen, lone, station, key, second)


def _clean(page: Page) -> None:
    assert axe_violations(page) == [], page.url


def _station_reads(live: Live, shelf: Shelf, code: str) -> None:
    answer = live.harness.client.post(
        "/api/v1/audits/reads", headers=station_headers(shelf.station_key), json={"reads": [{"code": code}]}
    )
    assert answer.status_code == 200, answer.text


def _open(page: Page, base: str, shelf: Shelf, blind: bool = False) -> str:
    """Open an audit of the room by keyboard; the audit's number."""
    page.goto(base + "/audit")
    expect(page.locator("#unit_code")).to_be_focused()
    assert page.locator("#unit_code").input_value() == "220102"
    _clean(page)
    page.keyboard.press("Tab")
    page.keyboard.type(ROOM)
    if blind:
        page.locator("#blind").focus()
        page.keyboard.press("Space")
    page.select_option("#station", shelf.station)
    page.locator("#seed").focus()
    page.keyboard.type("42")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/audit/" in page.url, page.locator("main").inner_text()
    return page.url.rsplit("/", 1)[1]


def _scan(page: Page, code: str) -> None:
    """A wedge scanner types into the read box, which has the focus, and ends with Enter."""
    expect(page.locator("#code")).to_be_focused()
    page.keyboard.type(code, delay=2)
    page.keyboard.press("Enter")
    page.locator("#read-log li", has_text=code).wait_for()
    expect(page.locator("#code")).to_have_value("")
    expect(page.locator("#code")).to_be_focused()


def test_live_counts_a_planted_missing_item_and_its_resolution(
    live: Live, chromium: Browser, artefacts: Path
):
    shelf = _shelf(live)
    desk = watched(chromium)
    page = desk.page
    log_in(page, live.url, "ng-auditor")
    audit_id = _open(page, live.url, shelf)
    expect(page.locator("#count-missing")).to_have_text("3")
    expect(page.locator("#count-found")).to_have_text("0")
    _clean(page)

    _scan(page, shelf.seal)
    expect(page.locator("#count-found")).to_have_text("2")  # at once: the read's answer carries the counts
    expect(page.locator("#count-missing")).to_have_text("1")
    assert all(n in page.locator("#read-log").inner_text() for n in shelf.sealed)
    _station_reads(live, shelf, "NOT-OURS-1")
    expect(page.locator("#count-unknown_code")).to_have_text("1", timeout=SLOW)  # the counts are polled
    expect(page.locator(".unknown-codes")).to_contain_text("NOT-OURS-1")
    expect(page.locator("#reads-count")).to_have_text("2")
    _clean(page)
    page.screenshot(path=artefacts / "audit.png", full_page=True)

    with page.expect_navigation():
        page.get_by_role("button", name="提交本轮").click()
    with page.expect_navigation():
        page.get_by_role("button", name="结束核查").click()
    found = page.locator("table.discrepancies").inner_text()
    assert shelf.missing in found and "NOT-OURS-1" in found and "ng-custodian" in found and "缺失" in found
    _clean(page)
    desk.check_clean()

    # the item's custodian resolves it, before the second auditor's own password
    owner = watched(chromium)
    page = owner.page
    log_in(page, live.url, "ng-custodian")
    with page.expect_navigation():
        page.locator("a[href^='/discrepancy/']", has_text=shelf.missing).click()
    assert shelf.missing in page.locator("main").inner_text()
    expect(page.locator("#resolution")).to_be_focused()
    _clean(page)
    page.select_option("#resolution", "found_elsewhere")
    page.keyboard.press("Tab")
    page.keyboard.type("在2号架找到，已放回")
    page.keyboard.press("Tab")
    page.keyboard.type(shelf.second)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    state = page.locator("main .state").inner_text()
    assert "已处理" in state and "在别处找到" in state, page.locator("main").inner_text()
    assert page.locator("#resolution").count() == 0
    _clean(page)
    owner.check_clean()
    listed = live.custody.discrepancies.list(None, None, None)
    (resolved,) = [d for d in listed if d.audit_id == int(audit_id) and d.code == shelf.missing]
    assert resolved.status.value == "resolved" and resolved.reason == "在2号架找到，已放回"


def test_a_blind_audit_shows_only_the_codes_read_and_the_unknown_ones(
    live: Live, chromium: Browser, artefacts: Path
):
    shelf = _shelf(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-auditor")
    _open(page, live.url, shelf, blind=True)
    expect(page.locator(".blind-notice")).to_be_visible()
    assert page.locator("#count-missing").count() == 0 and page.locator("#drawn-count").count() == 0
    _scan(page, shelf.seal)
    _station_reads(live, shelf, "NOT-OURS-2")
    expect(page.locator(".unknown-codes")).to_contain_text("NOT-OURS-2", timeout=SLOW)
    expect(page.locator("#reads-count")).to_have_text("2")
    text = page.locator("main").inner_text()
    assert shelf.seal in text
    assert not any(n in text for n in (*shelf.sealed, shelf.missing)), text
    _clean(page)
    page.screenshot(path=artefacts / "audit-blind.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="提交本轮").click()
    expect(page.locator("#count-found")).to_have_text("2")
    expect(page.locator("#count-missing")).to_have_text("1")
    _clean(page)
    seen.check_clean()


def test_the_audit_pages_read_the_same_in_english(live: Live, chromium: Browser):
    shelf = _shelf(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-auditor")
    audit_id = _open(page, live.url, shelf)
    for path in ("/audit", f"/audit/{audit_id}"):
        page.goto(live.url + path)
        chinese = page.eval_on_selector_all(
            "input, select, textarea, button", "els => els.map(e => e.name || e.id).sort()"
        )
        zh_text = page.locator("main").inner_text()
        page.goto(f"{live.url}/lang/en?next={path}")
        english = page.eval_on_selector_all(
            "input, select, textarea, button", "els => els.map(e => e.name || e.id).sort()"
        )
        en_text = page.locator("main").inner_text()
        assert chinese == english and zh_text != en_text
        for text in (zh_text, en_text):
            assert not any(key in text for key in ("state.", "role.", "event.", "kind.", "audit.")), text
        _clean(page)
        page.goto(f"{live.url}/lang/zh?next={path}")
    seen.check_clean()
