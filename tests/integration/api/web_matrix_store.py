"""The handover and sealing desk's entries in the pages' authorisation matrix (:mod:`test_web_matrix`).

A page beside an API route that reads (a handover, a seal) admits and answers as its twin; a form admits
the roles of the API act it stands for and answers 303 in scope. A handover is decided at the desk by the
named custodian's password, whoever's session the desk holds: a clerk's or a custodian's."""

from __future__ import annotations

from typing import Any

from api_harness import PASSWORD, unique
from page_matrix import PageEntry
from test_api_matrix import STORE_CODE, World, _accepted, _seal, _sealed_storage

from custody.model import HandoverStatus, Role

DESK = {Role.CLERK, Role.CUSTODIAN}
LOCATION_READERS = {Role.CLERK, Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER, Role.ADMIN}


def _offered(w: World, scope: str) -> int:
    """The scope's handover offered to its custodian: a new one once the last one was decided."""
    kept: dict[str, int] = w.__dict__.setdefault("page_handovers", {})
    current = kept.get(scope)
    if current is None or w.custody.handovers.get(None, current).status is not HandoverStatus.OFFERED:
        kept[scope] = current = w.offered_handover(scope)
    return current


def _decision(w: World, scope: str) -> dict[str, Any]:
    return {"receiver": w.custodian[scope], "receiver_password": PASSWORD, "reason": "清单与实物不符"}


def _prepared(w: World) -> dict[str, dict[str, Any]]:
    """The forms the paths prepared (a path is built before the ledger's head is taken, a form after:
    what a form sends is made with its path)."""
    kept: dict[str, dict[str, Any]] = w.__dict__.setdefault("page_forms", {})
    return kept


def _offer_path(w: World, scope: str) -> str:
    """A fresh item of a closed case of the scope, offered to its custodian."""
    body = w.offer(scope)
    _prepared(w)["offer"] = {
        "case_no": body["case_no"],
        "receiver": body["custodian"],
        "evidence_nos": body["evidence_nos"][0],
    }
    return "/store/offer"


def _seal_path(w: World, scope: str) -> str:
    """A new accepted item of the scope's store, sealed at its store before a witness of the county
    (whom a custodian of the other side cannot reach: their seal is refused as out of scope first)."""
    _sealed_storage(w)
    _prepared(w)["seal"] = {
        "location_code": STORE_CODE[scope],
        "evidence_no": _accepted(w, scope)[0],
        "witness": "ng-auditor",
        "witness_password": PASSWORD,
    }
    return "/store/seal"


def _new_place(w: World, scope: str) -> dict[str, Any]:
    _sealed_storage(w)
    return {"location_code": f"{STORE_CODE[scope]}-{unique('')}", "name": "架"}


PAGES: dict[tuple[str, str], PageEntry] = {
    ("GET", "/store"): PageEntry(DESK, lambda _w, _s: "/store", out=None),
    ("POST", "/store/offer"): PageEntry(
        {Role.CLERK}, _offer_path, ok=303, out=409, form=lambda w, _s: _prepared(w)["offer"]
    ),
    ("GET", "/handover/{handover_id}"): PageEntry(
        None, lambda w, s: f"/handover/{w.handover[s]}", twin=("GET", "/api/v1/handovers/{handover_id}")
    ),
    ("POST", "/handover/{handover_id}/accept"): PageEntry(
        DESK, lambda w, s: f"/handover/{_offered(w, s)}/accept", ok=303, form=_decision
    ),
    ("POST", "/handover/{handover_id}/refuse"): PageEntry(
        DESK, lambda w, s: f"/handover/{_offered(w, s)}/refuse", ok=303, form=_decision
    ),
    ("GET", "/store/seal"): PageEntry({Role.CUSTODIAN}, lambda _w, _s: "/store/seal", out=None),
    ("POST", "/store/seal"): PageEntry(
        {Role.CUSTODIAN}, _seal_path, ok=303, form=lambda w, _s: _prepared(w)["seal"]
    ),
    ("GET", "/store/sealed/{seal_no}"): PageEntry(
        None, lambda w, s: f"/store/sealed/{_seal(w, s, False)}", twin=("GET", "/api/v1/seals/{seal_no}")
    ),
    ("GET", "/store/locations"): PageEntry(LOCATION_READERS, lambda _w, _s: "/store/locations", out=None),
    ("POST", "/store/locations"): PageEntry(
        {Role.CUSTODIAN, Role.ADMIN}, lambda _w, _s: "/store/locations", ok=303, out=403, form=_new_place
    ),
}
