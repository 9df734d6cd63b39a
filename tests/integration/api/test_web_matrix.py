"""The authorisation matrix of the desks' pages, on the API matrix's world (:mod:`test_api_matrix`).

Every page route × every caller of the API matrix, each in scope and out of scope where the page reads
an object of a unit. A page that stands beside an API route (the item, its chain, a seal) admits exactly
the roles its twin admits, and answers as the twin does: 200, 403 for a role it does not admit, 404 out of
scope, exactly like missing. Pages know only the session cookie: no session, an expired or revoked one,
or a station key, and a GET leads to the login page (303) while a form is refused (401). A page route of
the app without an entry here fails the first test.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from page_matrix import ALL, PageEntry
from test_api_matrix import (  # the API matrix's world and its table of expected answers
    CALLERS,
    IN,
    MATRIX,
    OUT,
    PROVINCIAL,
    ROLE_NAMES,
    STORE_CODE,
    World,
    _expected,
    _sealed_storage,
    admission,
    world,
)

import web
from custody.model import Role
from web.session import session_csrf

__all__ = ["world"]  # the module-scoped fixture, shared with the API matrix's definition

LISTENING = {Role.CLERK, Role.INVESTIGATOR, Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER}
LOCATION_READERS = {Role.CLERK, Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER, Role.ADMIN}


def _api_path(twin: tuple[str, str], w: World, scope: str) -> str:
    return MATRIX[twin].build(w, scope, True).path


def _location(w: World, scope: str) -> str:
    _sealed_storage(w)
    return f"/location/{STORE_CODE[scope]}"


PAGE_MATRIX: dict[tuple[str, str], PageEntry] = {
    ("GET", "/"): PageEntry(None, lambda _w, _s: "/"),
    ("POST", "/login"): PageEntry(None, lambda _w, _s: "/login", ok=403, out=None, form=lambda _w, _s: {}),
    ("GET", "/lang/{language}"): PageEntry(None, lambda _w, _s: "/lang/en?next=/", ok=303, out=None),
    ("POST", "/logout"): PageEntry(ALL, lambda _w, _s: "/logout", ok=303, out=None, form=lambda _w, _s: {}),
    ("GET", "/find"): PageEntry(ALL, lambda w, s: f"/find?code={w.item[s]}", ok=303, out=None),
    ("GET", "/item/{evidence_no}"): PageEntry(
        None,
        lambda w, s: _api_path(("GET", "/api/v1/items/{evidence_no}"), w, s).replace(
            "/api/v1/items/", "/item/"
        ),
        twin=("GET", "/api/v1/items/{evidence_no}"),
    ),
    ("GET", "/item/{evidence_no}/verify"): PageEntry(
        None,
        lambda w, s: f"/item/{w.item[s]}/verify",
        twin=("GET", "/api/v1/reports/custody/{evidence_no}"),
    ),
    ("GET", "/seal/{seal_no}"): PageEntry(
        None,
        lambda w, s: _api_path(("GET", "/api/v1/seals/{seal_no}"), w, s).replace("/api/v1/seals/", "/seal/"),
        twin=("GET", "/api/v1/seals/{seal_no}"),
    ),
    ("GET", "/location/{code}"): PageEntry(LOCATION_READERS, _location),
    ("GET", "/scans"): PageEntry(LISTENING, lambda _w, _s: "/scans", out=None),
    ("POST", "/scans/station"): PageEntry(
        LISTENING, lambda _w, _s: "/scans/station", ok=303, form=lambda w, s: {"station": w.station_name[s]}
    ),
    ("GET", "/scans/feed"): PageEntry(
        LISTENING,
        lambda _w, _s: "/scans/feed?seconds=0.01",
        cookies=lambda w, s: {"custody_station": w.station_name[s]},
    ),
}


for _module in sorted(Path(__file__).parent.glob("web_matrix_*.py")):  # each desk's own entries
    PAGE_MATRIX |= importlib.import_module(_module.stem).PAGES


def _page_routes() -> dict[tuple[str, str], APIRoute]:
    return {
        (method, route.path_format): route
        for router in web.PAGE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def _roles(key: tuple[str, str]) -> set[Role] | None:
    entry = PAGE_MATRIX[key]
    return set(MATRIX[entry.twin].roles) if entry.twin is not None else entry.roles


def test_every_page_has_an_entry_that_matches_its_declaration():
    routes = _page_routes()
    assert set(routes) == set(PAGE_MATRIX)
    for key, route in routes.items():
        admits = admission(route)
        roles = _roles(key)
        if roles is None:
            assert admits is None and key in web.PUBLIC_PAGES, key
            continue
        assert admits is not None and set(admits.roles) == roles, key
        assert not admits.stations, key


def _expected_page(key: tuple[str, str], caller: str, scope: str) -> int:
    entry = PAGE_MATRIX[key]
    roles = _roles(key)
    if roles is None and entry.twin is None:
        return entry.ok
    if caller not in ROLE_NAMES:  # no session, a dead one, or a station key: pages know cookies only
        return 401 if key[0] == "POST" else 303
    if entry.twin is not None:
        return _expected(MATRIX[entry.twin], caller, scope)
    assert roles is not None
    if Role(caller) not in roles:
        return 403
    if Role(caller) in entry.answers and (scope == IN or caller in PROVINCIAL):
        return entry.answers[Role(caller)]
    return entry.ok if scope == IN or entry.out is None or caller in PROVINCIAL else entry.out


def _token(w: World, caller: str) -> str | None:
    auth = w.headers(caller).get("Authorization", "")
    return auth.removeprefix("Bearer ") or None


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("key", sorted(PAGE_MATRIX), ids=lambda key: f"{key[0]} {key[1]}")
def test_page_matrix(world: World, key: tuple[str, str], caller: str):
    entry = PAGE_MATRIX[key]
    client = world.h.client
    for scope in (IN, OUT) if entry.out is not None else (IN,):
        expected = _expected_page(key, caller, scope)
        path = entry.path(world, scope)
        own = world.own_session(caller) if key == ("POST", "/logout") else None
        token = (own or {}).get("Authorization", "").removeprefix("Bearer ") or _token(world, caller)
        headers = world.headers(caller) if caller == "station" else {}
        head = world.h.head_seq()
        client.cookies.clear()
        if token:
            client.cookies.set("custody_session", token)
        for name, value in (entry.cookies(world, scope) if entry.cookies else {}).items():
            client.cookies.set(name, value)
        if key[0] == "POST":  # the session's CSRF token (the login form's is a cookie of its own: none)
            data = {"csrf": session_csrf(token) if token and key != ("POST", "/login") else "none"}
            if entry.form is not None:
                data |= entry.form(world, scope)
            answer = client.post(path, data=data, headers=headers, follow_redirects=False)
        else:
            answer = client.get(path, headers=headers, follow_redirects=False)
        where = f"{caller} {key[0]} {path} ({'in' if scope == IN else 'out of'} scope)"
        assert answer.status_code == expected, f"{where}: {answer.status_code} {answer.text[:400]}"
        if expected == 303 and caller not in ROLE_NAMES and _roles(key) is not None:
            assert answer.headers["location"].startswith("/?next="), where
        if expected >= 400:
            assert answer.headers["content-type"].startswith("text/html"), where
            assert 'role="alert"' in answer.text, where
        if expected >= 400 or caller not in ROLE_NAMES:
            assert world.h.head_seq() == head, f"{where}: a refused page changed the ledger"
    client.cookies.clear()
