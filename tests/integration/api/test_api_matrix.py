"""The authorisation matrix, built from the app's own route table.

Every API route × every caller: each role (a user of the Nanguan county bureau, 220102; the destruction
officer, a provincial role, a user of the province's public-order department, 220000), no credentials,
an expired session, a revoked session, and a station key; each admitted caller both in scope (objects
of 220102) and out of scope (objects of Jilin City, 220200). The province sees every unit: out of scope
of the county, the destruction officer is answered as in scope. :data:`MATRIX` says, for
each route, whom it admits and what each call answers; a route of the app without an entry, or one
whose declared roles differ from its entry's, fails the first test below.
Every refusal must be a problem document and must leave the ledger as it was.

One database per back end for the whole module: tokens are made once, and calls that succeed act on
objects made fresh for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from api_harness import PASSWORD, START, Harness, module_database, station_headers, unique
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import admission, api_routes, create_app
from custody.audit_records import ReadIn
from custody.clock import FixedClock, china_date
from custody.intake import AmmunitionIntake, FirearmIntake
from custody.model import AuditMode, Department, Role
from custody.services import Custody
from custody.tlog import NoteSigner
from web import is_page

IN, OUT = "220102", "220200"  # Nanguan county (under Changchun) and Jilin City: no unit covers both
ROLE_USERS = {
    Role.CLERK: "ng-clerk",
    Role.INVESTIGATOR: "ng-investigator",
    Role.CUSTODIAN: "ng-custodian",
    Role.AUDITOR: "ng-auditor",
    Role.DESTRUCTION_OFFICER: "m-destruction",
    Role.STATISTICS: "m-statistics",
    Role.ADMIN: "m-admin",
}
# where each role's user sits: the county, but the destruction officer (provincial: 省厅治安总队)
HOME = {Role.DESTRUCTION_OFFICER: ("220000", Department.PROVINCIAL_PUBLIC_ORDER)}
PROVINCIAL = frozenset(r.value for r in HOME)  # callers who see every unit
OTHER_CALLERS = ("anonymous", "expired-session", "revoked-session", "station")
CALLERS = tuple(r.value for r in Role) + OTHER_CALLERS
ROLE_NAMES = frozenset(r.value for r in Role)
READERS = {
    Role.CLERK,
    Role.INVESTIGATOR,
    Role.CUSTODIAN,
    Role.AUDITOR,
    Role.DESTRUCTION_OFFICER,
    Role.STATISTICS,
}
EVERYONE = set(Role)


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    headers: dict[str, str] | None = None  # beside the caller's credentials (a witness's token)
    content: bytes | None = None  # a body that is not JSON (a photo)


# ------------------------------------------------------------------------------------------ world


class World:
    """One database with users of every role in 220102, objects in and out of their scope, and
    credentials of every kind."""

    def __init__(self, harness: Harness) -> None:
        self.h = harness
        custody, clock = harness.custody, harness.clock
        admin = custody.users.actor("admin")
        for role, username in ROLE_USERS.items():
            if username.startswith("m-"):
                unit, department = HOME.get(role, (IN, Department.OFFICE))
                harness.users.create(admin, username, username, unit, department, {role}, PASSWORD)
        harness.give_passwords(
            "ng-clerk", "ng-investigator", "ng-custodian", "ng-auditor", "ng-clerk2", "jl-clerk"
        )
        self.clerk = {IN: custody.users.actor("ng-clerk"), OUT: custody.users.actor("jl-clerk")}
        self.case = {scope: self.new_case(scope) for scope in (IN, OUT)}
        self.item = {scope: self.new_item(scope) for scope in (IN, OUT)}
        self.user = {IN: "ng-clerk2", OUT: "jl-clerk"}
        harness.add_user("jl-custodian", OUT, Department.PUBLIC_ORDER, Role.CUSTODIAN)
        self.custodian = {IN: "ng-custodian", OUT: "jl-custodian"}
        self.handover = {scope: self.offered_handover(scope) for scope in (IN, OUT)}
        self.handover_case = {
            scope: custody.handovers.get(None, h).case_no for scope, h in self.handover.items()
        }
        self.station_name = {IN: "m-ng-desk", OUT: "m-jl-desk"}
        self.station_key = harness.station("m-ng-desk", IN, "scanner-1")
        harness.station("m-jl-desk", OUT, "scanner-1")
        # an overdue check-out on each side, made ten days ago
        clock.advance(-10 * 86400)
        due = china_date(clock.now_us() + 5 * 86400 * 1_000_000).isoformat()
        self.overdue = {}
        for scope in (IN, OUT):
            number = self.new_item(scope)
            custody.items.check_out(self.clerk[scope], number, 1, "court", "法院", due)
            self.overdue[scope] = number
        # a session that has expired, and one that was revoked
        clock.advance(-9 * 3600)
        self.expired = harness.login("ng-clerk")
        clock.advance(10 * 86400 + 9 * 3600)
        self.revoked = harness.login("ng-clerk")
        assert harness.client.post("/api/v1/auth/logout", headers=self.revoked).status_code == 204
        self.tokens = {role.value: harness.login(name) for role, name in ROLE_USERS.items()}
        # a signed checkpoint of the ledger as it stands (the province's key, made outside the API)
        custody.checkpoints.make(NoteSigner.generate("matrix.test/ledger"))

    @property
    def custody(self) -> Custody:
        return self.h.custody

    def headers(self, caller: str) -> dict[str, str]:
        if caller in self.tokens:
            return self.tokens[caller]
        return {
            "anonymous": {},
            "expired-session": self.expired,
            "revoked-session": self.revoked,
            "station": station_headers(self.station_key),
        }[caller]

    def new_case(self, scope: str, closed: bool = False) -> str:
        number = unique(f"M-{scope}-")
        self.custody.cases.open(self.clerk[scope], number)
        if closed:
            self.custody.cases.close(self.clerk[scope], number)
        return number

    def new_item(self, scope: str, ammunition: bool = False, case_no: str | None = None) -> str:
        case = case_no or self.case[scope]
        if ammunition:
            made = self.custody.items.register_ammunition(
                self.clerk[scope], case, AmmunitionIntake("7.62mm", 50)
            )
        else:
            intake = FirearmIntake("手枪", "54式", unique("S"), "7.62mm", True)
            made = self.custody.items.register_firearm(self.clerk[scope], case, intake)
        return str(made.evidence_no)

    def checked_out_item(self, scope: str) -> str:
        number = self.new_item(scope)
        self.custody.items.check_out(self.clerk[scope], number, 1, "lab", "技术室", "2026-12-31")
        return number

    def item_of_closed_case(self, scope: str) -> str:
        case = self.new_case(scope)
        number = self.new_item(scope, case_no=case)
        self.custody.cases.close(self.clerk[scope], case)
        return number

    def offer(self, scope: str) -> dict[str, Any]:
        """A handover offer's body: a fresh item of a closed case, to the scope's custodian."""
        case = self.new_case(scope)
        number = self.new_item(scope, case_no=case)
        self.custody.cases.close(self.clerk[scope], case)
        return {"case_no": case, "custodian": self.custodian[scope], "evidence_nos": [number]}

    def offered_handover(self, scope: str) -> int:
        body = self.offer(scope)
        offered = self.custody.handovers.offer(
            self.clerk[scope], body["case_no"], body["custodian"], body["evidence_nos"]
        )
        return offered.id

    def handed_over_item(self, scope: str) -> str:
        """An item accepted into the scope's sealed storage (version 3)."""
        offered = self.custody.handovers.get(None, self.offered_handover(scope))
        self.custody.handovers.accept(self.custody.users.actor(self.custodian[scope]), offered.id)
        return offered.items[0].evidence_no

    def new_user(self, scope: str) -> str:
        return self.h.add_user(unique("m-user-"), scope, Department.EVIDENCE_ROOM, Role.CLERK)

    def own_session(self, caller: str) -> dict[str, str] | None:
        """A session of a new user holding the caller's role (for calls that end or change it)."""
        if caller not in self.tokens:
            return None
        unit, department = HOME.get(Role(caller), (IN, Department.OFFICE))
        username = self.h.add_user(unique("m-own-"), unit, department, Role(caller))
        return self.h.login(username)


# ----------------------------------------------------------------------------------------- matrix

Build = Callable[[World, str, bool], Call]  # (world, scope, the call is expected to succeed)
Check = Callable[[World, Any], None]


@dataclass(frozen=True)
class Entry:
    roles: set[Role]
    stations: bool
    build: Build
    ok: int
    out: int | None = None  # the answer out of scope (None: with ``listing``, ``ok`` and nothing of OUT)
    listing: Check | None = None  # for listings: what must not appear out of scope
    scoped: bool = True  # False: the route's answer does not depend on any unit (reference data, self)
    public: bool = False
    own_session: bool = False  # the call ends or changes the caller's session: use a session of its own
    # a role whose call acts on another kind of object (the act's own rule admits it at another stage:
    # a custodian corrects an item in the store, with a witness)
    builds: dict[Role, Build] = field(default_factory=dict)
    # a role whose call in scope the act's own rule refuses, with that answer (a county custodian
    # applies for no destruction: a city applies)
    answers: dict[Role, int] = field(default_factory=dict)


def lacks(*words: Callable[[World], str]) -> Check:
    def check(world: World, answer: Any) -> None:
        for word in words:
            assert word(world) not in answer.text, f"{word(world)} leaked out of scope"

    return check


def empty_listing(key: str) -> Check:
    def check(_world: World, answer: Any) -> None:
        assert answer.json()[key] == [], answer.text

    return check


def each_scan_answered(status: int) -> Check:
    """A batch out of scope: answered, each scan refused as missing (nothing of OUT named)."""

    def check(_world: World, answer: Any) -> None:
        assert [r["status"] for r in answer.json()["results"]] == [status], answer.text

    return check


def act(path: str, body: dict[str, Any], make: Callable[[World, str], str] | None = None) -> Build:
    """An act on an item: a fresh one (from ``make``) for a call that succeeds, the shared one otherwise."""

    def build(w: World, scope: str, fresh: bool) -> Call:
        number = (make or (lambda world, s: world.new_item(s)))(w, scope) if fresh else w.item[scope]
        return Call("POST", f"/api/v1/items/{number}/{path}", body)

    return build


def on_user(method: str, suffix: str, body: Any = None, fresh_user: bool = False) -> Build:
    def build(w: World, scope: str, fresh: bool) -> Call:
        username = w.new_user(scope) if fresh and fresh_user else w.user[scope]
        return Call(method, f"/api/v1/users/{username}{suffix}", body)

    return build


def on_case(suffix: str, body: Any = None) -> Build:
    def build(w: World, scope: str, fresh: bool) -> Call:
        case = w.new_case(scope) if fresh else w.case[scope]
        return Call("POST" if suffix else "GET", f"/api/v1/cases/{quote(case, safe='')}{suffix}", body)

    return build


def get(path: str) -> Build:
    return get_or("GET", path)


def get_or(method: str, path: str, body: Any = None) -> Build:
    return lambda _w, _scope, _fresh: Call(method, path, body)


def on_handover(suffix: str, body: Any = None) -> Build:
    """A call on a handover: a fresh offer for a call that succeeds, the scope's shared one otherwise."""

    def build(w: World, scope: str, fresh: bool) -> Call:
        handover_id = w.offered_handover(scope) if fresh else w.handover[scope]
        method = "POST" if body is not None or suffix in ("/accept",) else "GET"
        return Call(method, f"/api/v1/handovers/{handover_id}{suffix}", body)

    return build


def offer(w: World, scope: str, fresh: bool) -> Call:
    body = (
        w.offer(scope)
        if fresh
        else {"case_no": w.case[scope], "custodian": w.custodian[scope], "evidence_nos": [w.item[scope]]}
    )
    return Call("POST", "/api/v1/handovers", body)


def witnessed_correction(w: World, scope: str, fresh: bool) -> Call:
    """A correction in the store: by the custodian, with a witness's own session token."""
    number = w.handed_over_item(scope) if fresh else w.item[scope]
    body = {"version": 3 if fresh else 1, "changes": {"description": "更正"}, "reason": "笔误"}
    witness = {"X-Witness-Token": w.h.token("ng-clerk2")}
    return Call("POST", f"/api/v1/items/{number}/correction", body, witness)


def store_checkout(w: World, scope: str, fresh: bool) -> Call:
    """An item of the store to the lab: by its custodian."""
    number = w.handed_over_item(scope) if fresh else w.item[scope]
    body = {"version": 3 if fresh else 1, "purpose": "lab", "to": "技术室", "due_date": "2026-12-31"}
    return Call("POST", f"/api/v1/items/{number}/checkout", body)


def store_return(w: World, scope: str, fresh: bool) -> Call:
    """An item back from the lab into the store: by its custodian."""
    if not fresh:
        return Call("POST", f"/api/v1/items/{w.item[scope]}/return", {"version": 1})
    number = w.handed_over_item(scope)
    custodian = w.custody.users.actor(w.custodian[scope])
    w.custody.items.check_out(custodian, number, 3, "lab", "技术室", "2026-12-31")
    return Call("POST", f"/api/v1/items/{number}/return", {"version": 4})


def firearm(w: World, scope: str, _fresh: bool) -> Call:
    body = {
        "case_no": w.case[scope],
        "firearm_type": "手枪",
        "make_model": "54式",
        "serial_number": unique("M"),
        "calibre": "7.62mm",
        "fires_standard_ammunition": True,
    }
    return Call("POST", "/api/v1/items/firearms", body)


def ammunition(w: World, scope: str, _fresh: bool) -> Call:
    return Call(
        "POST", "/api/v1/items/ammunition", {"case_no": w.case[scope], "calibre": "9mm", "quantity_rounds": 5}
    )


NEW_PASSWORD = {"current_password": PASSWORD, "new_password": "another long password"}
MATRIX: dict[tuple[str, str], Entry] = {
    ("POST", "/api/v1/auth/login"): Entry(
        set(),
        False,
        lambda _w, _s, _f: Call(
            "POST", "/api/v1/auth/login", {"username": "ng-clerk2", "password": PASSWORD}
        ),
        200,
        scoped=False,
        public=True,
    ),
    ("POST", "/api/v1/auth/logout"): Entry(
        EVERYONE, False, get_or("POST", "/api/v1/auth/logout"), 204, scoped=False, own_session=True
    ),
    ("GET", "/api/v1/auth/me"): Entry(EVERYONE, True, get("/api/v1/auth/me"), 200, scoped=False),
    ("PUT", "/api/v1/auth/password"): Entry(
        EVERYONE,
        False,
        get_or("PUT", "/api/v1/auth/password", NEW_PASSWORD),
        204,
        scoped=False,
        own_session=True,
    ),
    ("GET", "/api/v1/units"): Entry(EVERYONE, True, get("/api/v1/units"), 200, scoped=False),
    ("GET", "/api/v1/units/{code}"): Entry(
        EVERYONE,
        True,
        lambda _w, s, _f: Call("GET", f"/api/v1/units/{s}"),
        200,
        scoped=False,
    ),
    ("POST", "/api/v1/units"): Entry(
        {Role.ADMIN},
        False,
        lambda _w, s, _f: Call(
            "POST",
            "/api/v1/units",
            {
                "code": f"29{unique('')[-4:]:0>4}",
                "parent_code": s,
                "name_zh": "新单位",
                "name_en": "New",
                "level": "county",
            },
        ),
        201,
        out=403,
    ),
    ("GET", "/api/v1/users"): Entry(
        {Role.ADMIN, Role.AUDITOR, Role.CLERK},
        False,
        lambda _w, s, _f: Call("GET", f"/api/v1/users?unit_code={s}"),
        200,
        listing=empty_listing("users"),
    ),
    ("POST", "/api/v1/users"): Entry(
        {Role.ADMIN},
        False,
        lambda _w, s, _f: Call(
            "POST",
            "/api/v1/users",
            {
                "username": unique("m-new-"),
                "full_name": "新用户",
                "unit_code": s,
                "department": "evidence_room",
                "roles": ["clerk"],
                "password": PASSWORD,
            },
        ),
        201,
        out=403,
    ),
    ("GET", "/api/v1/users/{username}"): Entry(
        {Role.ADMIN, Role.AUDITOR, Role.CLERK}, False, on_user("GET", ""), 200, out=404
    ),
    ("PUT", "/api/v1/users/{username}/password"): Entry(
        {Role.ADMIN},
        False,
        on_user("PUT", "/password", {"password": "issued by the admin"}, fresh_user=True),
        204,
        out=404,
    ),
    ("POST", "/api/v1/users/{username}/unlock"): Entry(
        {Role.ADMIN}, False, on_user("POST", "/unlock"), 200, out=404
    ),
    ("POST", "/api/v1/users/{username}/deactivate"): Entry(
        {Role.ADMIN}, False, on_user("POST", "/deactivate", fresh_user=True), 200, out=404
    ),
    ("POST", "/api/v1/users/{username}/activate"): Entry(
        {Role.ADMIN}, False, on_user("POST", "/activate"), 200, out=404
    ),
    ("DELETE", "/api/v1/users/{username}/sessions"): Entry(
        {Role.ADMIN}, False, on_user("DELETE", "/sessions", fresh_user=True), 200, out=404
    ),
    ("GET", "/api/v1/stations"): Entry(
        {Role.ADMIN}, False, get("/api/v1/stations"), 200, listing=lacks(lambda w: w.station_name[OUT])
    ),
    ("POST", "/api/v1/stations"): Entry(
        {Role.ADMIN},
        False,
        lambda _w, s, _f: Call(
            "POST",
            "/api/v1/stations",
            {
                "name": unique("m-desk-"),
                "unit_code": s,
                "department": "evidence_room",
                "devices": ["scanner-1"],
            },
        ),
        201,
        out=403,
    ),
    ("POST", "/api/v1/scans"): Entry(
        {Role.CLERK, Role.CUSTODIAN},
        True,
        lambda w, s, _f: Call(
            "POST",
            "/api/v1/scans",
            {"device": "scanner-1", "idempotency_key": unique("scan-"), "code": w.item[s]},
        ),
        201,
        out=404,
    ),
    ("POST", "/api/v1/scans/batch"): Entry(
        {Role.CLERK, Role.CUSTODIAN},
        True,
        lambda w, s, _f: Call(
            "POST",
            "/api/v1/scans/batch",
            {"scans": [{"device": "scanner-1", "idempotency_key": unique("batch-"), "code": w.item[s]}]},
        ),
        200,
        listing=each_scan_answered(404),
    ),
    ("GET", "/api/v1/stations/{name}/sightings"): Entry(
        {Role.CLERK, Role.INVESTIGATOR, Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER},
        True,
        lambda w, s, _f: Call("GET", f"/api/v1/stations/{w.station_name[s]}/sightings?seconds=0.01"),
        200,
        out=404,
    ),
    ("GET", "/api/v1/stations/{name}"): Entry(
        {Role.ADMIN},
        False,
        lambda w, s, _f: Call("GET", f"/api/v1/stations/{w.station_name[s]}"),
        200,
        out=404,
    ),
    ("POST", "/api/v1/stations/{name}/revoke"): Entry(
        {Role.ADMIN},
        False,
        lambda w, s, fresh: Call(
            "POST",
            f"/api/v1/stations/{_fresh_station(w, s) if fresh else w.station_name[s]}/revoke",
        ),
        200,
        out=404,
    ),
    ("POST", "/api/v1/stations/{name}/devices"): Entry(
        {Role.ADMIN},
        False,
        lambda w, s, fresh: Call(
            "POST",
            f"/api/v1/stations/{_fresh_station(w, s) if fresh else w.station_name[s]}/devices",
            {"device": "reader-1"},
        ),
        200,
        out=404,
    ),
    ("DELETE", "/api/v1/stations/{name}/devices/{device}"): Entry(
        {Role.ADMIN},
        False,
        lambda w, s, fresh: Call(
            "DELETE",
            f"/api/v1/stations/{_fresh_station(w, s, 'reader-1') if fresh else w.station_name[s]}"
            "/devices/reader-1",
        ),
        200,
        out=404,
    ),
    ("POST", "/api/v1/stations/{name}/key"): Entry(
        {Role.ADMIN},
        False,
        lambda w, s, fresh: Call(
            "POST", f"/api/v1/stations/{_fresh_station(w, s) if fresh else w.station_name[s]}/key"
        ),
        200,
        out=404,
    ),
    ("GET", "/api/v1/cases"): Entry(
        READERS,
        True,
        lambda _w, s, _f: Call("GET", f"/api/v1/cases?unit_code={s}"),
        200,
        listing=empty_listing("cases"),
    ),
    ("POST", "/api/v1/cases"): Entry(
        {Role.CLERK, Role.INVESTIGATOR},
        False,
        lambda _w, s, _f: Call("POST", "/api/v1/cases", {"case_no": unique("M-NEW-"), "unit_code": s}),
        201,
        out=403,
    ),
    ("GET", "/api/v1/cases/{case_no}"): Entry(READERS, True, on_case(""), 200, out=404),
    ("POST", "/api/v1/cases/{case_no}/close"): Entry(
        {Role.CLERK, Role.INVESTIGATOR}, False, on_case("/close"), 200, out=404
    ),
    ("POST", "/api/v1/cases/{case_no}/judgment"): Entry(
        {Role.CLERK, Role.INVESTIGATOR},
        False,
        on_case("/judgment", {"judgment_no": "(2026)吉0102刑初1号", "judgment_date": "2026-02-01"}),
        200,
        out=404,
    ),
    ("GET", "/api/v1/items"): Entry(
        READERS,
        True,
        lambda _w, s, _f: Call("GET", f"/api/v1/items?unit_code={s}"),
        200,
        listing=empty_listing("items"),
    ),
    ("POST", "/api/v1/items/firearms"): Entry({Role.CLERK}, False, firearm, 201, out=404),
    ("POST", "/api/v1/items/ammunition"): Entry({Role.CLERK}, False, ammunition, 201, out=404),
    ("GET", "/api/v1/items/{evidence_no}"): Entry(
        READERS, True, lambda w, s, _f: Call("GET", f"/api/v1/items/{w.item[s]}"), 200, out=404
    ),
    ("GET", "/api/v1/checkouts/overdue"): Entry(
        READERS, False, get("/api/v1/checkouts/overdue"), 200, listing=lacks(lambda w: w.overdue[OUT])
    ),
    ("POST", "/api/v1/items/{evidence_no}/transfer"): Entry(
        {Role.CLERK}, False, act("transfer", {"version": 1, "to_unit": "220100"}), 200, out=404
    ),
    ("POST", "/api/v1/items/{evidence_no}/checkout"): Entry(
        {Role.CLERK, Role.CUSTODIAN},
        False,
        act("checkout", {"version": 1, "purpose": "lab", "to": "技术室", "due_date": "2026-12-31"}),
        200,
        out=404,
        builds={Role.CUSTODIAN: store_checkout},
    ),
    ("POST", "/api/v1/items/{evidence_no}/return"): Entry(
        {Role.CLERK, Role.CUSTODIAN},
        False,
        act("return", {"version": 2}, World.checked_out_item),
        200,
        out=404,
        builds={Role.CUSTODIAN: store_return},
    ),
    ("POST", "/api/v1/items/{evidence_no}/correction"): Entry(
        {Role.CLERK, Role.CUSTODIAN},
        False,
        act("correction", {"version": 1, "changes": {"description": "更正"}, "reason": "笔误"}),
        200,
        out=404,
        builds={Role.CUSTODIAN: witnessed_correction},
    ),
    # an offer names items: one out of scope is refused within the list, as an unknown item (409)
    ("POST", "/api/v1/handovers"): Entry({Role.CLERK}, False, offer, 201, out=409),
    ("POST", "/api/v1/handovers/{handover_id}/accept"): Entry(
        {Role.CUSTODIAN}, False, on_handover("/accept"), 200, out=404
    ),
    ("POST", "/api/v1/handovers/{handover_id}/refuse"): Entry(
        {Role.CUSTODIAN}, False, on_handover("/refuse", {"reason": "清单与实物不符"}), 200, out=404
    ),
    ("GET", "/api/v1/handovers"): Entry(
        READERS, False, get("/api/v1/handovers"), 200, listing=lacks(lambda w: w.handover_case[OUT])
    ),
    ("GET", "/api/v1/handovers/{handover_id}"): Entry(READERS, False, on_handover(""), 200, out=404),
    ("GET", "/api/v1/handovers/{handover_id}/slip"): Entry(
        READERS, False, on_handover("/slip"), 200, out=404
    ),
    ("POST", "/api/v1/items/{evidence_no}/count"): Entry(
        {Role.CLERK, Role.CUSTODIAN},
        False,
        act(
            "count",
            {"version": 1, "quantity": 49, "reason": "清点"},
            lambda w, s: w.new_item(s, ammunition=True),
        ),
        200,
        out=404,
    ),
    ("POST", "/api/v1/items/{evidence_no}/consumption"): Entry(
        {Role.CLERK, Role.INVESTIGATOR},
        False,
        act(
            "consumption",
            {"version": 1, "rounds": 2, "reason": "试射"},
            lambda w, s: w.new_item(s, ammunition=True),
        ),
        200,
        out=404,
    ),
    ("GET", "/api/v1/ledger/head"): Entry(
        READERS | {Role.ADMIN}, False, get("/api/v1/ledger/head"), 200, scoped=False
    ),
    ("GET", "/api/v1/ledger/verification"): Entry(
        {Role.AUDITOR, Role.ADMIN}, False, get("/api/v1/ledger/verification"), 200, scoped=False
    ),
    ("GET", "/api/v1/ledger/checkpoints"): Entry(
        READERS | {Role.ADMIN}, False, get("/api/v1/ledger/checkpoints"), 200, scoped=False
    ),
    ("GET", "/api/v1/ledger/checkpoints/latest"): Entry(
        READERS | {Role.ADMIN}, False, get("/api/v1/ledger/checkpoints/latest"), 200, scoped=False
    ),
    ("GET", "/api/v1/ledger/proofs/inclusion"): Entry(
        READERS | {Role.ADMIN}, False, get("/api/v1/ledger/proofs/inclusion?seq=1"), 200, scoped=False
    ),
    ("GET", "/api/v1/ledger/proofs/consistency"): Entry(
        READERS | {Role.ADMIN}, False, get("/api/v1/ledger/proofs/consistency?first=1"), 200, scoped=False
    ),
    ("GET", "/api/v1/access-log/verification"): Entry(
        {Role.AUDITOR, Role.ADMIN}, False, get("/api/v1/access-log/verification"), 200, scoped=False
    ),
    ("GET", "/api/v1/access-log"): Entry(
        {Role.AUDITOR, Role.ADMIN},
        False,
        lambda _w, s, _f: Call("GET", f"/api/v1/access-log?unit_code={s}"),
        200,
        listing=empty_listing("entries"),
    ),
}


# ------------------------------------------------------------------------------ sealed storage

STORE_CODE = {IN: "L220102-M", OUT: "L220200-M"}
CUSTODIAN = {IN: "ng-custodian", OUT: "m-jl-custodian"}


def _sealed_storage(w: World) -> dict[str, Any]:
    """Once per world: a custodian for Jilin City, a store on each side, a witness's token."""
    found: dict[str, Any] | None = getattr(w, "sealed_storage", None)
    if found is not None:
        return found
    w.h.add_user("m-jl-custodian", OUT, Department.PUBLIC_ORDER, Role.CUSTODIAN)
    w.h.add_user("m-jl-auditor", OUT, Department.INSPECTION, Role.AUDITOR)
    for scope in (IN, OUT):
        w.custody.locations.add(w.custody.users.actor(CUSTODIAN[scope]), STORE_CODE[scope], "库")
    found = {"witness": {"X-Witness-Token": w.h.token("ng-auditor")}, "seals": {}}
    w.sealed_storage = found  # type: ignore[attr-defined]
    return found


def _accepted(w: World, scope: str) -> list[str]:
    """A firearm of a new closed case, in the store of the scope's custodian."""
    number = w.item_of_closed_case(scope)
    clerk, custodian = w.clerk[scope], w.custody.users.actor(CUSTODIAN[scope])
    case_no = w.custody.items.item(clerk, number).case_no
    assert case_no is not None
    offered = w.custody.handovers.offer(clerk, case_no, CUSTODIAN[scope], [number])
    w.custody.handovers.accept(custodian, offered.id)
    return [number]


def _new_seal(w: World, scope: str) -> str:
    _sealed_storage(w)
    witness = w.custody.users.actor("ng-auditor" if scope == IN else "m-jl-auditor")
    custodian = w.custody.users.actor(CUSTODIAN[scope])
    return w.custody.seals.create(custodian, STORE_CODE[scope], _accepted(w, scope), witness).seal_no


def _seal(w: World, scope: str, fresh: bool) -> str:
    seals = _sealed_storage(w)["seals"]
    if fresh:
        return _new_seal(w, scope)
    if scope not in seals:
        seals[scope] = _new_seal(w, scope)
    return str(seals[scope])


def on_seal(suffix: str, body: Any = None, witnessed: bool = False, method: str = "POST") -> Build:
    def build(w: World, scope: str, fresh: bool) -> Call:
        headers = _sealed_storage(w)["witness"] if witnessed else None
        return Call(method, f"/api/v1/seals/{_seal(w, scope, fresh)}{suffix}", body, headers)

    return build


def new_seal_call(w: World, scope: str, fresh: bool) -> Call:
    storage = _sealed_storage(w)
    numbers = _accepted(w, scope) if fresh or scope == OUT else [w.item[IN]]
    body = {"location_code": STORE_CODE[scope], "evidence_nos": numbers}
    return Call("POST", "/api/v1/seals", body, storage["witness"])


def new_location_call(w: World, scope: str, _fresh: bool) -> Call:
    _sealed_storage(w)
    return Call("POST", "/api/v1/locations", {"code": f"{STORE_CODE[scope]}-{unique('')}", "name": "架"})


def custodian_change_call(w: World, scope: str, fresh: bool) -> Call:
    _sealed_storage(w)
    if fresh:
        _accepted(w, scope)
    successor = w.h.add_user(unique("m-successor-"), scope, Department.PUBLIC_ORDER, Role.CUSTODIAN)
    return Call(
        "POST", "/api/v1/custodian-changes", {"unit_code": scope}, {"X-Second-Token": w.h.token(successor)}
    )


STORE_READERS = {Role.CLERK, Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER, Role.ADMIN}
MATRIX |= {
    ("POST", "/api/v1/locations"): Entry(
        {Role.CUSTODIAN, Role.ADMIN}, False, new_location_call, 201, out=403
    ),
    ("GET", "/api/v1/locations"): Entry(
        STORE_READERS,
        False,
        lambda w, s, _f: Call("GET", f"/api/v1/locations?unit_code={s}"),
        200,
        listing=empty_listing("locations"),
    ),
    ("POST", "/api/v1/seals"): Entry({Role.CUSTODIAN}, False, new_seal_call, 201, out=404),
    ("GET", "/api/v1/seals/{seal_no}"): Entry(STORE_READERS, False, on_seal("", method="GET"), 200, out=404),
    ("POST", "/api/v1/seals/{seal_no}/open"): Entry(
        {Role.CUSTODIAN}, False, on_seal("/open", {"reason": "复核"}, witnessed=True), 200, out=404
    ),
    ("POST", "/api/v1/seals/{seal_no}/move"): Entry(
        {Role.CUSTODIAN},
        False,
        lambda w, s, fresh: Call(
            "POST",
            f"/api/v1/seals/{_seal(w, s, fresh)}/move",
            {"to": _fresh_place(w, s) if fresh else STORE_CODE[s]},
        ),
        200,
        out=404,
    ),
    ("POST", "/api/v1/custodian-changes"): Entry(
        {Role.CUSTODIAN, Role.ADMIN}, False, custodian_change_call, 201, out=403
    ),
}


def _fresh_place(w: World, scope: str) -> str:
    code = f"{STORE_CODE[scope]}-{unique('')}"
    w.custody.locations.add(w.custody.users.actor(CUSTODIAN[scope]), code, "架")
    return code


# ------------------------------------------------------------------------------------------ audits

AUDITOR = {IN: "ng-auditor", OUT: "m-jl-auditor"}


def _audits(w: World) -> dict[str, Any]:
    """Once per world: an open audit on each side, a second auditor's token to confirm resolutions,
    and a discrepancy of 220200's store. Every call releases the world's station from an audit the
    station's own call bound it to (a station bound to an audit scans into it, not as sightings)."""
    found: dict[str, Any] | None = getattr(w, "audit_world", None)
    if found is not None:
        _release_station(w, found)
        return found
    _sealed_storage(w)
    w.h.add_user("m-ng-auditor2", IN, Department.INSPECTION, Role.AUDITOR)
    found = {
        "audit": {IN: _new_audit(w, IN), OUT: _new_audit(w, OUT)},
        "confirmer": {"X-Second-Token": w.h.token("m-ng-auditor2")},
        "discrepancy": {OUT: _new_discrepancy(w, OUT)},
        "bound": None,
    }
    w.audit_world = found  # type: ignore[attr-defined]
    return found


def _release_station(w: World, found: dict[str, Any]) -> None:
    """Close the audit the world's station reads for, if any."""
    bound, found["bound"] = found["bound"], None
    if bound is not None:
        auditor = w.custody.users.actor(AUDITOR[IN])
        w.custody.audits.submit(auditor, bound)
        w.custody.audits.close(auditor, bound)


def _new_audit(w: World, scope: str, station: str | None = None, submitted: bool = False) -> int:
    """An open full audit of a new empty location of the scope's store, by the scope's auditor."""
    auditor = w.custody.users.actor(AUDITOR[scope])
    audit = w.custody.audits.open(auditor, scope, [_fresh_place(w, scope)], AuditMode.FULL, station=station)
    if submitted:
        w.custody.audits.submit(auditor, audit.id)
    return audit.id


def _new_discrepancy(w: World, scope: str) -> int:
    """An open discrepancy owned by the scope's custodian: an item of the store seen at an audited
    location where its record does not put it."""
    auditor = w.custody.users.actor(AUDITOR[scope])
    audit_id = _new_audit(w, scope)
    w.custody.audit_reads.read(auditor, audit_id, [ReadIn(code=_accepted(w, scope)[0])])
    w.custody.audits.submit(auditor, audit_id)
    w.custody.audits.close(auditor, audit_id)
    (found,) = [d for d in w.custody.discrepancies.list(None) if d.audit_id == audit_id]
    return found.id


def on_audit(suffix: str, body: Any = None, fresh_one: bool = False, submitted: bool = False) -> Build:
    """A call on an audit: the scope's shared open one, or a new one of its own for a call that
    succeeds (``fresh_one``)."""

    def build(w: World, scope: str, fresh: bool) -> Call:
        shared = _audits(w)["audit"]
        audit_id = _new_audit(w, scope, submitted=submitted) if fresh and fresh_one else shared[scope]
        return Call("POST" if suffix else "GET", f"/api/v1/audits/{audit_id}{suffix}", body)

    return build


def new_audit_call(w: World, scope: str, _fresh: bool) -> Call:
    _audits(w)
    body = {"unit_code": scope, "locations": [_fresh_place(w, scope)], "mode": "full"}
    return Call("POST", "/api/v1/audits", body)


def station_reads_call(w: World, _scope: str, fresh: bool) -> Call:
    """The world's station's reads: bound to an open audit of 220102 for the call that succeeds (the
    station's own), until the next audit call releases it."""
    found = _audits(w)
    if fresh:
        found["bound"] = _new_audit(w, IN, station=w.station_name[IN])
    return Call("POST", "/api/v1/audits/reads", {"reads": [{"code": "M-NOT-A-CODE"}]})


def resolve_call(w: World, scope: str, fresh: bool) -> Call:
    found = _audits(w)
    discrepancy = _new_discrepancy(w, scope) if fresh else found["discrepancy"][OUT]
    body = {"resolution": "found_elsewhere", "reason": "在别处找到"}
    return Call("POST", f"/api/v1/discrepancies/{discrepancy}/resolve", body, found["confirmer"])


READS = {"reads": [{"code": "M-NOT-A-CODE"}, {"code": "M-NOT-A-CODE"}]}
MATRIX |= {
    ("POST", "/api/v1/audits"): Entry({Role.AUDITOR}, False, new_audit_call, 201, out=403),
    ("GET", "/api/v1/audits/{audit_id}"): Entry(
        {Role.AUDITOR, Role.ADMIN}, False, on_audit(""), 200, out=404
    ),
    ("POST", "/api/v1/audits/{audit_id}/submit"): Entry(
        {Role.AUDITOR}, False, on_audit("/submit", fresh_one=True), 200, out=404
    ),
    ("POST", "/api/v1/audits/{audit_id}/close"): Entry(
        {Role.AUDITOR}, False, on_audit("/close", fresh_one=True, submitted=True), 200, out=404
    ),
    ("POST", "/api/v1/audits/{audit_id}/reads"): Entry(
        {Role.AUDITOR}, False, on_audit("/reads", READS), 200, out=404
    ),
    # stations only: a station reads into the audit it is bound to, whatever unit the reads name
    ("POST", "/api/v1/audits/reads"): Entry(set(), True, station_reads_call, 200, scoped=False),
    ("GET", "/api/v1/discrepancies"): Entry(
        STORE_READERS,
        False,
        lambda w, s, _f: Call("GET", f"/api/v1/discrepancies?unit={s}&status=all"),
        200,
        listing=empty_listing("discrepancies"),
    ),
    ("POST", "/api/v1/discrepancies/{discrepancy_id}/resolve"): Entry(
        {Role.CUSTODIAN}, False, resolve_call, 200, out=404
    ),
}


# ------------------------------------------------------------------------------ ballistic samples


def firing_call(w: World, scope: str, fresh: bool) -> Call:
    """A test-fire: of a fresh firearm checked out to the lab for the call that succeeds."""
    number = w.checked_out_item(scope) if fresh else w.item[scope]
    body = {"lab": "刑科所", "examiner": "王", "lab_stock": "库存", "bullets": 1, "cases": 1}
    return Call("POST", f"/api/v1/items/{number}/test-fires", body)


def store_split(w: World, scope: str, fresh: bool) -> Call:
    """A split of a lot in the store: by its custodian."""
    number = w.item[scope]
    if fresh:
        case = w.new_case(scope)
        number = w.new_item(scope, ammunition=True, case_no=case)
        w.custody.cases.close(w.clerk[scope], case)
        offered = w.custody.handovers.offer(w.clerk[scope], case, w.custodian[scope], [number])
        w.custody.handovers.accept(w.custody.users.actor(w.custodian[scope]), offered.id)
    return Call("POST", f"/api/v1/items/{number}/split", {"rounds": 10})


MATRIX |= {
    ("POST", "/api/v1/items/{evidence_no}/test-fires"): Entry(
        {Role.INVESTIGATOR}, False, firing_call, 201, out=404
    ),
    ("POST", "/api/v1/items/{evidence_no}/split"): Entry(
        {Role.CLERK, Role.CUSTODIAN},
        False,
        act("split", {"rounds": 10}, lambda w, s: w.new_item(s, ammunition=True)),
        201,
        out=404,
        builds={Role.CUSTODIAN: store_split},
    ),
}


# ------------------------------------------------------------------------------------ destruction

# a city's custodian applies: Changchun's for the Nanguan county's store below it, Jilin City's for its own
APPLICANT = {IN: "m-cc-custodian", OUT: "m-jl-custodian"}
APPLYING_UNIT = {IN: "220100", OUT: "220200"}
QUEUE_READERS = {Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER, Role.ADMIN}


def _destruction(w: World) -> dict[str, Any]:
    """Once per world: Changchun's custodian, a sealed lot and an open application on each side."""
    found: dict[str, Any] | None = getattr(w, "destruction", None)
    if found is not None:
        return found
    _sealed_storage(w)
    w.h.add_user(APPLICANT[IN], APPLYING_UNIT[IN], Department.PUBLIC_ORDER, Role.CUSTODIAN)
    found = {
        "lot": {scope: _sealed_lot(w, scope) for scope in (IN, OUT)},
        "application": {scope: _new_application(w, scope) for scope in (IN, OUT)},
    }
    w.destruction = found  # type: ignore[attr-defined]
    return found


def _sealed_lot(w: World, scope: str) -> str:
    """An ammunition lot of a new closed case, sealed in the scope's store (version 4)."""
    case = w.new_case(scope)
    number = w.new_item(scope, ammunition=True, case_no=case)
    w.custody.cases.close(w.clerk[scope], case)
    offered = w.custody.handovers.offer(w.clerk[scope], case, CUSTODIAN[scope], [number])
    custodian = w.custody.users.actor(CUSTODIAN[scope])
    w.custody.handovers.accept(custodian, offered.id)
    witness = w.custody.users.actor("ng-auditor" if scope == IN else "m-jl-auditor")
    w.custody.seals.create(custodian, STORE_CODE[scope], [number], witness)
    return number


def _new_application(w: World, scope: str) -> int:
    applicant = w.custody.users.actor(APPLICANT[scope])
    return w.custody.applications.apply(applicant, APPLYING_UNIT[scope], [_sealed_lot(w, scope)]).id


def on_application(suffix: str, body: Any = None) -> Build:
    """A call on an application: the scope's shared open one, or a new one for a call that succeeds."""

    def build(w: World, scope: str, fresh: bool) -> Call:
        shared = _destruction(w)["application"][scope]
        application = _new_application(w, scope) if fresh else shared
        method = "POST" if suffix else "GET"
        return Call(method, f"/api/v1/destruction-applications/{application}{suffix}", body)

    return build


def apply_call(w: World, scope: str, _fresh: bool) -> Call:
    """The caller applies for its scope's unit: the county (refused: a city applies), or Jilin City
    (outside the county's scope)."""
    lot = _destruction(w)["lot"][scope]
    return Call("POST", "/api/v1/destruction-applications", {"unit_code": scope, "evidence_nos": [lot]})


def create_batch_call(w: World, scope: str, fresh: bool) -> Call:
    """A batch of the scope's application (a new one for a call that succeeds)."""
    application = _new_application(w, scope) if fresh else _destruction(w)["application"][scope]
    body = {"method": "smelting", "place": "长春钢厂", "date": "2026-04-15", "applications": [application]}
    return Call("POST", "/api/v1/destruction-batches", body)


def _new_batch(w: World, scope: str) -> int:
    officer = w.custody.users.actor(ROLE_USERS[Role.DESTRUCTION_OFFICER])
    return w.custody.batches.create(officer, "cutting", "长春", "2026-04-15", [_new_application(w, scope)]).id


def on_batch(suffix: str) -> Build:
    """A call on a batch of the scope's items: one shared, or a new one for a call that succeeds (adding
    a new application of the scope)."""

    def build(w: World, scope: str, fresh: bool) -> Call:
        found = _destruction(w)
        shared = found.setdefault("batch", {})
        if scope not in shared:
            shared[scope] = _new_batch(w, scope)
        batch = _new_batch(w, scope) if fresh else shared[scope]
        if not suffix:
            return Call("GET", f"/api/v1/destruction-batches/{batch}")
        return Call(
            "POST",
            f"/api/v1/destruction-batches/{batch}{suffix}",
            {"applications": [_new_application(w, scope)]},
        )

    return build


def hold_call(w: World, scope: str, fresh: bool) -> Call:
    number = _sealed_lot(w, scope) if fresh else _destruction(w)["lot"][scope]
    body = {"version": 4, "reason": "等待法院复函", "until": "2026-12-31"}
    return Call("POST", f"/api/v1/items/{number}/review-hold", body)


def listing_of(path: str) -> Build:
    def build(w: World, scope: str, _fresh: bool) -> Call:
        _destruction(w)
        return Call("GET", f"{path}?unit={scope}")

    return build


MATRIX |= {
    ("GET", "/api/v1/reviews"): Entry(
        QUEUE_READERS, False, listing_of("/api/v1/reviews"), 200, listing=empty_listing("entries")
    ),
    ("POST", "/api/v1/items/{evidence_no}/review-hold"): Entry(
        {Role.CUSTODIAN}, False, hold_call, 200, out=404
    ),
    ("POST", "/api/v1/destruction-applications"): Entry(
        {Role.CUSTODIAN}, False, apply_call, 201, out=403, answers={Role.CUSTODIAN: 403}
    ),
    ("GET", "/api/v1/destruction-applications"): Entry(
        QUEUE_READERS,
        False,
        listing_of("/api/v1/destruction-applications"),
        200,
        listing=empty_listing("applications"),
    ),
    ("GET", "/api/v1/destruction-applications/{application_id}"): Entry(
        QUEUE_READERS, False, on_application(""), 200, out=404
    ),
    # only its applicant (a city's custodian) withdraws it: the county's custodian sees it, and may not
    ("POST", "/api/v1/destruction-applications/{application_id}/withdraw"): Entry(
        {Role.CUSTODIAN},
        False,
        on_application("/withdraw", {"reason": "补充材料"}),
        200,
        out=404,
        answers={Role.CUSTODIAN: 403},
    ),
    ("POST", "/api/v1/destruction-applications/{application_id}/refuse"): Entry(
        {Role.DESTRUCTION_OFFICER}, False, on_application("/refuse", {"reason": "样本记录不全"}), 200, out=404
    ),
    # the province's batches: built by its destruction officer, read by the units of their items
    ("POST", "/api/v1/destruction-batches"): Entry(
        {Role.DESTRUCTION_OFFICER}, False, create_batch_call, 201, out=404
    ),
    ("POST", "/api/v1/destruction-batches/{batch_id}/applications"): Entry(
        {Role.DESTRUCTION_OFFICER}, False, on_batch("/applications"), 200, out=404
    ),
    ("GET", "/api/v1/destruction-batches/{batch_id}"): Entry(
        QUEUE_READERS, False, on_batch(""), 200, out=404
    ),
}


# ------------------------------------------------------------------------------ the destruction site

APPROVER = "m-approver"  # another provincial destruction officer: approves what m-destruction builds
SITE_WITNESSES = ("m-site-witness-1", "m-site-witness-2")  # of the province: outside every owning unit
JPEG = b"\xff\xd8\xff\xe0" + bytes(64)


def _site_people(w: World) -> None:
    if getattr(w, "site_people", False):
        return
    w.h.add_user(APPROVER, "220000", Department.PROVINCIAL_PUBLIC_ORDER, Role.DESTRUCTION_OFFICER)
    for username in SITE_WITNESSES:
        w.h.add_user(username, "220000", Department.OFFICE, Role.STATISTICS)
    w.site_people = True  # type: ignore[attr-defined]


def _officer(w: World) -> Any:
    return w.custody.users.actor(ROLE_USERS[Role.DESTRUCTION_OFFICER])


def _approved_batch(w: World, scope: str) -> tuple[int, str]:
    """A new approved batch of one sealed lot of the scope: (batch, lot)."""
    _site_people(w)
    batch = _new_batch(w, scope)
    w.custody.batches.approve(_officer(w), batch, w.custody.users.actor(APPROVER))
    return batch, w.custody.batches.get(None, batch).items[0].evidence_no


def _open_site(w: World, scope: str) -> tuple[int, str]:
    """A new batch whose site is open before two witnesses: (batch, lot)."""
    batch, lot = _approved_batch(w, scope)
    for username in SITE_WITNESSES:
        w.custody.batch_site.witness(_officer(w), batch, w.custody.users.actor(username))
    w.custody.batch_site.open(_officer(w), batch, "smelting", "长春钢厂熔炉")
    return batch, lot


def _shared_site(w: World, scope: str) -> dict[str, Any]:
    """Once per scope: an open site with a photo of its lot before destruction."""
    sites = _destruction(w).setdefault("site", {})
    if scope not in sites:
        batch, lot = _open_site(w, scope)
        photo = w.custody.batch_photos.add(_officer(w), batch, lot, "before", JPEG)
        sites[scope] = {"batch": batch, "lot": lot, "sha256": photo.sha256}
    return dict(sites[scope])


def _rounds(w: World, lot: str) -> int:
    return int(w.custody.items.item(None, lot).quantity_rounds or 0)


def approve_call(w: World, scope: str, fresh: bool) -> Call:
    _site_people(w)
    batch = _new_batch(w, scope) if fresh else _shared_site(w, scope)["batch"]
    token = {"X-Second-Token": w.h.token(APPROVER)}
    return Call("POST", f"/api/v1/destruction-batches/{batch}/approve", None, token)


def witness_call(w: World, scope: str, fresh: bool) -> Call:
    batch = _approved_batch(w, scope)[0] if fresh else _shared_site(w, scope)["batch"]
    token = {"X-Witness-Token": w.h.token(SITE_WITNESSES[0])}
    return Call("POST", f"/api/v1/destruction-batches/{batch}/witnesses", None, token)


def open_site_call(w: World, scope: str, fresh: bool) -> Call:
    if fresh:
        batch, _lot = _approved_batch(w, scope)
        for username in SITE_WITNESSES:
            w.custody.batch_site.witness(_officer(w), batch, w.custody.users.actor(username))
    else:
        batch = _shared_site(w, scope)["batch"]
    return Call("POST", f"/api/v1/destruction-batches/{batch}/site", {"method": "cutting", "place": "长春"})


def on_site(suffix: str, body: Callable[[World, str], Any] | None = None, method: str = "POST") -> Build:
    """A call on a batch's open site: a new one for a call that succeeds, the scope's shared one
    otherwise; ``body`` made from the world and the site's lot."""

    def build(w: World, scope: str, fresh: bool) -> Call:
        batch, lot = _open_site(w, scope) if fresh else (_shared_site(w, scope)["batch"], "")
        lot = lot or _shared_site(w, scope)["lot"]
        made = None if body is None else body(w, lot)
        return Call(method, f"/api/v1/destruction-batches/{batch}{suffix}", made)

    return build


def close_call(w: World, scope: str, fresh: bool) -> Call:
    """A site whose lot was withdrawn, ready to close (the shared one otherwise)."""
    if not fresh:
        return Call("POST", f"/api/v1/destruction-batches/{_shared_site(w, scope)['batch']}/close")
    batch, lot = _open_site(w, scope)
    w.custody.batch_site.withdraw(_officer(w), batch, lot, "数量待复核")
    return Call("POST", f"/api/v1/destruction-batches/{batch}/close")


def photo_call(w: World, scope: str, fresh: bool) -> Call:
    batch, lot = _approved_batch(w, scope) if fresh else (_shared_site(w, scope)["batch"], "")
    lot = lot or _shared_site(w, scope)["lot"]
    path = f"/api/v1/destruction-batches/{batch}/photos?evidence_no={lot}&stage=before"
    return Call("POST", path, content=JPEG + unique("").encode(), headers={"Content-Type": "image/jpeg"})


def on_shared_site(suffix: str) -> Build:
    def build(w: World, scope: str, _fresh: bool) -> Call:
        found = _shared_site(w, scope)
        path = suffix.replace("{sha256}", found["sha256"])
        return Call("GET", f"/api/v1/destruction-batches/{found['batch']}{path}")

    return build


MATRIX |= {
    ("POST", "/api/v1/destruction-batches/{batch_id}/approve"): Entry(
        {Role.DESTRUCTION_OFFICER}, False, approve_call, 200, out=404
    ),
    ("POST", "/api/v1/destruction-batches/{batch_id}/witnesses"): Entry(
        {Role.DESTRUCTION_OFFICER}, False, witness_call, 200, out=404
    ),
    ("POST", "/api/v1/destruction-batches/{batch_id}/site"): Entry(
        {Role.DESTRUCTION_OFFICER}, False, open_site_call, 200, out=404
    ),
    ("GET", "/api/v1/destruction-batches/{batch_id}/site"): Entry(
        QUEUE_READERS, False, on_shared_site("/site"), 200, out=404
    ),
    ("POST", "/api/v1/destruction-batches/{batch_id}/site/reads"): Entry(
        {Role.DESTRUCTION_OFFICER},
        False,
        on_site("/site/reads", lambda w, lot: {"code": lot, "rounds": _rounds(w, lot)}),
        200,
        out=404,
    ),
    ("GET", "/api/v1/destruction-batches/{batch_id}/site/reads"): Entry(
        QUEUE_READERS, False, on_shared_site("/site/reads"), 200, out=404
    ),
    ("POST", "/api/v1/destruction-batches/{batch_id}/counts"): Entry(
        {Role.DESTRUCTION_OFFICER},
        False,
        on_site("/counts", lambda w, lot: {"evidence_no": lot, "rounds": _rounds(w, lot)}),
        200,
        out=404,
    ),
    ("POST", "/api/v1/destruction-batches/{batch_id}/withdrawals"): Entry(
        {Role.DESTRUCTION_OFFICER},
        False,
        on_site("/withdrawals", lambda _w, lot: {"evidence_no": lot, "reason": "数量待复核"}),
        200,
        out=404,
    ),
    ("POST", "/api/v1/destruction-batches/{batch_id}/close"): Entry(
        {Role.DESTRUCTION_OFFICER}, False, close_call, 200, out=404
    ),
    ("POST", "/api/v1/destruction-batches/{batch_id}/photos"): Entry(
        {Role.DESTRUCTION_OFFICER}, False, photo_call, 201, out=404
    ),
    ("GET", "/api/v1/destruction-batches/{batch_id}/photos"): Entry(
        QUEUE_READERS, False, on_shared_site("/photos"), 200, out=404
    ),
    ("GET", "/api/v1/destruction-batches/{batch_id}/photos/{sha256}"): Entry(
        QUEUE_READERS, False, on_shared_site("/photos/{sha256}"), 200, out=404
    ),
}


# ------------------------------------------------------------------------------ tracing letters

LETTER_WRITERS = {Role.CLERK, Role.INVESTIGATOR}


def _letter(w: World, scope: str) -> int:
    """Once per scope: a tracing letter about the scope's firearm."""
    letters = _cache(w, "letters")
    if scope not in letters:
        issued = w.custody.tracing_letters.issue(w.clerk[scope], w.item[scope], "吉林市公安局刑侦支队")
        letters[scope] = issued.point.seq
    return int(letters[scope])


def _cache(w: World, name: str) -> dict[str, Any]:
    found: dict[str, Any] = w.__dict__.setdefault(name, {})
    return found


def letter_call(w: World, scope: str, _fresh: bool) -> Call:
    return Call("GET", f"/api/v1/reports/tracing-letters/{_letter(w, scope)}?format=csv")


MATRIX |= {
    ("POST", "/api/v1/items/{evidence_no}/tracing-letters"): Entry(
        LETTER_WRITERS, False, act("tracing-letters", {"addressee": "吉林市公安局刑侦支队"}), 201, out=404
    ),
    ("GET", "/api/v1/reports/tracing-letters/{seq}"): Entry(LETTER_WRITERS, False, letter_call, 200, out=404),
}


def solved_call(w: World, scope: str, fresh: bool) -> Call:
    """A case solved today (a fresh case when the call succeeds)."""
    today = china_date(w.custody.clock.now_us()).isoformat()
    return on_case("/solved", {"solved_date": today})(w, scope, fresh)


MATRIX |= {
    ("POST", "/api/v1/cases/{case_no}/solved"): Entry(
        {Role.CLERK, Role.INVESTIGATOR},
        False,
        solved_call,
        200,
        out=404,
    ),
    ("POST", "/api/v1/cases/{case_no}/correction"): Entry(
        {Role.CLERK, Role.INVESTIGATOR},
        False,
        on_case("/correction", {"category": "smuggling", "reason": "案件性质认定有误"}),
        200,
        out=404,
    ),
    ("GET", "/api/v1/reports/monthly"): Entry(
        {Role.STATISTICS, Role.DESTRUCTION_OFFICER, Role.AUDITOR},
        False,
        lambda _w, s, _f: Call("GET", f"/api/v1/reports/monthly?month=2026-03&unit={s}"),
        200,
        out=404,
    ),
    ("GET", "/api/v1/reports/quarterly"): Entry(
        {Role.STATISTICS, Role.DESTRUCTION_OFFICER, Role.AUDITOR},
        False,
        lambda _w, s, _f: Call("GET", f"/api/v1/reports/quarterly?quarter=2026-Q1&unit={s}&format=csv"),
        200,
        out=404,
    ),
}


# The chain-of-custody report of one item (its events as CSV: the PDF is the same figures).
CUSTODY_REPORT_READERS = {Role.CLERK, Role.INVESTIGATOR, Role.CUSTODIAN, Role.AUDITOR}
MATRIX |= {
    ("GET", "/api/v1/reports/custody/{evidence_no}"): Entry(
        CUSTODY_REPORT_READERS,
        False,
        lambda w, s, _f: Call("GET", f"/api/v1/reports/custody/{w.item[s]}?format=csv"),
        200,
        out=404,
    ),
}


# ------------------------------------------------------------------------------ the batch report

BATCH_REPORT_READERS = {Role.DESTRUCTION_OFFICER, Role.AUDITOR, Role.STATISTICS, Role.CUSTODIAN}


def batch_report_call(w: World, scope: str, _fresh: bool) -> Call:
    """The report of the scope's shared batch (its site open, a photo kept): a read, never a write."""
    return Call("GET", f"/api/v1/reports/batches/{_shared_site(w, scope)['batch']}")


MATRIX |= {
    ("GET", "/api/v1/reports/batches/{batch_id}"): Entry(
        BATCH_REPORT_READERS, False, batch_report_call, 200, out=404
    ),
}


# Routes outside /api/v1: documentation and health, public and never logged.
PUBLIC_DOCUMENTS = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/assets/{path}"),  # Swagger UI's own script and style, served locally
    ("GET", "/static/{path}"),  # the desks' script and style
    ("GET", "/problems"),
    ("GET", "/problems/{code}"),
    ("GET", "/health"),
}


def _fresh_station(w: World, scope: str, *more_devices: str) -> str:
    name = unique("m-desk-")
    w.h.station(name, scope, "scanner-1", *more_devices)
    return name


# ------------------------------------------------------------------------------ tag-write jobs

TAG_WRITERS = {Role.CLERK, Role.CUSTODIAN}  # who binds an item's tag, or seals with one


def _tag_job(w: World, scope: str, taken: bool = False) -> int:
    """A new job at the scope's station for a new item of the scope (taken by the station)."""
    jobs, name = w.custody.tag_jobs, w.station_name[scope]
    job = jobs.request(w.clerk[scope], name, evidence_no=w.new_item(scope))
    if taken:
        jobs.take(w.custody.stations.get(w.custody.users.actor("admin"), name), name, job.id, "scanner-1")
    return job.id


def _shared_tag_job(w: World, scope: str) -> int:
    """Once per scope: a taken job that refused calls leave as it is."""
    shared: dict[str, int] = w.__dict__.setdefault("tag_jobs", {})
    if scope not in shared:
        shared[scope] = _tag_job(w, scope, taken=True)
    return shared[scope]


def _on_station_job(suffix: str, body: Any = None, taken: bool = False) -> Build:
    def build(w: World, scope: str, fresh: bool) -> Call:
        job = _tag_job(w, scope, taken) if fresh else _shared_tag_job(w, scope)
        return Call("POST", f"/api/v1/stations/{w.station_name[scope]}/tag-jobs/{job}/{suffix}", body)

    return build


MATRIX |= {
    ("POST", "/api/v1/tag-jobs"): Entry(
        TAG_WRITERS,
        False,
        lambda w, s, _f: Call(
            "POST", "/api/v1/tag-jobs", {"station": w.station_name[s], "evidence_no": w.item[s]}
        ),
        201,
        out=404,
    ),
    ("GET", "/api/v1/tag-jobs/{job_id}"): Entry(
        TAG_WRITERS,
        False,
        lambda w, s, _f: Call("GET", f"/api/v1/tag-jobs/{_shared_tag_job(w, s)}"),
        200,
        out=404,
    ),
    ("POST", "/api/v1/tag-jobs/{job_id}/cancel"): Entry(
        TAG_WRITERS,
        False,
        lambda w, s, f: Call(
            "POST", f"/api/v1/tag-jobs/{_tag_job(w, s) if f else _shared_tag_job(w, s)}/cancel"
        ),
        200,
        out=404,
    ),
    ("GET", "/api/v1/stations/{name}/tag-jobs"): Entry(
        set(),
        True,
        lambda w, s, _f: Call("GET", f"/api/v1/stations/{w.station_name[s]}/tag-jobs"),
        200,
        out=404,
    ),
    ("POST", "/api/v1/stations/{name}/tag-jobs/{job_id}/take"): Entry(
        set(), True, _on_station_job("take"), 200, out=404
    ),
    ("POST", "/api/v1/stations/{name}/tag-jobs/{job_id}/result"): Entry(
        set(),
        True,
        _on_station_job("result", {"done": False, "error_kind": "no_tag"}, taken=True),
        200,
        out=404,
    ),
}


# ------------------------------------------------------------------------------------- labels

LABELLERS = {Role.CLERK, Role.INVESTIGATOR, Role.CUSTODIAN}
MATRIX |= {
    ("GET", "/api/v1/items/{evidence_no}/label"): Entry(
        LABELLERS, False, lambda w, s, _f: Call("GET", f"/api/v1/items/{w.item[s]}/label"), 200, out=404
    ),
    # the matrix's world configures no label printer: in scope, printing is refused (409), nothing written
    ("POST", "/api/v1/items/{evidence_no}/label/print"): Entry(
        LABELLERS,
        False,
        lambda w, s, _f: Call("POST", f"/api/v1/items/{w.item[s]}/label/print"),
        202,
        out=404,
        answers={role: 409 for role in LABELLERS},
    ),
}


# ------------------------------------------------------------------------------------------ tests

ROUTE_TABLE = create_app()


def _declared() -> dict[tuple[str, str], APIRoute]:
    return {(m, r.path_format): r for r in api_routes(ROUTE_TABLE) for m in r.methods}


def test_every_route_has_an_entry_that_matches_its_declaration():
    declared = _declared()
    assert set(declared) == set(MATRIX), "routes without a matrix entry, or entries without a route"
    for key, route in declared.items():
        entry = MATRIX[key]
        admits = admission(route)
        if entry.public:
            assert admits is None, key
            continue
        assert admits is not None, key
        assert (set(admits.roles), admits.stations) == (entry.roles, entry.stations), key
    others = set()
    for context in iter_route_contexts(ROUTE_TABLE.routes):
        if is_page(context.path_format):
            continue  # the desks' pages: their own matrix (test_web_matrix)
        if not isinstance(context.original_route, APIRoute) or not context.path_format.startswith("/api/"):
            others |= {(m, context.path_format) for m in (context.methods or {"GET"}) - {"HEAD"}}
    assert others == PUBLIC_DOCUMENTS


def test_public_documents_need_no_credentials(api):
    for _method, path in sorted(PUBLIC_DOCUMENTS):
        asset = "desk.css" if path.startswith("/static/") else "swagger-ui.css"
        answer = api.client.get(path.replace("{code}", "conflict").replace("{path}", asset))
        assert answer.status_code == 200, path


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", marks=pytest.mark.xdist_group("api-matrix-sqlite")),
        pytest.param(
            "postgresql", marks=[pytest.mark.xdist_group("api-matrix-postgresql"), pytest.mark.postgres]
        ),
    ],
)
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    url, drop = module_database(request, request.param)
    clock = FixedClock(START)
    custody = Custody.open(url, clock)
    harness = Harness(custody, clock, own_app=True)
    with harness.running():
        yield World(harness)
    custody.close()
    drop()


def _expected(entry: Entry, caller: str, scope: str) -> int:
    if entry.public:
        return entry.ok
    if caller in ("anonymous", "expired-session", "revoked-session"):
        return 401
    admitted = entry.stations if caller == "station" else Role(caller) in entry.roles
    if not admitted:
        return 403
    if caller in entry_answers(entry) and (scope == IN or caller in PROVINCIAL):
        return entry_answers(entry)[caller]
    if scope == IN or entry.out is None or caller in PROVINCIAL:
        return entry.ok
    return entry.out


def entry_answers(entry: Entry) -> dict[str, int]:
    return {role.value: answer for role, answer in entry.answers.items()}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda key: f"{key[0]} {key[1]}")
def test_matrix(world: World, route: tuple[str, str], caller: str):
    entry = MATRIX[route]
    for scope in (IN, OUT) if entry.scoped else (IN,):
        expected = _expected(entry, caller, scope)
        build = entry.builds.get(Role(caller), entry.build) if caller in ROLE_NAMES else entry.build
        call = build(world, scope, expected < 300)
        own = world.own_session(caller) if entry.own_session else None
        headers = {**(own if own is not None else world.headers(caller)), **(call.headers or {})}
        head = world.h.head_seq()
        body: dict[str, Any] = {"json": call.json} if call.content is None else {"content": call.content}
        answer = world.h.client.request(call.method, call.path, headers=headers, **body)
        where = f"{caller} {call.method} {call.path} ({'in' if scope == IN else 'out of'} scope)"
        assert answer.status_code == expected, f"{where}: {answer.status_code} {answer.text}"
        if expected >= 400:
            assert answer.headers["content-type"] == "application/problem+json", where
            assert answer.json()["status"] == expected, where
            assert world.h.head_seq() == head, f"{where}: a refusal changed the ledger"
        elif scope == OUT and entry.listing is not None and caller not in PROVINCIAL:
            entry.listing(world, answer)
