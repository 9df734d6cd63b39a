"""The destruction desks in a real headless Chromium: a city's custodian applies for sealed items of the
disposition queue; the province's destruction officer builds a batch and another officer approves it
with their own password at the same desk; at the site desk two witnesses confirm with their own
passwords, the site opens, a keyboard-wedge scanner scans the items out while the scan-out progress bar
moves (htmx, polling a fragment), an unknown code shows among the findings, a photo is uploaded from a
file, the batch closes and its report is downloaded and read back. Keyboard where it matters, no CSP
violation or script error, no serious or critical axe-core violation; a screenshot of each desk."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pdfplumber
from batch_report_world import APPROVER, add_readers, png
from desk_browser import Live, axe_violations, log_in, watched
from destruction_world import OFFICER, sealed_items
from playwright.sync_api import Browser, Page, expect

from custody.clock import china_date

CITY = "cc-custodian"
INSIDE, OUTSIDE = "ng-auditor", "kc-clerk"  # witnesses: of the owning unit, and of another county
SLOW = 8000  # ms: the progress fragment is polled every 2 s


def _setup(live: Live) -> tuple[str, str]:
    """People of the destruction desks, and a sealed firearm and lot whose review is due: (gun, lot)."""
    add_readers(live.custody)
    live.harness.give_passwords(CITY, OFFICER, APPROVER)
    due = (china_date(live.custody.store.now_us()) + timedelta(days=10)).isoformat()
    sealed = sealed_items(live.custody, review_due=due)
    return sealed.gun.evidence_no, sealed.ammo.evidence_no


def _clean(page: Page) -> None:
    assert axe_violations(page) == [], page.url


def test_application_batch_approval_and_the_site_desk_with_two_witnesses(
    live: Live, chromium: Browser, artefacts: Path
):
    gun, lot = _setup(live)

    # a city's custodian applies for the sealed items of the queue
    city = watched(chromium)
    page = city.page
    log_in(page, live.url, CITY)
    page.goto(live.url + "/destruction")
    _clean(page)
    page.screenshot(path=artefacts / "destruction.png", full_page=True)
    expect(page.locator(f"#apply-{gun}, #apply-{lot}").first).to_be_focused()  # the queue's first row
    for number in (gun, lot):
        page.locator(f"#apply-{number}").check()
    page.locator("#apply-reason").fill("已结案，报请销毁")
    with page.expect_navigation():
        page.get_by_role("button", name="报请销毁").click()
    assert "/application/" in page.url
    assert "待省厅审批" in page.locator("main").inner_text()
    _clean(page)
    page.screenshot(path=artefacts / "application.png", full_page=True)
    application_id = page.url.rsplit("/", 1)[1]
    city.check_clean()

    # the province builds a batch; another officer approves it at the same desk, by keyboard
    desk = watched(chromium)
    page = desk.page
    log_in(page, live.url, OFFICER)
    page.goto(live.url + "/destruction")
    page.locator(f"#take-{application_id}").check()
    page.locator("#batch-place").fill("长春钢厂熔炉")
    with page.expect_navigation():
        page.get_by_role("button", name="组成批次").click()
    assert "/batch/" in page.url
    batch_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#approve-approver_username")).to_be_focused()
    page.keyboard.type(APPROVER)
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery staple")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "已批准" in page.locator("main .state").inner_text()
    _clean(page)
    page.screenshot(path=artefacts / "batch.png", full_page=True)

    # the site desk: two witnesses, each with their own password typed at the desk
    page.get_by_role("link", name="销毁现场台").first.click()
    page.wait_for_url(f"{live.url}/batch/{batch_id}/site")
    for witness in (INSIDE, OUTSIDE):
        expect(page.locator("#witness-witness_username")).to_be_focused()
        page.keyboard.type(witness)
        page.keyboard.press("Tab")
        page.keyboard.type("correct horse battery staple")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    witnesses = page.locator("#witnesses ul").inner_text()
    assert INSIDE in witnesses and OUTSIDE in witnesses
    with page.expect_navigation():
        page.get_by_role("button", name="开启现场").click()
    expect(page.locator("#scan-out")).to_have_attribute("value", "0")
    expect(page.locator("#scan-out")).to_have_attribute("max", "2")

    # the lot's rounds counted, then a wedge scanner types each code and Enter into the scan box
    page.locator("#count-rounds").fill("50")
    with page.expect_navigation():
        page.get_by_role("button", name="登记清点").click()
    for done, code in enumerate((gun, lot), start=1):
        if done == 2:
            page.evaluate("document.activeElement.blur()")  # a scanner typing into no field
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")
        expect(page.locator("#scan-out")).to_have_attribute("value", str(done), timeout=SLOW)
        expect(page.locator("#read-result")).to_contain_text("已销毁")
        expect(page.locator("#site-code")).to_be_focused()  # emptied, ready for the next code
        expect(page.locator("#site-code")).to_have_value("")
    page.keyboard.type("NOT-A-CODE", delay=5)
    page.keyboard.press("Enter")
    page.locator("table.findings code", has_text="NOT-A-CODE").wait_for(timeout=SLOW)
    assert page.locator("#scan-out-count").inner_text() == "2 / 2"

    # a photo after destruction, uploaded from a file; kept and shown back through the page
    page.locator("#photo-evidence_no").select_option(gun)
    page.locator("#photo-stage").select_option("after")
    page.set_input_files(
        "#photo-photo", files=[{"name": "gun.png", "mimeType": "image/png", "buffer": png((9, 9, 9))}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="保存照片").click()
    image = page.locator("#photos img").first
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth === 64", image.element_handle())
    assert gun in page.locator("#photos figcaption").first.inner_text()
    _clean(page)
    page.screenshot(path=artefacts / "site.png", full_page=True)

    # the batch closes; its report downloads and reads back
    with page.expect_navigation():
        page.get_by_role("button", name="结束本批次").click()
    assert "已结束" in page.locator("main .state").inner_text()
    with page.expect_download() as downloading:
        page.get_by_role("link", name="下载批次销毁报告（PDF）").click()
    saved = downloading.value.path()
    with pdfplumber.open(io.BytesIO(Path(saved).read_bytes())) as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert gun in text and lot in text
    _clean(page)
    desk.check_clean()
