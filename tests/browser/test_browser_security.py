"""The pages' security as a browser sees it: the session cookie's flags and its absence from scripts, a
form posted from another site refused (its cookie is not even sent), the Content-Security-Policy
enforced (an injected inline script does not run), and another unit's item answered exactly like a
missing one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from api_harness import unique
from desk_browser import Live, log_in, watched
from playwright.sync_api import Browser

from custody.intake import FirearmIntake, SourceAndFlow
from custody.numbers import EvidenceNumber


def _item(live: Live) -> str:
    clerk = live.custody.users.actor("ng-clerk")
    case_no = unique("长南公刑字〔2026〕") + "号"
    live.custody.cases.open(clerk, case_no, "非法持有枪支案")
    intake = FirearmIntake("手枪", "54式", unique("SN"), "7.62mm", True, SourceAndFlow())
    return live.custody.items.register_firearm(clerk, case_no, intake).evidence_no


@pytest.fixture
def other_site(live: Live) -> Iterator[str]:
    """Another site, on another port: a page whose form posts to the service's logout."""
    page = (
        f'<!doctype html><html lang="en"><title>elsewhere</title><form method="post" '
        f'action="{live.url}/logout"><input type="hidden" name="csrf" value="guessed">'
        f'<button id="go">Go</button></form></html>'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()


def test_the_session_cookie_is_httponly_strict_and_hidden_from_scripts(live: Live, chromium: Browser):
    seen = watched(chromium)
    log_in(seen.page, live.url, "ng-clerk")
    (session,) = [c for c in seen.page.context.cookies() if c["name"] == "custody_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Strict"
    assert session["secure"] is False  # plain HTTP here: the HTTP tests show Secure over TLS
    assert "custody_session" not in seen.page.evaluate("document.cookie")
    seen.check_clean()


def test_a_form_posted_from_another_site_changes_nothing(live: Live, chromium: Browser, other_site: str):
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.goto(other_site)
    with page.expect_navigation():
        page.click("#go")
    assert page.url == f"{live.url}/logout"
    assert page.locator("[role=alert]").count() >= 1  # refused, with the reason
    page.goto(live.url + "/")  # the session still lives: the other site could not end it
    assert page.locator("form[action='/logout']").count() == 1


def test_the_csp_stops_an_injected_inline_script(live: Live, chromium: Browser):
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "ng-clerk")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';"
        " document.body.appendChild(s); }"
    )
    assert page.evaluate("window.__ran === true") is False
    violations = page.evaluate("window.__cspViolations")
    assert any(v.startswith("script-src") for v in violations), violations


def test_another_units_item_answers_exactly_like_a_missing_one(live: Live, chromium: Browser):
    number = _item(live)
    parsed = EvidenceNumber.parse(number)
    missing = str(EvidenceNumber(parsed.kind, parsed.region_code, parsed.year, 999_999))
    seen = watched(chromium)
    page = seen.page
    log_in(page, live.url, "kc-clerk")  # Kuancheng: a district beside Nanguan, not above it
    hidden = page.goto(f"{live.url}/item/{number}")
    hidden_text = page.locator("main").inner_text().replace(number, "N")
    absent = page.goto(f"{live.url}/item/{missing}")
    absent_text = page.locator("main").inner_text().replace(missing, "N")
    assert hidden is not None and absent is not None
    assert hidden.status == absent.status == 404
    assert hidden_text == absent_text
