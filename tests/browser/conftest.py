"""Browser tests of the desks: Playwright for Python driving Debian's ``chromium`` (no browser download),
headless, against the service served by uvicorn on a real port, over a fresh SQLite database with the
test cast. axe-core (vendored, ``vendor/``) checks each page's accessibility in the same browser.

A missing ``chromium`` fails the run: the set-up installs it. Screenshots go to ``artefacts/desks``
(``CUSTODY_ARTEFACTS`` to put them elsewhere).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "api"))
from api_harness import PASSWORD, Harness
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from custody.clock import FixedClock
from custody.services import Custody

ROOT = Path(__file__).parents[2]
AXE = Path(__file__).parent / "vendor" / "axe-core-4.11.4.min.js"
CAST = (
    "admin",
    "ng-clerk",
    "ng-clerk2",
    "ng-custodian",
    "ng-investigator",
    "ng-auditor",
    "cc-clerk",
    "kc-clerk",
)


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Debian's chromium is not installed: run scripts/setup")
    return found


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
    print(f"\nbrowser: Debian chromium {browser.version}, Playwright driving it")
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    folder = Path(os.environ.get("CUSTODY_ARTEFACTS", ROOT / "artefacts")) / "desks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Live:
    """The service on a real port, and its harness (the database, the clock, API logins)."""

    harness: Harness
    url: str

    @property
    def custody(self) -> Custody:
        return self.harness.custody


@pytest.fixture
def live(custody: Custody, clock: FixedClock) -> Iterator[Live]:
    """The app over a fresh SQLite database with the test cast, served by uvicorn on a free port."""
    harness = Harness(custody, clock)
    harness.give_passwords(*CAST)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(harness.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the service did not start")
        time.sleep(0.02)
    with harness.running():
        yield Live(harness, f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: str) -> str:
    """Browser tests run on SQLite: the pages are the same on either back end, and the HTTP tests of the
    pages (tests/integration/api/test_web_*.py) run on both."""
    path = tmp_path / "custody.sqlite"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@dataclass
class Watched:
    """A page, with what its browser reported: console errors and Content-Security-Policy violations."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def check_clean(self) -> None:
        violations = self.page.evaluate("window.__cspViolations || []")
        assert violations == [], f"Content-Security-Policy violations: {violations}"
        assert self.errors == [], f"console errors: {self.errors}"


CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
  e.violatedDirective + ' ' + e.blockedURI));
"""


def watched(browser: Browser) -> Watched:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    seen = Watched(page)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", console)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on(
        "response",
        lambda answer: seen.errors.append(f"{answer.status} {answer.url}") if answer.status >= 500 else None,
    )
    return seen


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Log in at ``/`` by keyboard alone: the user-name field has the focus."""
    page.goto(base + "/")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("form[action='/logout']").count() == 1, page.locator("main").inner_text()


def axe_violations(page: Page, serious_only: bool = True) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it stands (serious and critical ones by default)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # evaluated by the driver: the page's CSP admits no inline script
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target)}))"
    )
    return [v for v in found if not serious_only or v["impact"] in ("serious", "critical")]
