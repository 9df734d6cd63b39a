"""Writing an item's tag at the desk's station from the item page, in a real headless Chromium: by
keyboard, the job asked for and followed live (htmx under the CSP) while the station takes it and
reports, the tag's UID shown once it is bound; a refusal shown in place with the core's reason; no
serious or critical axe violation, no CSP violation or console error. The station's side is played
through the core here (the agent and the reader are tested in tests/integration/rfid)."""

from __future__ import annotations

from pathlib import Path

from api_harness import unique
from desk_browser import Live, axe_violations, log_in, watched
from playwright.sync_api import Browser, Page

from custody.intake import FirearmIntake
from custody.model import Department
from custody.records import Station
from custody.tag_job_records import TagResult

UID = "04C0FFEE00B0B1"


def _item(live: Live) -> str:
    clerk = live.custody.users.actor("ng-clerk")
    case_no = unique("长南公刑字〔2026〕B") + "号"
    live.custody.cases.open(clerk, case_no, "非法持有枪支案")
    intake = FirearmIntake("手枪", "54式", "5401123", "7.62mm", True)
    return live.custody.items.register_firearm(clerk, case_no, intake).evidence_no


def _station(live: Live) -> Station:
    admin = live.custody.users.actor("admin")
    name = unique("ng-desk-")
    station, _key = live.custody.stations.add(admin, name, "220102", Department.EVIDENCE_ROOM, ["reader-1"])
    return station


def _open_item(page: Page, live: Live, number: str, station: Station) -> None:
    page.goto(f"{live.url}/item/{number}")
    page.locator(f"#station option[value='{station.name}']").wait_for(state="attached")


def test_a_tag_written_at_the_desks_station_is_shown_live(live: Live, chromium: Browser, artefacts: Path):
    number = _item(live)
    station = _station(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    _open_item(page, live, number, station)
    page.locator("#station").focus()  # by keyboard: the station chosen, then the button
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "写入标签"
    page.keyboard.press("Enter")
    job = page.locator("#tag-job-result .tag-job")
    job.wait_for()
    assert f"等待工作站{station.name}领取任务" in job.inner_text()
    job_id = int((job.get_attribute("id") or "").removeprefix("tag-job-"))
    assert axe_violations(page) == []
    jobs = live.custody.tag_jobs
    jobs.take(station, station.name, job_id, "reader-1")
    page.locator(".tag-job-taken").wait_for()
    assert "读写器上" in page.locator(".tag-job-taken").inner_text()
    jobs.report(station, station.name, job_id, TagResult(True, uid=UID, tag_type="NTAG215"), "reader-1")
    done = page.locator(".tag-job-done")
    done.wait_for()
    assert f"已写入并绑定：标签{UID}" in done.inner_text()
    assert page.url == f"{live.url}/item/{number}"  # all in place
    assert axe_violations(page) == []
    page.screenshot(path=artefacts / "tagjobs.png", full_page=True)
    assert live.custody.items.item(None, number).tag_uid == UID
    seen.check_clean()


def test_a_refusal_and_a_failure_show_in_place_in_the_users_language(live: Live, chromium: Browser):
    number = _item(live)
    station, spare = _station(live), _station(live)
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    _open_item(page, live, number, station)
    live.custody.stations.revoke(live.custody.users.actor("admin"), station.name)  # after the form was shown
    page.locator("#station").select_option(station.name)
    page.get_by_role("button", name="写入标签").click()
    alert = page.locator("#tag-writing [role=alert]")
    alert.wait_for()
    assert f"工作站{station.name}已被吊销" in alert.inner_text()
    assert live.custody.tag_jobs.open_jobs(station, station.name) == []
    # the browser names the refusal's status (409) as a resource that failed to load: that, and only that
    assert len(seen.errors) == 1 and "status of 409" in seen.errors[0], seen.errors
    seen.errors.clear()
    page.locator("#station").select_option(spare.name)
    page.get_by_role("button", name="写入标签").click()
    job = page.locator("#tag-job-result .tag-job")
    job.wait_for()
    job_id = int((job.get_attribute("id") or "").removeprefix("tag-job-"))
    live.custody.tag_jobs.take(spare, spare.name, job_id)
    removed = TagResult(False, uid=UID, error_kind="tag_removed", error_message="transmit: 0 bytes")
    live.custody.tag_jobs.report(spare, spare.name, job_id, removed)
    failed = page.locator(".tag-job-failed")
    failed.wait_for()
    assert "标签在写入完成前离开了读写器" in failed.inner_text()
    assert axe_violations(page) == []
    seen.check_clean()
