"""The audit desk's entries in the pages' authorisation matrix (:mod:`test_web_matrix`).

An audit's page and its counts admit and answer as ``GET /api/v1/audits/{id}``; the desk admits the
readers of discrepancies; each form admits the roles of the API act it stands for and answers 303 in
scope, 404 out of scope like missing."""

from __future__ import annotations

from typing import Any

from api_harness import PASSWORD
from page_matrix import PageEntry
from test_api_matrix import STORE_READERS, World, _audits, _fresh_place, _new_audit, _new_discrepancy

from custody.model import AuditStatus, DiscrepancyStatus, Role

AUDIT_TWIN = ("GET", "/api/v1/audits/{audit_id}")


def _kept(w: World) -> dict[str, dict[str, int]]:
    _audits(w)
    return w.__dict__.setdefault("page_audits", {"reading": {}, "submitted": {}, "discrepancy": {}})


def _reading(w: World, scope: str) -> int:
    """An audit of the scope taking reads: a new one once the last was submitted."""
    kept = _kept(w)["reading"]
    current = kept.get(scope)
    if current is None or not w.custody.audits.get(None, current).reading:
        kept[scope] = current = _new_audit(w, scope)
    return current


def _submitted(w: World, scope: str) -> int:
    """An audit of the scope submitted, not closed: a new one once the last was closed."""
    kept = _kept(w)["submitted"]
    current = kept.get(scope)
    if current is None or w.custody.audits.get(None, current).status is not AuditStatus.OPEN:
        kept[scope] = current = _new_audit(w, scope, submitted=True)
    return current


def _discrepancy(w: World, scope: str) -> int:
    """An open discrepancy of the scope's store: a new one once the last was resolved."""
    kept = _kept(w)["discrepancy"]
    current = kept.get(scope)
    if current is None or w.custody.discrepancies.get(None, current).status is not DiscrepancyStatus.OPEN:
        kept[scope] = current = _new_discrepancy(w, scope)
    return current


def _new_audit_form(w: World, scope: str) -> dict[str, Any]:
    _audits(w)
    return {"unit_code": scope, "locations": _fresh_place(w, scope), "mode": "full"}


def _resolution(_w: World, _scope: str) -> dict[str, Any]:
    return {
        "resolution": "found_elsewhere",
        "reason": "在别处找到",
        "confirmer": "m-ng-auditor2",
        "confirmer_password": PASSWORD,
    }


PAGES: dict[tuple[str, str], PageEntry] = {
    ("GET", "/audit"): PageEntry(STORE_READERS, lambda _w, _s: "/audit", out=None),
    ("POST", "/audit"): PageEntry(
        {Role.AUDITOR}, lambda _w, _s: "/audit", ok=303, out=403, form=_new_audit_form
    ),
    ("GET", "/audit/{audit_id}"): PageEntry(
        None, lambda w, s: f"/audit/{_audits(w)['audit'][s]}", twin=AUDIT_TWIN
    ),
    ("GET", "/audit/{audit_id}/counts"): PageEntry(
        None, lambda w, s: f"/audit/{_audits(w)['audit'][s]}/counts", twin=AUDIT_TWIN
    ),
    ("POST", "/audit/{audit_id}/reads"): PageEntry(
        {Role.AUDITOR},
        lambda w, s: f"/audit/{_reading(w, s)}/reads",
        ok=303,
        form=lambda _w, _s: {"code": "M-NOT-A-CODE"},
    ),
    ("POST", "/audit/{audit_id}/submit"): PageEntry(
        {Role.AUDITOR}, lambda w, s: f"/audit/{_reading(w, s)}/submit", ok=303, form=lambda _w, _s: {}
    ),
    ("POST", "/audit/{audit_id}/close"): PageEntry(
        {Role.AUDITOR}, lambda w, s: f"/audit/{_submitted(w, s)}/close", ok=303, form=lambda _w, _s: {}
    ),
    ("GET", "/discrepancy/{discrepancy_id}"): PageEntry(
        STORE_READERS, lambda w, s: f"/discrepancy/{_discrepancy(w, s)}"
    ),
    ("POST", "/discrepancy/{discrepancy_id}/resolve"): PageEntry(
        {Role.CUSTODIAN}, lambda w, s: f"/discrepancy/{_discrepancy(w, s)}/resolve", ok=303, form=_resolution
    ),
}
