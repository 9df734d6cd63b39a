"""The parts of the desks' end-to-end walk: the bureau with the people of the walk and the two stations,
a browser context per person (each logs in with their own password), screenshots of each desk, the
station agents' configuration.

The browser helpers are the desks' own (tests/browser/desk_browser.py): watched pages record console
errors and Content-Security-Policy violations, axe-core judges each desk.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

_TESTS = Path(__file__).parents[1]
for _folder in (_TESTS / "browser", _TESTS / "integration" / "api"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from desk_browser import Watched, axe_violations, watched  # noqa: E402
from e2e_stack import (  # noqa: E402
    STATION,
    Bureau,
    StationProcess,
    prepare_bureau,
    station_config,
)
from PIL import Image  # noqa: E402
from playwright.sync_api import Browser, Page  # noqa: E402

from custody.clock import china_date  # noqa: E402
from custody.model import Department, ItemState, Role  # noqa: E402

PASSWORD = "walk the desks 2026"
READER = "Virtual PCD 00 00"
FURNACE = "prov-furnace"
STORE, ROOM, SHELF = "L220102-W", "L220102-W-1", "L220102-W-1-01"
PLACES = ((STORE, "南关物证库"), (ROOM, "一号间"), (SHELF, "1号架"))
ROOT = Path(__file__).parents[2]

PROVINCE, OFFICER = Department.PROVINCIAL_PUBLIC_ORDER, Role.DESTRUCTION_OFFICER
# username, full name, unit, department, role
PEOPLE = (
    ("ng-custodian", "南关治安", "220102", Department.PUBLIC_ORDER, Role.CUSTODIAN),
    ("ng-witness", "南关见证人", "220102", Department.POLICE_STATION, Role.INVESTIGATOR),
    ("ng-witness2", "南关见证人二", "220102", Department.POLICE_STATION, Role.INVESTIGATOR),
    ("ng-site-witness", "南关现场见证人", "220102", Department.POLICE_STATION, Role.INVESTIGATOR),
    ("ng-investigator", "南关刑侦", "220102", Department.CRIMINAL_INVESTIGATION, Role.INVESTIGATOR),
    ("ng-auditor", "南关督察", "220102", Department.INSPECTION, Role.AUDITOR),
    ("ng-auditor2", "南关督察二", "220102", Department.INSPECTION, Role.AUDITOR),
    ("kc-clerk", "宽城物证管理员", "220103", Department.EVIDENCE_ROOM, Role.CLERK),
    ("cc-custodian", "长春治安", "220100", Department.PUBLIC_ORDER, Role.CUSTODIAN),
    ("prov-destruction", "省厅销毁专员", "220000", PROVINCE, OFFICER),
    ("prov-destruction2", "省厅销毁专员二", "220000", PROVINCE, OFFICER),
)


@dataclass
class WalkBureau:
    """The e2e bureau (its clerk, administrator and the Nanguan desk's station with a scanner and a
    reader), the people of the walk with a password each, and the province's furnace station (a
    scanner); the furnace station's key."""

    bureau: Bureau
    furnace_key: str

    def today_plus(self, days: int) -> str:
        custody = self.bureau.custody()
        try:
            return (china_date(custody.store.now_us()) + timedelta(days=days)).isoformat()
        finally:
            custody.close()

    def states(self, numbers: list[str]) -> dict[str, ItemState]:
        custody = self.bureau.custody()
        try:
            return {n: custody.items.item(None, n).state for n in numbers}
        finally:
            custody.close()

    def read(self, reading: Callable[[Any], Any]) -> Any:
        """Something read through the core (never written): ``reading(custody)``."""
        custody = self.bureau.custody()
        try:
            return reading(custody)
        finally:
            custody.close()


def walk_bureau(directory: Path) -> WalkBureau:
    """Set-up no desk offers: users, their passwords and the stations (done through the core)."""
    bureau = prepare_bureau(directory, firearms=0)
    custody = bureau.custody()
    try:
        admin = custody.users.actor("admin")
        for username, name, unit, department, role in PEOPLE:
            custody.users.add(username, name, unit, department, {role})
        for username in ("admin", "ng-clerk", *(p[0] for p in PEOPLE)):
            custody.users.set_password(admin, username, PASSWORD)
        _station, key = custody.stations.add(admin, FURNACE, "220000", PROVINCE, ("scanner-1",))
    finally:
        custody.close()
    return WalkBureau(bureau, key)


def desk_station_config(directory: Path, service_url: str, key: str, scanner: Path) -> Path:
    """The Nanguan desk's station: its scanner, its reader, and the desks' tag-write jobs."""
    directory.mkdir(parents=True, exist_ok=True)
    path = station_config(directory, service_url, key, scanner=scanner, reader=READER)
    with path.open("a", encoding="utf-8") as config:
        config.write(f'\n[tag_jobs]\nstation = "{STATION}"\npoll = 5\n')
    return path


def furnace_station_config(directory: Path, service_url: str, key: str, scanner: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return station_config(directory, service_url, key, scanner=scanner)


def answered(station: StationProcess) -> dict[str, Any]:
    """The service's answer to the station's next read."""
    return station.until(lambda r: r.get("event") in ("accepted", "refused"))


def jpeg(colour: tuple[int, int, int]) -> bytes:
    """A small photo as the desk's camera would send it."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="JPEG")
    return out.getvalue()


def log_in(page: Page, base: str, username: str) -> None:
    """Log in at ``/`` by keyboard alone, as desk_browser.log_in does, its wait for the autofocus a
    function (a string predicate polled again is evaluated by ``eval``, which the pages' CSP refuses)."""
    page.goto(base + "/")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("form[action='/logout']").count() == 1, page.locator("main").inner_text()


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Debian's chromium is not installed: run scripts/setup")
    return found


def artefacts_folder() -> Path:
    folder = Path(os.environ.get("CUSTODY_ARTEFACTS", ROOT / "artefacts")) / "desks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Desks:
    """The people at the desks: a watched browser context each, logged in with their own password; a
    screenshot of each desk as the walk reaches it, with axe-core's verdict on it."""

    browser: Browser
    base: str
    folder: Path
    people: dict[str, Watched] = field(default_factory=dict)
    shots: list[Path] = field(default_factory=list)
    axe: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    csp: dict[str, list[str]] = field(default_factory=dict)

    def page(self, username: str) -> Page:
        """The user's page, logged in at ``/`` by keyboard the first time."""
        if username not in self.people:
            seen = watched(self.browser)
            log_in(seen.page, self.base, username)
            self.people[username] = seen
        return self.people[username].page

    def go(self, username: str, path: str) -> Page:
        page = self.page(username)
        page.goto(self.base + path)
        return page

    def shot(self, username: str, desk: str) -> Path:
        """Keep a screenshot of the desk the user's page shows now, as ``walk-NN-<desk>.png``."""
        page = self.people[username].page
        path = self.folder / f"walk-{len(self.shots) + 1:02d}-{desk}.png"
        page.screenshot(path=path, full_page=True)
        self.shots.append(path)
        found = axe_violations(page)
        if found:
            self.axe[f"{desk} ({page.url})"] = found
        violations = page.evaluate("window.__cspViolations || []")  # this page's, before it is left
        if violations:
            self.csp[f"{desk} ({page.url})"] = violations
        return path

    def check_clean(self) -> None:
        """No page of anyone showed a CSP violation or a console error (the browser reports a
        violation as a console error too, so those of pages left earlier are seen)."""
        assert self.csp == {}, f"Content-Security-Policy violations: {self.csp}"
        for username, seen in self.people.items():
            try:
                seen.check_clean()
            except AssertionError as error:
                raise AssertionError(f"{username}'s page: {error}") from None

    def close(self) -> None:
        while self.people:
            _username, seen = self.people.popitem()
            seen.page.context.close()
