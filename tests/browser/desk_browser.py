"""What the browser tests share: the live service, a watched page (console errors, CSP violations),
keyboard login, and axe-core's verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api_harness import PASSWORD, Harness
from playwright.sync_api import Browser, ConsoleMessage, Page

from custody.services import Custody

AXE = Path(__file__).parent / "vendor" / "axe-core-4.11.4.min.js"


@dataclass
class Live:
    """The service on a real port, and its harness (the database, the clock, API logins)."""

    harness: Harness
    url: str

    @property
    def custody(self) -> Custody:
        return self.harness.custody


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
    page.locator("#username:focus").wait_for()
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
