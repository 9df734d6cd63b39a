"""The destruction desks' entries of the pages' authorisation matrix (:mod:`test_web_matrix`).

A page that reads stands beside its API twin (the same roles, the same answers); a form admits the roles
of the API route whose core call it makes, and answers as the core does: 303 to the page it changed, or
the core's refusal. A form expected to succeed is sent on an object of its own, made anew once an earlier
call used it up (an application refused, a batch approved, a lot destroyed), always before the ledger's
head is read; the fields a form sends read the world and write nothing.
"""

from __future__ import annotations

from typing import Any

from api_harness import PASSWORD
from page_matrix import PageEntry
from test_api_matrix import (
    APPROVER,
    MATRIX,
    SITE_WITNESSES,
    World,
    _approved_batch,
    _destruction,
    _new_application,
    _new_batch,
    _officer,
    _open_site,
    _rounds,
    _shared_site,
    _site_people,
)

from custody.batches import BatchStatus
from custody.model import ApplicationStatus, ItemState, Role

OFFICERS = {Role.DESTRUCTION_OFFICER}
CUSTODIANS = {Role.CUSTODIAN}


def _kept(w: World) -> dict[str, Any]:
    """The objects the desk's forms act on, per scope, made anew when used up."""
    found: dict[str, Any] = _destruction(w).setdefault("pages", {})
    return found


def _fresh(w: World, name: str, scope: str, usable: Any, make: Any) -> Any:
    kept = _kept(w).setdefault(name, {})
    if scope not in kept or not usable(kept[scope]):
        kept[scope] = make()
    return kept[scope]


def _open_application(w: World, scope: str) -> int:
    """An application of the scope still open (refused or batched by an earlier call: a new one)."""

    def usable(application: int) -> bool:
        return w.custody.applications.get(None, application).status is ApplicationStatus.OPEN

    found: int = _fresh(w, "application", scope, usable, lambda: _new_application(w, scope))
    return found


def _batch_in(status: BatchStatus, name: str, make: Any) -> Any:
    """A batch of the scope in ``status`` (moved on by an earlier call: a new one)."""

    def build(w: World, scope: str) -> int:
        _site_people(w)

        def usable(batch: int) -> bool:
            return w.custody.batches.get(None, batch).status is status

        found: int = _fresh(w, name, scope, usable, lambda: make(w, scope))
        return found

    return build


def _ready_to_open(w: World, scope: str) -> int:
    batch, _lot = _approved_batch(w, scope)
    for username in SITE_WITNESSES:
        w.custody.batch_site.witness(_officer(w), batch, w.custody.users.actor(username))
    return batch


def _ready_to_close(w: World, scope: str) -> int:
    batch, lot = _open_site(w, scope)
    w.custody.batch_site.withdraw(_officer(w), batch, lot, "数量待复核")
    return batch


_open_batch = _batch_in(BatchStatus.OPEN, "open batch", _new_batch)
_witnessable = _batch_in(BatchStatus.APPROVED, "witnessable", lambda w, s: _approved_batch(w, s)[0])
_openable = _batch_in(BatchStatus.APPROVED, "openable", _ready_to_open)
_closable = _batch_in(BatchStatus.SITE, "closable", _ready_to_close)


def _unwitnessed(w: World, scope: str) -> int:
    """An approved batch the first site witness has not confirmed yet."""
    batch: int = _witnessable(w, scope)
    if any(x.username == SITE_WITNESSES[0] for x in w.custody.batch_site.site(None, batch).witnesses):
        _kept(w)["witnessable"].pop(scope)
        batch = _witnessable(w, scope)
    return batch


def _site_with_lot(w: World, scope: str) -> tuple[int, str]:
    """An open site whose lot is still approved (destroyed or withdrawn by an earlier call: a new one)."""

    def usable(site: tuple[int, str]) -> bool:
        return w.custody.items.item(None, site[1]).state is ItemState.APPROVED

    found: tuple[int, str] = _fresh(w, "site", scope, usable, lambda: _open_site(w, scope))
    return found


def _twin_path(twin: tuple[str, str], page: str) -> Any:
    """The page's path: its twin's, with the API's prefix made the page's."""

    def path(w: World, scope: str) -> str:
        return MATRIX[twin].build(w, scope, False).path.replace("/api/v1/destruction-batches/", page)

    return path


def _application_path(suffix: str) -> Any:
    def path(w: World, scope: str) -> str:
        return f"/application/{_destruction(w)['application'][scope]}{suffix}"

    return path


def _after(make: Any, suffix: str) -> Any:
    """A form's path on the batch (or site's batch) ``make`` gives."""

    def path(w: World, scope: str) -> str:
        made = make(w, scope)
        batch = made[0] if isinstance(made, tuple) else made
        return f"/batch/{batch}{suffix}"

    return path


def _lot_of(w: World, scope: str) -> str:
    lot: str = _kept(w)["site"][scope][1]
    return lot


def _adding(w: World, scope: str) -> str:
    _open_application(w, scope)
    return f"/batch/{_open_batch(w, scope)}/applications"


def _building(w: World, scope: str) -> str:
    _open_application(w, scope)
    return "/destruction/batches"


def _applying(w: World, _scope: str) -> str:
    _destruction(w)
    return "/destruction/applications"


def _taken(w: World, scope: str) -> list[int]:
    return [_kept(w)["application"][scope]]


PAGES: dict[tuple[str, str], PageEntry] = {
    # the desk, an application, a batch, its site and what it keeps: beside their API twins
    ("GET", "/destruction"): PageEntry(
        None, lambda _w, _s: "/destruction", out=None, twin=("GET", "/api/v1/destruction-applications")
    ),
    ("GET", "/application/{application_id}"): PageEntry(
        None, _application_path(""), twin=("GET", "/api/v1/destruction-applications/{application_id}")
    ),
    ("GET", "/batch/{batch_id}"): PageEntry(
        None,
        _twin_path(("GET", "/api/v1/destruction-batches/{batch_id}"), "/batch/"),
        twin=("GET", "/api/v1/destruction-batches/{batch_id}"),
    ),
    ("GET", "/batch/{batch_id}/site"): PageEntry(
        None,
        _twin_path(("GET", "/api/v1/destruction-batches/{batch_id}/site"), "/batch/"),
        twin=("GET", "/api/v1/destruction-batches/{batch_id}/site"),
    ),
    ("GET", "/batch/{batch_id}/site/progress"): PageEntry(
        None,
        lambda w, s: f"/batch/{_shared_site(w, s)['batch']}/site/progress",
        twin=("GET", "/api/v1/destruction-batches/{batch_id}/site/reads"),
    ),
    ("GET", "/batch/{batch_id}/photos/{sha256}"): PageEntry(
        None,
        _twin_path(("GET", "/api/v1/destruction-batches/{batch_id}/photos/{sha256}"), "/batch/"),
        twin=("GET", "/api/v1/destruction-batches/{batch_id}/photos/{sha256}"),
    ),
    ("GET", "/batch/{batch_id}/report.pdf"): PageEntry(
        None,
        lambda w, s: f"/batch/{_shared_site(w, s)['batch']}/report.pdf",
        twin=("GET", "/api/v1/reports/batches/{batch_id}"),
    ),
    # a custodian of the county applies for no destruction (a city applies); Jilin City is not its own
    ("POST", "/destruction/applications"): PageEntry(
        CUSTODIANS,
        _applying,
        ok=303,
        out=403,
        form=lambda w, s: {"unit_code": s, "evidence_nos": [_destruction(w)["lot"][s]]},
        answers={Role.CUSTODIAN: 403},
    ),
    # only its applicant (a city's custodian) withdraws it: the county's custodian sees it, and may not
    ("POST", "/application/{application_id}/withdraw"): PageEntry(
        CUSTODIANS,
        _application_path("/withdraw"),
        ok=303,
        form=lambda _w, _s: {"reason": "补充材料"},
        answers={Role.CUSTODIAN: 403},
    ),
    ("POST", "/application/{application_id}/refuse"): PageEntry(
        OFFICERS,
        lambda w, s: f"/application/{_open_application(w, s)}/refuse",
        ok=303,
        form=lambda _w, _s: {"reason": "样本记录不全"},
    ),
    # the province's batches and their sites: its destruction officer's forms
    ("POST", "/destruction/batches"): PageEntry(
        OFFICERS,
        _building,
        ok=303,
        form=lambda w, s: {
            "method": "smelting",
            "place": "长春钢厂",
            "date": "2026-04-15",
            "applications": _taken(w, s),
        },
    ),
    ("POST", "/batch/{batch_id}/applications"): PageEntry(
        OFFICERS, _adding, ok=303, form=lambda w, s: {"applications": _taken(w, s)}
    ),
    ("POST", "/batch/{batch_id}/approve"): PageEntry(
        OFFICERS,
        _after(_open_batch, "/approve"),
        ok=303,
        form=lambda _w, _s: {"approver_username": APPROVER, "approver_password": PASSWORD},
    ),
    ("POST", "/batch/{batch_id}/witnesses"): PageEntry(
        OFFICERS,
        _after(_unwitnessed, "/witnesses"),
        ok=303,
        form=lambda _w, _s: {"witness_username": SITE_WITNESSES[0], "witness_password": PASSWORD},
    ),
    ("POST", "/batch/{batch_id}/site"): PageEntry(
        OFFICERS,
        _after(_openable, "/site"),
        ok=303,
        form=lambda _w, _s: {"method": "cutting", "place": "长春"},
    ),
    ("POST", "/batch/{batch_id}/site/reads"): PageEntry(
        OFFICERS,
        _after(_site_with_lot, "/site/reads"),
        ok=303,
        form=lambda w, s: {"code": _lot_of(w, s), "rounds": _rounds(w, _lot_of(w, s))},
    ),
    ("POST", "/batch/{batch_id}/counts"): PageEntry(
        OFFICERS,
        _after(_site_with_lot, "/counts"),
        ok=303,
        form=lambda w, s: {"evidence_no": _lot_of(w, s), "rounds": _rounds(w, _lot_of(w, s))},
    ),
    ("POST", "/batch/{batch_id}/withdrawals"): PageEntry(
        OFFICERS,
        _after(_site_with_lot, "/withdrawals"),
        ok=303,
        form=lambda w, s: {"evidence_no": _lot_of(w, s), "reason": "数量待复核"},
    ),
    ("POST", "/batch/{batch_id}/close"): PageEntry(OFFICERS, _after(_closable, "/close"), ok=303),
    # the matrix sends no file: the officer's form is refused as malformed (the upload itself:
    # test_web_destruction)
    ("POST", "/batch/{batch_id}/photos"): PageEntry(
        OFFICERS,
        lambda w, s: f"/batch/{_shared_site(w, s)['batch']}/photos",
        form=lambda w, s: {"evidence_no": _shared_site(w, s)["lot"], "stage": "before"},
        answers={Role.DESTRUCTION_OFFICER: 422},
    ),
}
