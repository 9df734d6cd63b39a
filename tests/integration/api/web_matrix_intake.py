"""The intake desk's pages in the pages' authorisation matrix (:mod:`test_web_matrix`): the desk's forms,
an item's label (download, print) and the ballistic samples page with its two forms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api_harness import unique
from page_matrix import PageEntry

from custody.model import Role

if TYPE_CHECKING:
    from test_api_matrix import World

CLERKS = {Role.CLERK}
CASE_KEEPERS = {Role.CLERK, Role.INVESTIGATOR}
LABELLERS = {Role.CLERK, Role.INVESTIGATOR, Role.CUSTODIAN}
LABEL = ("GET", "/api/v1/items/{evidence_no}/label")


def _firearm(w: World, scope: str) -> dict[str, Any]:
    return {
        "case_no": w.case[scope],
        "firearm_type": "手枪",
        "make_model": "54式",
        "serial_number": unique("P"),
        "calibre": "7.62mm",
        "fires_standard_ammunition": "yes",
        "once_token": unique("token-"),
    }


def _ammunition(w: World, scope: str) -> dict[str, Any]:
    return {"case_no": w.case[scope], "calibre": "9mm", "quantity_rounds": "5"}


PAGES: dict[tuple[str, str], PageEntry] = {
    ("GET", "/intake"): PageEntry(CLERKS, lambda _w, _s: "/intake", out=None),
    ("GET", "/intake/ammunition"): PageEntry(CLERKS, lambda _w, _s: "/intake/ammunition", out=None),
    ("GET", "/intake/case"): PageEntry(CASE_KEEPERS, lambda _w, _s: "/intake/case", out=None),
    ("POST", "/intake/case"): PageEntry(
        CASE_KEEPERS,
        lambda _w, _s: "/intake/case",
        ok=303,
        out=403,  # a unit outside the caller's: refused, as POST /api/v1/cases
        form=lambda _w, s: {"case_no": unique("P-NEW-"), "unit_code": s},
    ),
    ("POST", "/intake/firearm"): PageEntry(CLERKS, lambda _w, _s: "/intake/firearm", ok=303, form=_firearm),
    ("POST", "/intake/ammunition"): PageEntry(
        CLERKS, lambda _w, _s: "/intake/ammunition", ok=303, form=_ammunition
    ),
    ("GET", "/intake/item/{evidence_no}"): PageEntry(
        None, lambda w, s: f"/intake/item/{w.item[s]}", twin=LABEL
    ),
    ("GET", "/item/{evidence_no}/label"): PageEntry(
        None, lambda w, s: f"/item/{w.item[s]}/label", twin=LABEL
    ),
    # no label printer in the matrix's world: in scope, printing is refused (409) and writes nothing
    ("POST", "/item/{evidence_no}/label/print"): PageEntry(
        LABELLERS,
        lambda w, s: f"/item/{w.item[s]}/label/print",
        ok=303,
        form=lambda _w, _s: {"copies": "1"},
        answers={role: 409 for role in LABELLERS},
    ),
    ("GET", "/item/{evidence_no}/samples"): PageEntry(
        None, lambda w, s: f"/item/{w.item[s]}/samples", twin=("GET", "/api/v1/items/{evidence_no}")
    ),
    ("POST", "/item/{evidence_no}/samples/test-fire"): PageEntry(
        {Role.INVESTIGATOR},
        lambda w, s: f"/item/{w.checked_out_item(s)}/samples/test-fire",
        ok=303,
        form=lambda _w, _s: {"lab": "刑科所", "examiner": "王", "lab_stock": "库存", "bullets": "1"},
    ),
    # a custodian splits the lots it holds in the store, not a clerk's lot in case custody
    ("POST", "/item/{evidence_no}/samples/split"): PageEntry(
        {Role.CLERK, Role.CUSTODIAN},
        lambda w, s: f"/item/{w.new_item(s, ammunition=True)}/samples/split",
        ok=303,
        form=lambda _w, _s: {"rounds": "10"},
        answers={Role.CUSTODIAN: 403},
    ),
}
