"""The reports page in a real headless Chromium: every report it offers downloads through the browser
(Playwright's ``expect_download``) with the API's file name, and reads back (pdfplumber) showing its
evidence number, handover, letter, batch or period; each PDF's first page is kept as a PNG
(``report-<name>.png``, drawn by pdftoppm). The clerk works by keyboard alone (the first field has the
focus, Enter sends); a refused download shows the core's reason beside its field and the page goes on
working; axe-core finds no serious or critical violation; no CSP violation or script error."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
from batch_report_world import add_readers, closed_batch
from custody_chain_world import first_page_png, walked_item
from desk_browser import Live, Watched, axe_violations, log_in, watched
from playwright.sync_api import Browser, Page

from custody.clock import FixedClock
from custody.numbers import EvidenceNumber, ItemKind


def _text(pdf: Path) -> str:
    with pdfplumber.open(io.BytesIO(pdf.read_bytes())) as document:
        return "\n".join(p.extract_text() or "" for p in document.pages)


def _download(page: Page, press: str, artefacts: Path, name: str, filename: str) -> str:
    """Press ``press`` on the focused control, take the download, keep its first page as a PNG; its
    text."""
    with page.expect_download() as downloading:
        page.keyboard.press(press)
    download = downloading.value
    assert download.suggested_filename == filename
    saved = Path(download.path())
    first_page_png(saved, artefacts / f"report-{name}.png")
    return _text(saved)


def _focused(page: Page, element_id: str) -> None:
    page.locator(f"#{element_id}:focus").wait_for()


def _clean(page: Page) -> None:
    assert axe_violations(page) == [], page.url


def _refused_as_meant(seen: Watched, status: int) -> None:
    """The browser reports a refused form's answer as a failed load: that one was meant, nothing else."""
    assert len(seen.errors) == 1 and f"status of {status}" in seen.errors[0], seen.errors
    seen.errors.clear()


def test_a_clerk_downloads_the_chain_of_custody_by_keyboard_and_reads_a_refusal_in_place(
    live: Live, chromium: Browser, artefacts: Path
):
    number = walked_item(live.custody)
    head = live.custody.ledger.head().seq
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.get_by_role("link", name="报表").click()
    page.wait_for_url(live.url + "/reports")
    _focused(page, "custody-evidence_no")  # the page's first field has the focus
    _clean(page)
    page.screenshot(path=artefacts / "reports.png", full_page=True)

    # a number the ledger never issued: the core's reason beside the field, which keeps the focus
    missing = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 999_999))
    page.keyboard.type(missing)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _refused_as_meant(seen, 404)
    beside = page.locator("#custody-evidence_no-refusal").inner_text()
    assert missing in beside and beside == page.get_by_role("alert").inner_text()
    _focused(page, "custody-evidence_no")
    assert page.locator("#custody-evidence_no").get_attribute("aria-invalid") == "true"
    _clean(page)
    page.screenshot(path=artefacts / "reports-refused.png", full_page=True)

    # the page goes on: the right number (scanned in lower case), Tab past the format (PDF) and the
    # ledger point (the latest) to the button, Enter
    page.keyboard.press("Control+A")
    page.keyboard.type(number.lower())
    page.keyboard.press("Tab")
    _focused(page, "custody-format")
    page.keyboard.press("Tab")
    _focused(page, "custody-as_of")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('type')") == "submit"
    text = _download(page, "Enter", artefacts, "custody", f"custody-{number}-{head}.pdf")
    assert number in text and "证据保管链" in text
    seen.check_clean()


def test_every_report_downloads_through_the_browser_for_a_role_that_reads_it(
    live: Live, chromium: Browser, artefacts: Path, clock: FixedClock
):
    add_readers(live.custody)
    batch = closed_batch(live.custody, clock)
    accepted = live.custody.handovers.list(live.custody.users.actor("ng-clerk"), None).rows[0]
    handover, number = accepted.id, accepted.items[0].evidence_no

    # the clerk: the handover slip, then a tracing letter issued at the page and downloaded
    clerk = watched(chromium)
    page = clerk.page
    log_in(page, live.url, "ng-clerk")
    page.goto(live.url + "/reports")
    page.locator("#slip-handover_id").focus()
    page.keyboard.type(str(handover))
    text = _download(page, "Enter", artefacts, "slip", f"handover-{handover}-slip.pdf")
    assert "移交清单" in text and number in text

    page.locator("#new-letter-evidence_no").focus()
    page.keyboard.type(number)
    page.keyboard.press("Tab")
    page.keyboard.type("吉林市公安局刑侦支队")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the request left empty: its source and flow
    _focused(page, "new-letter-reply_by")
    page.locator("#new-letter-reply_by").fill("2026-04-01")
    page.get_by_role("button", name="发出协查函").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    notice = page.get_by_role("status")
    seq = int(page.locator("#letter-letter").input_value())
    reference = live.custody.tracing_letters.get(None, seq).reference
    assert reference in notice.inner_text()
    _clean(page)
    page.screenshot(path=artefacts / "reports-letter.png", full_page=True)
    _focused(page, "issued-pdf")  # the letter just issued: Enter downloads it
    text = _download(page, "Enter", artefacts, "letter", f"tracing-letter-{seq}.pdf")
    assert reference in text and number in text and "吉林市公安局刑侦支队" in text
    clerk.check_clean()

    # the custodian: the destruction batch's report
    custodian = watched(chromium)
    page = custodian.page
    log_in(page, live.url, "ng-custodian")
    page.goto(live.url + "/reports")
    assert page.locator("#monthly").count() == 0  # the statistics are not the custodian's to read
    page.locator("#batch-batch_id").focus()
    page.keyboard.type(str(batch.batch_id))
    text = _download(page, "Enter", artefacts, "batch", f"batch-{batch.batch_id}-report.pdf")
    assert "枪支弹药销毁报告" in text and batch.first.gun.evidence_no in text
    custodian.check_clean()

    # the auditor: the monthly statistics and the quarter's roll-up, of the auditor's own unit
    auditor = watched(chromium)
    page = auditor.page
    log_in(page, live.url, "ng-auditor")
    page.goto(live.url + "/reports")
    _clean(page)
    page.locator("#monthly-month").fill("")
    page.locator("#monthly-month").focus()
    page.keyboard.type("2026-03")
    text = _download(page, "Enter", artefacts, "monthly", "statistics-2026-03-220102.pdf")
    assert "period: 2026-03" in text
    page.locator("#quarterly-quarter").fill("")
    page.locator("#quarterly-quarter").focus()
    page.keyboard.type("2026-Q1")
    text = _download(page, "Enter", artefacts, "quarterly", "statistics-2026-Q1-220102.pdf")
    assert "period: 2026-Q1" in text
    # another city's unit is answered as missing, beside the unit field
    page.locator("#monthly-unit").fill("220200")
    page.locator("#monthly-unit").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _refused_as_meant(auditor, 404)
    assert "220200" in page.locator("#monthly-unit-refusal").inner_text()
    _focused(page, "monthly-unit")
    _clean(page)
    auditor.check_clean()


def test_the_chinese_and_english_pages_carry_the_same_fields(live: Live, chromium: Browser):
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-auditor")
    fields = "els => els.map(e => [e.tagName, e.id, e.name]).sort()"
    page.goto(live.url + "/reports")
    chinese = page.eval_on_selector_all("main input, main select, main textarea, main button", fields)
    zh_text = page.locator("main").inner_text()
    page.goto(live.url + "/lang/en?next=/reports")
    assert page.locator("html").get_attribute("lang") == "en"
    english = page.eval_on_selector_all("main input, main select, main textarea, main button", fields)
    en_text = page.locator("main").inner_text()
    assert chinese == english and zh_text != en_text
    assert "Chain of custody" in en_text and "证据保管链报告" in zh_text
    _clean(page)
    seen.check_clean()
