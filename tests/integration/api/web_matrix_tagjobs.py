"""The tag-writing pages' entries in the pages' authorisation matrix (:mod:`test_web_matrix`).

The form's stations, a job's page and the forms that ask for a job or cancel one admit the roles of the
API's tag-write job routes; the forms answer 303 in scope, and 404 out of scope like missing. The sealing
desk's forms that read a blank seal tag or write a seal's number on its tag admit the roles the core lets
ask for that kind of job (a custodian)."""

from __future__ import annotations

import secrets

from page_matrix import PageEntry
from test_api_matrix import (
    CUSTODIAN,
    IN,
    STORE_CODE,
    TAG_WRITERS,
    World,
    _accepted,
    _sealed_storage,
    _tag_job,
)

from custody.model import Role

SEALERS = {Role.CUSTODIAN}


def _tagged_seal(w: World, scope: str) -> str:
    """Once per scope: a seal of the scope's store bound to a tag (its number to write on it)."""
    kept: dict[str, str] = w.__dict__.setdefault("tagged_seals", {})
    if scope not in kept:
        _sealed_storage(w)
        custodian = w.custody.users.actor(CUSTODIAN[scope])
        witness = w.custody.users.actor("ng-auditor" if scope == IN else "m-jl-auditor")
        uid = "04" + secrets.token_hex(6).upper()
        made = w.custody.seals.create(custodian, STORE_CODE[scope], _accepted(w, scope), witness, uid)
        kept[scope] = made.seal_no
    return kept[scope]


def _station(w: World, scope: str) -> dict[str, str]:
    return {"station": w.station_name[scope]}


PAGES: dict[tuple[str, str], PageEntry] = {
    ("GET", "/tag-stations"): PageEntry(TAG_WRITERS, lambda _w, _s: "/tag-stations", out=None),
    ("POST", "/item/{evidence_no}/tag-jobs"): PageEntry(
        TAG_WRITERS,
        lambda w, s: f"/item/{w.item[s]}/tag-jobs",
        ok=303,
        form=lambda w, s: {"station": w.station_name[s]},
    ),
    ("GET", "/tag-jobs/{job_id}"): PageEntry(TAG_WRITERS, lambda w, s: f"/tag-jobs/{_tag_job(w, s)}"),
    ("POST", "/tag-jobs/{job_id}/cancel"): PageEntry(
        TAG_WRITERS, lambda w, s: f"/tag-jobs/{_tag_job(w, s)}/cancel", ok=303, form=lambda _w, _s: {}
    ),
    ("POST", "/store/seal/tag-jobs"): PageEntry(
        SEALERS, lambda _w, _s: "/store/seal/tag-jobs", ok=303, form=_station
    ),
    ("POST", "/seal/{seal_no}/tag-jobs"): PageEntry(
        SEALERS, lambda w, s: f"/seal/{_tagged_seal(w, s)}/tag-jobs", ok=303, form=_station
    ),
}
