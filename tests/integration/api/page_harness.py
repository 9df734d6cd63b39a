"""What the pages' HTTP tests share: a client as one browser at one desk (its own cookie jar, redirects
not followed), the CSRF token of a page's form, and a login through the login form."""

from __future__ import annotations

import re
from typing import Any

from api_harness import PASSWORD, Harness
from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def browser(api: Harness, base_url: str = "http://testserver") -> TestClient:
    """A client with a cookie jar of its own, as one browser at one desk."""
    return TestClient(api.app, base_url=base_url, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def page_login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """The login form, filled in and sent: the answer (303 home for the right password)."""
    form = client.get("/")
    assert form.status_code == 200
    return client.post(
        "/login",
        data={"username": username, "password": password, "next": "/", "csrf": csrf_of(form.text)},
    )


def logged_in(api: Harness, username: str, language: str = "zh") -> TestClient:
    """A browser with ``username`` logged in, reading the pages in ``language``."""
    client = browser(api)
    client.cookies.set("custody_lang", language)
    answer = page_login(client, username)
    assert answer.status_code == 303, answer.text
    return client
