"""The item page's acts (check out, return), closing a case at the intake desk and opening a seal at its
page, in the pages' authorisation matrix (:mod:`test_web_matrix`). Each admits the roles of its API twin
and answers 303 in scope; a custodian's check-out or return of an item in case custody is the core's to
refuse (403), as the API's is. What a form sends is made with its path, before the ledger's head is read."""

from __future__ import annotations

from typing import Any

from api_harness import PASSWORD
from page_matrix import PageEntry
from test_api_matrix import World, _seal

from custody.model import Role

HOLDERS = {Role.CLERK, Role.CUSTODIAN}
CASE_KEEPERS = {Role.CLERK, Role.INVESTIGATOR}


def _kept(w: World) -> dict[str, Any]:
    kept: dict[str, Any] = w.__dict__.setdefault("item_act_forms", {})
    return kept


def _checkout_path(w: World, scope: str) -> str:
    return f"/item/{w.new_item(scope)}/checkout"


def _return_path(w: World, scope: str) -> str:
    return f"/item/{w.checked_out_item(scope)}/return"


def _close_path(w: World, scope: str) -> str:
    _kept(w)["close"] = {"close_case_no": w.new_case(scope), "close_unit_code": scope}
    return "/intake/case/close"


def _open_path(w: World, scope: str) -> str:
    return f"/seal/{_seal(w, scope, True)}/open"


def _opening(_w: World, _scope: str) -> dict[str, Any]:
    """Before the county's auditor, as the API matrix's opening: out of scope, the seal is missing."""
    return {"reason": "复核", "witness": "ng-auditor", "witness_password": PASSWORD}


PAGES: dict[tuple[str, str], PageEntry] = {
    ("POST", "/item/{evidence_no}/checkout"): PageEntry(
        HOLDERS,
        _checkout_path,
        ok=303,
        form=lambda _w, _s: {"version": 1, "purpose": "lab", "to": "技术室", "due_date": "2026-12-31"},
        answers={Role.CUSTODIAN: 403},
    ),
    ("POST", "/item/{evidence_no}/return"): PageEntry(
        HOLDERS, _return_path, ok=303, form=lambda _w, _s: {"version": 2}, answers={Role.CUSTODIAN: 403}
    ),
    ("POST", "/intake/case/close"): PageEntry(
        CASE_KEEPERS, _close_path, ok=303, form=lambda w, _s: _kept(w)["close"]
    ),
    ("POST", "/seal/{seal_no}/open"): PageEntry({Role.CUSTODIAN}, _open_path, ok=303, form=_opening),
}
