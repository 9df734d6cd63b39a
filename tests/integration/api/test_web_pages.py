"""The desks' pages over plain HTTP, on SQLite and PostgreSQL: login by form into a cookie session, the
cookie's flags, CSRF on every form, the pages' Content-Security-Policy, the access log, scope (out of
scope answers exactly like missing), the scan box, the item page and its chain check, both languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from api_harness import PASSWORD, START, Harness, unique
from page_harness import browser, csrf_of, logged_in, page_login

from custody.numbers import EvidenceNumber, ItemKind

FIREARM = {
    "firearm_type": "手枪",
    "make_model": "54式",
    "serial_number": "5401123",
    "calibre": "7.62mm",
    "fires_standard_ammunition": True,
    "source": {"route": "境外走私", "seller": "王某"},
}


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


@pytest.fixture
def item(api: Harness) -> str:
    clerk = api.login("ng-clerk")
    case_no = unique("长南公刑字〔2026〕") + "号"
    made = api.client.post(
        "/api/v1/cases", headers=clerk, json={"case_no": case_no, "title": "非法持有枪支案"}
    )
    assert made.status_code == 201, made.text
    answer = api.client.post("/api/v1/items/firearms", headers=clerk, json={**FIREARM, "case_no": case_no})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evidence_no"])


def test_the_login_page_answers_at_the_root_in_chinese_by_default(api):
    client = browser(api)
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in answer.text
    assert "登录" in answer.text
    assert 'for="username"' in answer.text and 'for="password"' in answer.text


def test_a_login_sets_an_httponly_strict_session_cookie_and_leads_home(api):
    client = browser(api)
    answer = page_login(client, "ng-clerk")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("custody_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert "secure" not in flags  # plain HTTP here; over TLS the cookie is Secure (next test)
    home = client.get("/")
    assert home.status_code == 200
    assert "ng-clerk" in home.text or "南关" in home.text
    assert 'action="/logout"' in home.text


def test_over_tls_the_session_cookie_is_secure(api):
    client = browser(api, base_url="https://testserver")
    answer = page_login(client, "ng-clerk")
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("custody_session="))
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


def test_a_wrong_password_shows_the_reason_and_sets_no_session(api):
    client = browser(api)
    answer = page_login(client, "ng-clerk", "wrong password")
    assert answer.status_code == 401
    assert 'role="alert"' in answer.text
    assert not any(c.startswith("custody_session=") for c in answer.headers.get_list("set-cookie"))
    assert client.get("/item/F220102202600000001").status_code == 303  # still not logged in


@pytest.mark.parametrize(
    ("path", "data"),
    [("/login", {"username": "ng-clerk", "password": PASSWORD}), ("/logout", {})],
)
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(api, path, data):
    client = logged_in(api, "ng-clerk") if path == "/logout" else browser(api)
    client.get("/")
    answer = client.post(path, data={**data, "csrf": "forged"})
    assert answer.status_code == 403
    assert "custody_session=" not in " ".join(answer.headers.get_list("set-cookie"))
    if path == "/logout":
        assert client.get("/find?code=x").status_code != 303  # the session still lives


def test_a_form_posted_from_another_origin_is_refused(api):
    client = logged_in(api, "ng-clerk")
    csrf = csrf_of(client.get("/").text)
    answer = client.post("/logout", data={"csrf": csrf}, headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403
    assert client.get("/").status_code == 200 and 'action="/logout"' in client.get("/").text


def test_logging_out_ends_the_session_itself(api):
    client = logged_in(api, "ng-clerk")
    token = client.cookies["custody_session"]
    answer = client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    assert answer.status_code == 303
    assert api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_pages_carry_a_csp_without_inline_scripts_and_no_store(api, item):
    client = logged_in(api, "ng-clerk")
    for path in ("/", f"/item/{item}"):
        answer = client.get(path)
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert answer.headers["cache-control"] == "no-store"
        assert "<script>" not in answer.text and " on" + "click=" not in answer.text
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", answer.text, re.S)
        assert scripts and all(
            re.search(r'src="/static/[^"]+\.js"', tag) and not body for tag, body in scripts
        )
    static = client.get("/static/desk.js")
    assert static.status_code == 200 and "cache-control" not in static.headers


def test_a_page_asked_for_without_a_session_leads_to_the_login(api, item):
    answer = browser(api).get(f"/item/{item}")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/?next=/item/{item}"


def test_the_item_page_shows_particulars_and_the_timeline_with_hashes(api, item):
    client = logged_in(api, "ng-clerk")
    answer = client.get(f"/item/{item}")
    assert answer.status_code == 200, answer.text
    assert item in answer.text and "5401123" in answer.text and "境外走私" in answer.text
    detail = api.client.get(f"/api/v1/items/{item}", headers=api.login("ng-clerk")).json()
    for event in detail["history"]:
        assert f'title="{event["hash"]}"' in answer.text
    assert "已登记" in answer.text or "登记" in answer.text


def test_the_verify_action_rehashes_the_items_events(api, item):
    client = logged_in(api, "ng-clerk")
    full = client.get(f"/item/{item}/verify")
    assert full.status_code == 200, full.text
    detail = api.client.get(f"/api/v1/items/{item}", headers=api.login("ng-clerk")).json()
    assert detail["history"][-1]["hash"] in full.text
    fragment = client.get(f"/item/{item}/verify", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text


def test_out_of_scope_answers_exactly_like_missing(api, item):
    other = logged_in(api, "kc-clerk")  # another district: the item is not theirs to see
    hidden = other.get(f"/item/{item}")
    missing_no = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 999_999))
    missing = other.get(f"/item/{missing_no}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(item, "N") == missing.text.replace(missing_no, "N")


def test_the_scan_box_opens_what_a_code_names_and_refuses_bad_check_digits(api, item):
    client = logged_in(api, "ng-clerk")
    answer = client.get(f"/find?code={item.lower()}")
    assert answer.status_code == 303 and answer.headers["location"] == f"/item/{item}"
    bad = item[:-2] + ("00" if item[-2:] != "00" else "01")
    refused = client.get(f"/find?code={bad}")
    assert refused.status_code == 422
    assert "校验" in refused.text  # the core's reason, in Chinese
    english = logged_in(api, "ng-clerk")
    english.get("/lang/en?next=/")
    assert "check digits" in english.get(f"/find?code={bad}").text


def test_the_english_switch_keeps_the_page_and_translates_it(api, item):
    client = logged_in(api, "ng-clerk")
    switched = client.get(f"/lang/en?next=/item/{item}")
    assert switched.status_code == 303 and switched.headers["location"] == f"/item/{item}"
    english = client.get(f"/item/{item}")
    assert '<html lang="en">' in english.text and "Custody events" in english.text
    assert client.get("/lang/en?next=//evil.example").headers["location"] == "/"


def test_page_requests_are_in_the_access_log(api, item):
    client = logged_in(api, "ng-clerk")
    client.get(f"/item/{item}")
    entries = api.client.get("/api/v1/access-log", headers=api.login("admin")).json()
    rows = entries["entries"] if isinstance(entries, dict) else entries
    assert any(e["path"] == f"/item/{item}" and e["status"] == 200 for e in rows)
    assert any(e["path"] == "/login" and e["method"] == "POST" for e in rows)


def test_the_menu_offers_the_desks_whose_page_admits_the_user(api):
    clerk = logged_in(api, "ng-clerk").get("/").text
    assert 'href="/scans"' in clerk
    admin = logged_in(api, "admin").get("/").text
    assert 'href="/scans"' not in admin  # an administrator follows no station's scans


def test_the_desks_station_is_chosen_in_scope_only(api):
    mine, theirs = unique("desk-"), unique("jl-desk-")
    api.station(mine, "220102", "scanner-1")
    api.station(theirs, "220200", "scanner-1")
    client = logged_in(api, "ng-clerk")
    csrf = csrf_of(client.get("/scans").text)
    refused = client.post("/scans/station", data={"station": theirs, "csrf": csrf})
    assert refused.status_code == 404 and "custody_station" not in client.cookies
    chosen = client.post("/scans/station", data={"station": mine, "csrf": csrf})
    assert chosen.status_code == 303 and client.cookies["custody_station"] == mine
    page = client.get("/")
    assert 'data-sightings="/scans/feed"' in page.text and f'data-station="{mine}"' in page.text
