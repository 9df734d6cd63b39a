"""The handover and sealing desk in a real headless Chromium: a clerk offers a closed case's items by
keyboard (the numbers scanned into the list one a line), the named custodian accepts them at the same
desk by typing their own password into the form, the custodian adds a location and seals the items
before a witness who confirms with their password (a wrong one is refused next to its field first),
and the new seal's number is shown with a link to the seal. Keyboard where it matters, no CSP violation
or script error, no serious or critical axe-core violation; screenshots of the desk, the handover and
the seal."""

from __future__ import annotations

from pathlib import Path

from api_harness import PASSWORD, unique
from desk_browser import Live, Watched, axe_violations, log_in, watched
from playwright.sync_api import Browser, Page, expect

from custody.intake import FirearmIntake
from custody.model import Department, Role

STORE = "L220102-S"


def _closed_case(live: Live) -> tuple[str, list[str]]:
    clerk = live.custody.users.actor("ng-clerk")
    case_no = unique("长南公刑字〔2026〕B") + "号"
    live.custody.cases.open(clerk, case_no, "非法持有枪支案")
    numbers = [
        live.custody.items.register_firearm(
            clerk, case_no, FirearmIntake("手枪", "54式", unique("SN"), "7.62mm", True)
        ).evidence_no
        for _ in range(2)
    ]
    live.custody.cases.close(clerk, case_no)
    return case_no, numbers


def _clean(page: Page) -> None:
    assert axe_violations(page) == [], page.url


def _refused_as_meant(seen: Watched, status: int) -> None:
    """The browser reports a refused form's answer as a failed load: that one was meant, nothing else."""
    assert len(seen.errors) == 1 and f"status of {status}" in seen.errors[0], seen.errors
    seen.errors.clear()


def test_offer_accept_at_the_counter_and_seal_before_a_witness(
    live: Live, chromium: Browser, artefacts: Path
):
    case_no, numbers = _closed_case(live)
    witness = live.harness.add_user(
        unique("ng-witness-"), "220102", Department.POLICE_STATION, Role.INVESTIGATOR
    )

    # the clerk offers the items by keyboard: the case number has the focus, the numbers go one a line
    desk = watched(chromium)
    page = desk.page
    log_in(page, live.url, "ng-clerk")
    page.goto(live.url + "/store")
    expect(page.locator("#case_no")).to_be_focused()
    _clean(page)
    page.keyboard.type(case_no)
    page.keyboard.press("Tab")
    page.keyboard.type("ng-custodian")
    page.keyboard.press("Tab")
    for number in numbers:
        page.keyboard.type(number, delay=2)  # a scanner types fast and ends with Enter
        page.keyboard.press("Enter")
    page.screenshot(path=artefacts / "store.png", full_page=True)
    page.keyboard.press("Tab")  # the case's unit: left empty
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/handover/" in page.url, page.locator("main").inner_text()
    handover_id = page.url.rsplit("/", 1)[1]
    main = page.locator("main").inner_text()
    assert all(n in main for n in numbers) and "待保管员接收" in main

    # the custodian, at the clerk's desk, accepts with their own password (the focus is on it)
    expect(page.locator("#receiver_password")).to_be_focused()
    assert page.locator("#receiver").input_value() == "ng-custodian"
    _clean(page)
    page.screenshot(path=artefacts / "handover.png", full_page=True)
    page.keyboard.type("not the password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("alert").count() >= 1
    expect(page.locator("#receiver_password-refusal")).to_be_visible()
    _clean(page)
    _refused_as_meant(desk, 422)
    page.locator("#receiver_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#receiver_password").press("Enter")
    assert page.url == f"{live.url}/handover/{handover_id}"
    assert "已接收" in page.locator("main .state").inner_text()
    desk.check_clean()

    # the custodian adds the store and seals both items before the witness
    store = watched(chromium)
    page = store.page
    log_in(page, live.url, "ng-custodian")
    page.goto(live.url + "/store/locations")
    expect(page.locator("#location_code")).to_be_focused()
    page.keyboard.type(STORE)
    page.keyboard.press("Tab")
    page.keyboard.type("封存库")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert STORE in page.locator("table").inner_text()
    _clean(page)

    page.goto(live.url + "/store")
    _clean(page)
    with page.expect_navigation():
        page.get_by_role("link", name="封存物品").click()
    expect(page.locator("#location_code")).to_be_focused()
    page.select_option("#location_code", STORE)
    for number in numbers:
        page.locator(f"#item-{number}").focus()
        page.keyboard.press("Space")
    page.locator("#witness").fill(witness)
    page.locator("#witness_password").fill("wrong")
    with page.expect_navigation():
        page.locator("#witness_password").press("Enter")
    expect(page.locator("#witness_password-refusal")).to_be_visible()
    assert page.locator("#witness").input_value() == witness
    _clean(page)
    _refused_as_meant(store, 422)
    page.locator("#witness_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#witness_password").press("Enter")
    assert "/store/sealed/" in page.url, page.locator("main").inner_text()
    seal_no = page.locator("#seal-no").inner_text()
    assert seal_no.startswith("S220102") and all(n in page.locator("main").inner_text() for n in numbers)
    _clean(page)
    page.screenshot(path=artefacts / "seal.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("link", name="查看封签").click()
    assert page.url == f"{live.url}/seal/{seal_no}"
    assert witness in page.locator("main").inner_text()
    store.check_clean()


def test_the_desk_reads_the_same_in_english(live: Live, chromium: Browser):
    _case_no, _numbers = _closed_case(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.goto(live.url + "/store")
    chinese = page.eval_on_selector_all(
        "input, textarea, button", "els => els.map(e => e.name || e.id).sort()"
    )
    page.goto(live.url + "/lang/en?next=/store")
    english = page.eval_on_selector_all(
        "input, textarea, button", "els => els.map(e => e.name || e.id).sort()"
    )
    assert chinese == english
    assert "Offer a case's items to the custodian" in page.locator("main").inner_text()
    _clean(page)
    seen.check_clean()
