"""The sealing desk's seal tag through the station, in a real headless Chromium: the custodian asks the
desk's station to read a blank seal tag, the job is followed live (htmx under the CSP) and the UID read
appears in the seal form's tag field, the items are sealed with it before a witness, and the seal's
number is written on that tag the same way; a failed read shows its reason in place. No serious or
critical axe violation, no CSP violation or console error. The station's side is played through the core
here (the agent and the reader are tested in tests/integration/rfid)."""

from __future__ import annotations

from pathlib import Path

from api_harness import PASSWORD, unique
from desk_browser import Live, axe_violations, log_in, watched
from playwright.sync_api import Browser, Page, expect

from custody.intake import FirearmIntake
from custody.model import Department, Role
from custody.records import Station
from custody.tag_job_records import TagResult

UID = "04C0FFEE00A5E1"
STORE = "L220102-G"


def _accepted(live: Live) -> list[str]:
    """Two firearms of a closed case, accepted by the custodian; the store's location exists."""
    clerk, custodian = live.custody.users.actor("ng-clerk"), live.custody.users.actor("ng-custodian")
    case_no = unique("长南公刑字〔2026〕G") + "号"
    live.custody.cases.open(clerk, case_no, "非法持有枪支案")
    numbers = [
        live.custody.items.register_firearm(
            clerk, case_no, FirearmIntake("手枪", "54式", unique("SN"), "7.62mm", True)
        ).evidence_no
        for _ in range(2)
    ]
    live.custody.cases.close(clerk, case_no)
    offer = live.custody.handovers.offer(clerk, case_no, "ng-custodian", numbers)
    live.custody.handovers.accept(custodian, offer.id)
    live.custody.locations.add(custodian, STORE, "封存库")
    return numbers


def _station(live: Live) -> Station:
    admin = live.custody.users.actor("admin")
    name = unique("ng-sealdesk-")
    station, _key = live.custody.stations.add(admin, name, "220102", Department.EVIDENCE_ROOM, ["reader-1"])
    return station


def _job_id(page: Page, result: str) -> int:
    job = page.locator(f"{result} .tag-job")
    job.wait_for()
    return int((job.get_attribute("id") or "").removeprefix("tag-job-"))


def _seal_tag(uid: str, tamper: str = "closed") -> TagResult:
    return TagResult(True, uid=uid, tag_type="NTAG213TT", tamper=tamper, tamper_opened_before=False)


def test_the_seal_tag_is_read_sealed_with_and_written_through_the_station(
    live: Live, chromium: Browser, artefacts: Path
):
    numbers = _accepted(live)
    station = _station(live)
    witness = live.harness.add_user(
        unique("ng-witness-"), "220102", Department.POLICE_STATION, Role.INVESTIGATOR
    )
    jobs = live.custody.tag_jobs
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-custodian")
    page.goto(live.url + "/store/seal")
    expect(page.locator("#location_code")).to_be_focused()  # the seal form's first field, as before
    page.locator(f"#station option[value='{station.name}']").wait_for(state="attached")
    assert axe_violations(page) == []

    # read a blank seal tag at the station, by keyboard: the station chosen, then the button
    page.locator("#station").select_option(station.name)
    page.locator("#station").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "读取封签电子标签"
    page.keyboard.press("Enter")
    job_id = _job_id(page, "#seal-tag-read-result")
    assert f"等待工作站{station.name}领取任务" in page.locator("#seal-tag-read-result").inner_text()
    jobs.take(station, station.name, job_id, "reader-1")
    page.locator(".tag-job-taken").wait_for()
    jobs.report(station, station.name, job_id, _seal_tag(UID), "reader-1")
    page.locator("#seal-tag-read-result .tag-job-done").wait_for()
    expect(page.locator("#tag_uid")).to_have_value(UID)  # the UID read, in the seal form's field
    assert f"由工作站{station.name}读取" in page.locator("#tag_uid-read").inner_text()
    assert f"已读取封签电子标签：{UID}" in page.locator("#seal-tag-read-result").inner_text()
    assert page.url == f"{live.url}/store/seal"  # all in place
    assert axe_violations(page) == []

    # the seal, made with that tag before the witness
    for number in numbers:
        page.locator(f"#item-{number}").check()
    page.select_option("#location_code", STORE)
    page.locator("#witness").fill(witness)
    page.locator("#witness_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#witness_password").press("Enter")
    assert "/store/sealed/" in page.url, page.locator("main").inner_text()
    seal_no = page.locator("#seal-no").inner_text()
    assert live.custody.seals.show(None, seal_no).seal.tag_uid == UID

    # the seal's number written on its tag, followed live
    page.locator(f"#station option[value='{station.name}']").wait_for(state="attached")
    page.locator("#station").select_option(station.name)
    page.get_by_role("button", name="写入封签编号").click()
    job_id = _job_id(page, "#seal-tag-write-result")
    jobs.take(station, station.name, job_id, "reader-1")
    jobs.report(station, station.name, job_id, _seal_tag(UID), "reader-1")
    done = page.locator("#seal-tag-write-result .tag-job-done")
    done.wait_for()
    assert f"封签编号{seal_no}已写入电子标签{UID}" in done.inner_text()
    assert axe_violations(page) == []
    page.screenshot(path=artefacts / "seal-tag.png", full_page=True)
    seen.check_clean()


def test_a_failed_read_shows_its_reason_and_leaves_the_field_as_it_was(live: Live, chromium: Browser):
    _accepted(live)
    station = _station(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-custodian")
    page.goto(live.url + "/store/seal")
    page.locator(f"#station option[value='{station.name}']").wait_for(state="attached")
    page.locator("#tag_uid").fill("04ABCDEF012345")  # typed at the desk meanwhile
    page.locator("#station").select_option(station.name)
    page.get_by_role("button", name="读取封签电子标签").click()
    job_id = _job_id(page, "#seal-tag-read-result")
    live.custody.tag_jobs.take(station, station.name, job_id)
    live.custody.tag_jobs.report(station, station.name, job_id, _seal_tag(UID, tamper="open"))
    failed = page.locator("#seal-tag-read-result .tag-job-failed")
    failed.wait_for()
    assert "未读取到可用的封签电子标签：此封存标签的防拆回路已断开或曾经断开" in failed.inner_text()
    expect(page.locator("#tag_uid")).to_have_value("04ABCDEF012345")
    assert axe_violations(page) == []
    seen.check_clean()
