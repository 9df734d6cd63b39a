"""A firearm and an ammunition lot walked through every desk, in Debian's Chromium, as the people who act
there, against the service as deployed (its own process) with two station agents (`custody station
run`) reading simulated scanners on pseudo-terminals and a virtual tag through vpcd → pcscd → pyscard.

The clerk opens a case and registers both at the intake desk, downloads the firearm's label, chooses the
desk's station on the live-scans page, and a scan at the station's scanner opens the firearm; its tag is
written at the station's reader by a tag-write job from the item page, and the tag read at that reader
opens the item again. The clerk offers both at the handover desk and the custodian accepts with their
own password; the custodian adds the store's locations and seals both before a witness, under a
tamper-evident seal tag read blank at the station's reader (its UID filling the seal form) and written
with the new seal's number there once the seal is made. An auditor opens an audit of the room with the
station reading for it; the firearm's code is read at the scanner, the lot is missing (the one planted
discrepancy) in the live counts; the audit closes, and the custodian resolves the discrepancy before a
second auditor. An investigator records the firearm's test-fire and its samples; the items are sealed
again; a city's custodian applies; the province builds a batch and a second officer approves it; at the
site desk two witnesses confirm, the site opens with the furnace station reading for it, the lot is
counted, photos are kept before and after, the furnace's scanner scans both out while the progress bar
moves; the batch closes and its report is downloaded from the reports page and read back. A screenshot
of each desk is kept (``artefacts/desks/walk-NN-<desk>.png``) and judged by axe-core; no page shows a
CSP violation or a console error; the ledger verifies and replays; both items end destroyed, their
samples kept.

The clerk closes the case at the intake desk before the handover; the custodian opens the seal on the
seal's page before a witness typing their own password, checks the firearm out to the lab from its page
before the test-fire and records its return there after it; a finished tag job brings the item page's
tag field and timeline up to date without a reload.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pdfplumber
import pytest
from desk_walk import (
    FURNACE,
    PASSWORD,
    PLACES,
    READER,
    ROOM,
    SHELF,
    Desks,
    WalkBureau,
    answered,
    artefacts_folder,
    chromium_path,
    desk_station_config,
    furnace_station_config,
    jpeg,
    walk_bureau,
)
from e2e_stack import STATION, CommandDesk, Service, StationProcess
from playwright.sync_api import Browser, Page, expect, sync_playwright

from custody.model import ItemState
from simulators.scanner import ScannerSimulator
from simulators.tag import VPCD_PORTS, VirtualTag

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]

CASE = "长南公刑字〔2026〕W1号"
ROUNDS = 40
SLOW = 10_000  # ms: what a page polls (counts, progress) every 1–2 s


@pytest.fixture
def walk(tmp_path: Path, pcscd: Any) -> WalkBureau:
    return walk_bureau(tmp_path / "bureau")


@pytest.fixture
def chromium() -> Iterator[Browser]:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path(), headless=True)
        print(f"\nbrowser: Debian chromium {browser.version}, Playwright driving it")
        yield browser
        browser.close()


@dataclass
class Walk:
    """Everything the walk's steps share."""

    bureau: WalkBureau
    desks: Desks
    desk_station: StationProcess
    desk_scanner: ScannerSimulator
    furnace: StationProcess
    furnace_scanner: ScannerSimulator
    gun: str = ""
    lot: str = ""
    seal_no: str = ""
    audit_id: str = ""
    samples: tuple[str, ...] = ()
    application_id: str = ""
    batch_id: str = ""


def _focused(page: Page, element_id: str) -> None:
    page.wait_for_function(f"() => document.activeElement && document.activeElement.id === '{element_id}'")


def _submit(page: Page, form: str) -> None:
    """Send the form (a CSS selector) with its submit button, and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").first.click()


def _choose_station(page: Page, base: str, name: str) -> None:
    """The desk names its station on the live-scans page; every page then follows its scans."""
    page.goto(base + "/scans")
    page.select_option("#station", name)
    _submit(page, "form[action='/scans/station']")
    page.locator("#sightings-list").wait_for(state="attached")


def _listening(page: Page) -> None:
    """The page's event stream is open (its first event marks the page): a scan from now on reaches it."""
    page.locator("body[data-listening]").wait_for(state="attached")


def _tag_job(w: Walk, page: Page, part: str, kind: str, tag: VirtualTag | None = None) -> dict[str, Any]:
    """Ask the desk's station for a tag job from the page's ``part`` (its own small form), the station's
    agent taking it; ``tag`` put on the reader once the job waits for it. The agent's report."""
    page.locator(f"{part} #station option[value='{STATION}']").wait_for(state="attached")
    page.select_option(f"{part} #station", STATION)
    page.locator(f"{part} button[type=submit]").click()
    page.locator(f"{part} .tag-job").wait_for()
    taken = w.desk_station.until(lambda r: r.get("event") == "tag_job_taken")
    assert taken["kind"] == kind, taken
    if tag is not None:  # the page says when to put it on the reader (with the tag there, it is done at once)
        page.locator(f"{part} .tag-job-taken").wait_for()
        tag.put_on_reader()
    done = w.desk_station.until(lambda r: r.get("event") in ("tag_job_done", "tag_job_failed"))
    assert done["event"] == "tag_job_done", done
    page.locator(f"{part} .tag-job-done").wait_for()
    return done


# ------------------------------------------------------------------------------------------ intake


def intake(w: Walk) -> None:
    """The clerk opens the case and registers the firearm and the lot; the label is downloaded by
    keyboard and read back."""
    page = w.desks.go("ng-clerk", "/intake/case")
    _focused(page, "case_no")
    page.keyboard.type(CASE)
    page.keyboard.press("Tab")
    page.keyboard.type("非法制造枪支案")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/intake?case=" in page.url, page.locator("main").inner_text()
    _focused(page, "firearm_type")
    page.keyboard.type("手枪")
    page.locator("#make_model").fill("54式")
    page.locator("#serial_number").fill("W-5401")
    page.locator("#calibre").fill("7.62mm")
    page.select_option("#fires_standard_ammunition", "yes")
    page.locator("#source_route").fill("境外走私")
    w.desks.shot("ng-clerk", "intake")
    _submit(page, "form[action='/intake/firearm']")
    found = re.search(r"/intake/item/([A-Z0-9]+)\?registered=true$", page.url)
    assert found, page.url
    w.gun = found.group(1)

    # no label printer at this service: the download link has the focus, Enter saves the label
    _focused(page, "label-download")
    w.desks.shot("ng-clerk", "intake-label")
    with page.expect_download() as downloading:
        page.keyboard.press("Enter")
    with pdfplumber.open(io.BytesIO(Path(downloading.value.path()).read_bytes())) as label:
        assert w.gun in "".join(p.extract_text() or "" for p in label.pages)

    page.goto(f"{w.desks.base}/intake/ammunition?case={quote(CASE)}")
    _focused(page, "calibre")
    page.keyboard.type("7.62mm")
    page.keyboard.press("Tab")
    page.keyboard.type(str(ROUNDS))
    page.keyboard.press("Tab")
    page.keyboard.type("71")
    _submit(page, "form[action='/intake/ammunition']")
    found = re.search(r"/intake/item/([A-Z0-9]+)\?registered=true$", page.url)
    assert found, page.url
    w.lot = found.group(1)
    assert w.gun.startswith("F") and w.lot.startswith("A")


# --------------------------------------------------------------------------------- scans and tag


def scans_and_tag(w: Walk, tag: VirtualTag) -> None:
    """The clerk's desk follows its station: a scan lists on the live-scans page and opens the item on
    any other; the item's tag is written at the station's reader, and read there it opens the item."""
    page = w.desks.page("ng-clerk")
    base = w.desks.base
    _choose_station(page, base, STATION)
    _listening(page)
    w.desk_scanner.scan(w.lot)
    read = answered(w.desk_station)
    assert (read["event"], read["evidence_no"]) == ("accepted", w.lot), read
    page.locator("#sightings-list a", has_text=w.lot).wait_for()
    w.desks.shot("ng-clerk", "scans")

    page.goto(base + "/")
    _listening(page)
    with page.expect_navigation(url=f"{base}/item/{w.gun}"):
        w.desk_scanner.scan(w.gun)
        assert answered(w.desk_station)["event"] == "accepted"
    assert page.locator("h1 .number").inner_text() == w.gun

    # the tag, written and bound by the station's agent at its reader, the page following the job
    uid = tag.uid.hex().upper()
    done = _tag_job(w, page, "#tag-writing", "item_tag", tag)
    assert (done["uid"], done["text"]) == (uid, w.gun), done
    shown = page.locator("#tag-writing .tag-job-done").inner_text()
    assert uid in shown and w.gun in shown, shown
    assert page.url == f"{base}/item/{w.gun}"
    w.desks.shot("ng-clerk", "item-tag")
    tag.take_off_reader()
    w.desk_station.until(lambda r: r.get("event") == "removed")
    expect(page.locator("#item-tag")).to_have_text(uid)  # bound: the page follows without a reload
    expect(page.locator("#timeline-table tbody tr").first).to_contain_text("绑定标签")
    assert w.bureau.read(lambda c: c.items.item(None, w.gun).tag_uid) == uid

    # the tag read at the reader is a scan like any other: it opens the item
    page.goto(base + "/")
    _listening(page)
    with page.expect_navigation(url=f"{base}/item/{w.gun}"):
        tag.put_on_reader()
        read = answered(w.desk_station)
    assert (read["event"], read["evidence_no"]) == ("accepted", w.gun), read
    tag.take_off_reader()
    w.desk_station.until(lambda r: r.get("event") == "removed")


# ------------------------------------------------------------------------- handover and sealing


def handover(w: Walk) -> None:
    """The clerk offers the closed case's items; the custodian accepts at the clerk's desk with their own
    password."""
    page = w.desks.go("ng-clerk", "/intake/case")
    page.locator("#close_case_no").fill(CASE)
    _submit(page, "form[action='/intake/case/close']")
    assert "/intake/case?closed=" in page.url, page.locator("main").inner_text()
    expect(page.locator("main .done")).to_contain_text(CASE)
    page = w.desks.go("ng-clerk", "/store")
    expect(page.locator("#case_no")).to_be_focused()
    page.keyboard.type(CASE)
    page.keyboard.press("Tab")
    page.keyboard.type("ng-custodian")
    page.keyboard.press("Tab")
    for number in (w.gun, w.lot):
        page.keyboard.type(number, delay=2)  # a wedge scanner types fast and ends with Enter
        page.keyboard.press("Enter")
    w.desks.shot("ng-clerk", "store")
    _submit(page, "form[action='/store/offer']")
    assert "/handover/" in page.url, page.locator("main").inner_text()
    expect(page.locator("#receiver_password")).to_be_focused()
    assert page.locator("#receiver").input_value() == "ng-custodian"
    w.desks.shot("ng-clerk", "handover")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert set(w.bureau.states([w.gun, w.lot]).values()) == {ItemState.HANDED_OVER}


def locations(w: Walk) -> None:
    page = w.desks.go("ng-custodian", "/store/locations")
    for code, name in PLACES:
        expect(page.locator("#location_code")).to_be_focused()
        page.keyboard.type(code)
        page.keyboard.press("Tab")
        page.keyboard.type(name)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert code in page.locator("table").inner_text(), page.locator("main").inner_text()
    w.desks.shot("ng-custodian", "store-locations")


def seal(w: Walk, witness: str, desk: str, tag: VirtualTag | None = None) -> str:
    """The custodian seals both items on the shelf before ``witness``, who types their own password; with
    a seal ``tag``: read blank at the desk's station first (its UID fills the form's tag field), and the
    new seal's number written on it there."""
    page = w.desks.go("ng-custodian", "/store/seal")
    expect(page.locator("#location_code")).to_be_focused()
    if tag is not None:
        uid = tag.uid.hex().upper()
        read = _tag_job(w, page, "#seal-tag-reading", "seal_tag_read", tag)
        assert read["uid"] == uid, read
        expect(page.locator("#tag_uid")).to_have_value(uid)
    page.select_option("#location_code", SHELF)
    for number in (w.gun, w.lot):
        page.locator(f"#item-{number}").check()
    page.locator("#witness").fill(witness)
    page.locator("#witness_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#witness_password").press("Enter")
    assert "/store/sealed/" in page.url, page.locator("main").inner_text()
    seal_no = page.locator("#seal-no").inner_text()
    if tag is not None:
        written = _tag_job(w, page, "#seal-tag-writing", "seal_tag_write")  # the tag lies there still
        assert (written["uid"], written["text"]) == (uid, seal_no), written
        assert uid in page.locator("#seal-tag-write-result").inner_text()
        tag.take_off_reader()
        w.desk_station.until(lambda r: r.get("event") == "removed")
    w.desks.shot("ng-custodian", desk)
    assert set(w.bureau.states([w.gun, w.lot]).values()) == {ItemState.SEALED}
    if tag is not None:
        assert w.bureau.read(lambda c: c.seals.show(None, seal_no).seal.tag_uid) == uid
    return seal_no


# ------------------------------------------------------------------------------------------- audit


def audit(w: Walk) -> None:
    """The auditor's audit of the room, the desk's station reading for it: the firearm read at the
    station's scanner, the lot missing; closed with one discrepancy, which the custodian resolves
    before a second auditor typing their own password."""
    base = w.desks.base
    page = w.desks.page("ng-auditor")
    _choose_station(page, base, STATION)
    page.goto(base + "/audit")
    expect(page.locator("#unit_code")).to_be_focused()
    assert page.locator("#unit_code").input_value() == "220102"
    page.keyboard.press("Tab")
    page.keyboard.type(ROOM)
    assert page.locator("#station").input_value() == STATION  # the desk's station, chosen already
    page.locator("#seed").fill("42")
    _submit(page, "form[action='/audit']")
    assert re.search(r"/audit/\d+$", page.url), page.locator("main").inner_text()
    w.audit_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#count-missing")).to_have_text("2")
    expect(page.locator("#count-found")).to_have_text("0")

    w.desk_scanner.scan(w.gun)
    read = answered(w.desk_station)
    assert (read["event"], str(read["audit_id"]), read["code"]) == ("accepted", w.audit_id, w.gun), read
    expect(page.locator("#count-found")).to_have_text("1", timeout=SLOW)  # the counts are polled
    expect(page.locator("#count-missing")).to_have_text("1")
    w.desks.shot("ng-auditor", "audit")
    _submit(page, f"form[action='/audit/{w.audit_id}/submit']")
    _submit(page, f"form[action='/audit/{w.audit_id}/close']")
    found = page.locator("table.discrepancies").inner_text()
    assert w.lot in found and w.gun not in found and "缺失" in found, found
    w.desks.shot("ng-auditor", "audit-closed")

    page = w.desks.go("ng-custodian", "/")
    with page.expect_navigation():
        page.locator("a[href^='/discrepancy/']", has_text=w.lot).click()
    expect(page.locator("#resolution")).to_be_focused()
    page.select_option("#resolution", "found_elsewhere")
    page.keyboard.press("Tab")
    page.keyboard.type("在2号架找到，已放回")
    page.keyboard.press("Tab")
    page.keyboard.type("ng-auditor2")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "已处理" in page.locator("main .state").inner_text(), page.locator("main").inner_text()
    w.desks.shot("ng-custodian", "discrepancy")
    listed = w.bureau.read(lambda c: c.discrepancies.list(None, None, None))
    assert [(d.code, d.status.value) for d in listed if str(d.audit_id) == w.audit_id] == [
        (w.lot, "resolved")
    ]


# ----------------------------------------------------------------------------------------- samples


def samples(w: Walk) -> None:
    """The custodian opens the seal on its page before a witness typing their own password and checks
    the firearm out to the lab from its page; the investigator records its test-fire at the samples
    page; the custodian records its return on the item's page, and both are sealed again."""
    page = w.desks.go("ng-custodian", f"/seal/{w.seal_no}")
    page.locator("#reason").fill("送检制作弹头弹壳样本")
    page.locator("#witness").fill("ng-witness")
    page.locator("#witness_password").fill(PASSWORD)
    w.desks.shot("ng-custodian", "seal-open")
    _submit(page, f"form[action='/seal/{w.seal_no}/open']")
    assert page.url == f"{w.desks.base}/seal/{w.seal_no}", page.locator("main").inner_text()
    assert set(w.bureau.states([w.gun, w.lot]).values()) == {ItemState.HANDED_OVER}

    page = w.desks.go("ng-custodian", f"/item/{w.gun}")
    page.select_option("#purpose", "lab")
    page.locator("#to").fill("刑科所")
    page.locator("#due_date").fill(w.bureau.today_plus(60))
    w.desks.shot("ng-custodian", "item-checkout")
    _submit(page, f"form[action='/item/{w.gun}/checkout']")
    assert page.url == f"{w.desks.base}/item/{w.gun}", page.locator("main").inner_text()
    assert "刑科所" in page.locator("dl.fields").first.inner_text()
    assert w.bureau.states([w.gun])[w.gun] is ItemState.CHECKED_OUT
    page = w.desks.go("ng-investigator", f"/item/{w.gun}/samples")
    _focused(page, "lab")
    page.keyboard.type("刑科所")
    page.locator("#examiner").fill("王检验师")
    page.locator("#lab_stock").fill("实验室库存 7.62mm")
    page.locator("#bullets").fill("1")
    page.locator("#cases").fill("1")
    _submit(page, f"form[action='/item/{w.gun}/samples/test-fire']")
    made = re.findall(r"made=([A-Z0-9]+)", page.url)
    assert [m[0] for m in made] == ["B", "C"], page.url
    w.samples = tuple(made)
    w.desks.shot("ng-investigator", "samples")

    page = w.desks.go("ng-custodian", f"/item/{w.gun}")
    page.locator("#note").fill("检验完毕，送回")
    _submit(page, f"form[action='/item/{w.gun}/return']")
    assert page.url == f"{w.desks.base}/item/{w.gun}", page.locator("main").inner_text()
    assert w.bureau.states([w.gun])[w.gun] is ItemState.HANDED_OVER


# ------------------------------------------------------------------------------------- destruction


def application_and_batch(w: Walk) -> None:
    """The city's custodian applies for both from the disposition queue; the province's officer builds
    a batch and a second officer approves it at the same desk with their own password."""
    page = w.desks.go("cc-custodian", "/destruction")
    page.locator("#within").fill("400")  # the seal's review is a year away
    _submit(page, "form[action='/destruction'][method='get']")
    for number in (w.gun, w.lot):
        page.locator(f"#apply-{number}").check()
    page.locator("#apply-reason").fill("已结案，报请销毁")
    w.desks.shot("cc-custodian", "destruction")
    _submit(page, "form#apply")
    assert re.search(r"/application/\d+$", page.url), page.locator("main").inner_text()
    w.application_id = page.url.rsplit("/", 1)[1]
    w.desks.shot("cc-custodian", "application")

    page = w.desks.go("prov-destruction", "/destruction")
    page.locator(f"#take-{w.application_id}").check()
    page.locator("#batch-place").fill("长春钢厂熔炉")
    _submit(page, "form#batch")
    assert re.search(r"/batch/\d+$", page.url), page.locator("main").inner_text()
    w.batch_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#approve-approver_username")).to_be_focused()
    page.keyboard.type("prov-destruction2")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "已批准" in page.locator("main .state").inner_text()
    w.desks.shot("prov-destruction", "batch")
    assert set(w.bureau.states([w.gun, w.lot]).values()) == {ItemState.APPROVED}


def _photo(page: Page, batch_id: str, number: str, stage: str, colour: tuple[int, int, int]) -> None:
    page.select_option("#photo-evidence_no", number)
    page.select_option("#photo-stage", stage)
    photo = {"name": f"{number}-{stage}.jpg", "mimeType": "image/jpeg", "buffer": jpeg(colour)}
    page.set_input_files("#photo-photo", files=[photo])
    _submit(page, f"form[action='/batch/{batch_id}/photos']")


def site(w: Walk) -> None:
    """The site desk: two witnesses with their own passwords, the site opened with the furnace station
    reading for it, the lot counted, photos before and after, both scanned out at the furnace's
    scanner while the progress bar moves; the batch closed."""
    base, batch = w.desks.base, w.batch_id
    page = w.desks.page("prov-destruction")
    _choose_station(page, base, FURNACE)
    page.goto(f"{base}/batch/{batch}/site")
    for witness in ("ng-site-witness", "kc-clerk"):  # of the owning unit, and of another county
        expect(page.locator("#witness-witness_username")).to_be_focused()
        page.keyboard.type(witness)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert witness in page.locator("#witnesses ul").inner_text(), page.locator("main").inner_text()
    page.select_option("#open-station", FURNACE)
    _submit(page, f"form[action='/batch/{batch}/site']")
    expect(page.locator("#scan-out")).to_have_attribute("value", "0")
    expect(page.locator("#scan-out")).to_have_attribute("max", "2")

    page.select_option("#count-evidence_no", w.lot)
    page.locator("#count-rounds").fill(str(ROUNDS))
    _submit(page, f"form[action='/batch/{batch}/counts']")
    _photo(page, batch, w.gun, "before", (200, 30, 30))
    for done, number in enumerate((w.gun, w.lot), start=1):
        w.furnace_scanner.scan(number)
        read = answered(w.furnace)
        assert (read["event"], read["site_read"], read["evidence_nos"]) == ("accepted", "destroyed", [number])
        expect(page.locator("#scan-out")).to_have_attribute("value", str(done), timeout=SLOW)
    assert page.locator("#scan-out-count").inner_text() == "2 / 2"
    _photo(page, batch, w.gun, "after", (30, 30, 200))
    assert page.locator("#photos img").count() == 2
    w.desks.shot("prov-destruction", "site")
    _submit(page, f"form[action='/batch/{batch}/close']")
    assert "已结束" in page.locator("main .state").inner_text(), page.locator("main").inner_text()


def batch_report(w: Walk) -> None:
    """The batch's report from the reports page, downloaded through the browser and read back."""
    page = w.desks.go("prov-destruction", "/reports")
    page.locator("#batch-batch_id").focus()
    page.keyboard.type(w.batch_id)
    w.desks.shot("prov-destruction", "reports")
    with page.expect_download() as downloading:
        page.keyboard.press("Enter")
    assert downloading.value.suggested_filename == f"batch-{w.batch_id}-report.pdf"
    with pdfplumber.open(io.BytesIO(Path(downloading.value.path()).read_bytes())) as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    assert "枪支弹药销毁报告" in text
    assert re.search(rf"销毁批次(?: Batch no\.)? ?{w.batch_id}(?!\d)", text), text[:400]
    assert w.gun in text and w.lot in text


# ------------------------------------------------------------------------------------------ the walk


def test_two_items_walk_every_desk_from_intake_to_destroyed(
    walk: WalkBureau, tmp_path: Path, chromium: Browser, stations: Any
) -> None:
    service = Service(walk.bureau).start()
    command_line = CommandDesk(walk.bureau, tmp_path, PASSWORD)
    desks = Desks(chromium, service.url, artefacts_folder())
    try:
        with (
            ScannerSimulator(tmp_path / "ttyDesk") as desk_scanner,
            ScannerSimulator(tmp_path / "ttyFurnace") as furnace_scanner,
            VirtualTag("ntag215", port=VPCD_PORTS[0]) as tag,
            VirtualTag("ntag213tt", port=VPCD_PORTS[0]) as seal_tag,
        ):
            key = walk.bureau.station_key
            desk_station = stations(
                desk_station_config(tmp_path / "desk", service.url, key, desk_scanner.link)
            )
            desk_station.reported(lambda r: r.get("event") == "reader_added" and r.get("reader") == READER)
            assert desk_scanner.wait_for_reader()
            furnace_config = furnace_station_config(
                tmp_path / "furnace", service.url, walk.furnace_key, furnace_scanner.link
            )
            furnace = stations(furnace_config)
            assert furnace_scanner.wait_for_reader()
            w = Walk(walk, desks, desk_station, desk_scanner, furnace, furnace_scanner)

            intake(w)
            scans_and_tag(w, tag)
            handover(w)
            locations(w)
            w.seal_no = seal(w, "ng-witness", "seal", seal_tag)
            audit(w)
            samples(w)
            seal(w, "ng-witness2", "seal-again")
            application_and_batch(w)
            site(w)
            batch_report(w)
            desks.check_clean()  # while the service still answers the pages' event streams
    finally:
        desks.close()  # their event streams end, so that the service stops cleanly
        service.close()

    print("\nscreenshots:", *(p.name for p in desks.shots))
    command_line.ledger_is_sound()  # `custody ledger verify` and `custody ledger replay`
    states = walk.states([w.gun, w.lot, *w.samples])
    assert {states[w.gun], states[w.lot]} == {ItemState.DESTROYED}
    assert all(states[n] is not ItemState.DESTROYED for n in w.samples)  # samples are kept for good
    assert desks.axe == {}, desks.axe
