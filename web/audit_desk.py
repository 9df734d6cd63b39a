"""The audit desk: an auditor opens an audit of a unit's store (full or sampled, blind or not), reads
tags and barcodes into its round (the desk's read box, a keyboard-wedge scanner typing into it, or the
station bound to the audit), watches the counts of what the reads show so far, submits the round and
closes the audit; each discrepancy is shown with its owner, who resolves it before a confirming auditor
typing their own password into the same form.

What an audit shows is the API's own view of it (:func:`api.audit_schemas.audit_out`): while a blind
audit's round is not submitted, nothing the records expect, only what was read and the codes that name
nothing known. Every act is the core's, as its API twin calls it; a refusal writes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.audit_schemas import AuditOut, audit_out
from api.deps import Caller, ServicesDep
from api.errors import problem_type_of
from api.routes.audits import Auditor, AuditReader, DiscrepancyReader, Owner
from custody.audit_records import ReadIn, ReadOutcome
from custody.errors import CustodyError
from custody.model import AuditCategory, AuditMode, DiscrepancyStatus, Finding, Resolution
from web.render import PageRoute, page, refused, words
from web.session import STATION_COOKIE, FormChecked, like, second_person
from web.store_parts import fragment, may, numbers

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PageAuditor = Annotated[Caller, like(Auditor)]
PageAuditReader = Annotated[Caller, like(AuditReader)]
PageDiscrepancyReader = Annotated[Caller, like(DiscrepancyReader)]
PageOwner = Annotated[Caller, like(Owner)]

FINDING_WORDS = {
    Finding.FOUND: "Found",
    Finding.MISSING: "Missing",
    Finding.UNEXPECTED: "Unexpected",
    Finding.WRONG_PLACE: "Wrong place",
    Finding.SEAL_BROKEN: "Seal broken",
    Finding.SEAL_MISMATCH: "Seal holds other items",
    Finding.UNKNOWN_CODE: "Unknown code",
}
RESOLUTION_WORDS = {
    Resolution.FOUND_ELSEWHERE: "Found elsewhere",
    Resolution.RECORD_CORRECTED: "Record corrected",
    Resolution.REPORTED_LOST: "Reported lost",
}
MODE_WORDS = {AuditMode.FULL: "Full: every item", AuditMode.SAMPLE: "Sample: drawn per category"}
STATUS_WORDS = {DiscrepancyStatus.OPEN: "Unresolved", DiscrepancyStatus.RESOLVED: "Resolved"}
READ_WORDS = {"recorded": "Recorded", "repeat": "Read again", "refused": "Refused"}
CATEGORY_WORDS = {
    AuditCategory.FIREARM: "Firearms",
    AuditCategory.AMMUNITION: "Ammunition lots",
    AuditCategory.SAMPLE: "Ballistic samples",
}
KIND_WORDS = {"evidence": "Item", "seal": "Seal", "location": "Location", "unknown": "Unknown code"}
WORDS: dict[str, Any] = {
    "finding_words": FINDING_WORDS,
    "resolution_words": RESOLUTION_WORDS,
    "mode_words": MODE_WORDS,
    "status_words": STATUS_WORDS,
    "read_words": READ_WORDS,
    "kind_words": KIND_WORDS,
    "category_words": CATEGORY_WORDS,
}
POLL_SECONDS = 2  # the counts refresh while the round takes reads

Name = Annotated[str, Form(max_length=64)]
Text = Annotated[str, Form(max_length=200)]


# ------------------------------------------------------------------------------------------ the desk


def _desk(request: Request, caller: Caller, services: Any, every: bool) -> dict[str, Any]:
    """The desk: the discrepancies of the user's units (open ones, or ``every`` one), and for auditors
    a new audit."""
    actor = caller.actor
    can_open = may(request, caller, "POST", "/audit")
    status = None if every else DiscrepancyStatus.OPEN
    return {
        **WORDS,
        "can_open": can_open,
        "can_view": may(request, caller, "GET", "/audit/{audit_id}"),
        "every": every,
        "discrepancies": services.custody.discrepancies.list(actor, None, status),
        "stations": services.stations.list(actor, limit=200).rows if can_open else [],
        "opening": {
            "unit_code": actor.unit_code,
            "locations": "",
            "mode": AuditMode.FULL.value,
            "blind": False,
            "seed": "",
            "station": request.cookies.get(STATION_COOKIE, ""),
            "period_days": 365,
        },
    }


@router.get("/audit")
def audit_desk(
    request: Request,
    caller: PageDiscrepancyReader,
    services: ServicesDep,
    audit: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: Annotated[str, Query(max_length=8)] = "open",
) -> Response:
    """The desk; ``audit``: go to that audit's page."""
    if audit is not None:
        return RedirectResponse(f"/audit/{audit}", status_code=303)
    return page(request, "audit.html", **_desk(request, caller, services, status == "all"))


@router.post("/audit")
def open_audit(
    request: Request,
    caller: PageAuditor,
    _form: FormChecked,
    services: ServicesDep,
    unit_code: Annotated[str, Form(max_length=12)] = "",
    locations: Annotated[str, Form(max_length=7000)] = "",
    mode: Annotated[AuditMode, Form()] = AuditMode.FULL,
    blind: Annotated[bool, Form()] = False,
    seed: Name = "",
    station: Name = "",
    period_days: Annotated[int, Form(ge=1, le=3650)] = 365,  # as the API's AuditOpenIn
) -> Response:
    """Open an audit and draw its first round (``POST /api/v1/audits``)."""
    try:
        opened = services.custody.audits.open(
            caller.actor,
            unit_code,
            numbers(locations),
            mode,
            blind,
            seed or None,
            station or None,
            period_days,
        )
    except CustodyError as error:
        shown = _desk(request, caller, services, False)
        shown["opening"] = {
            "unit_code": unit_code,
            "locations": locations,
            "mode": mode.value,
            "blind": blind,
            "seed": seed,
            "station": station,
            "period_days": period_days,
        }
        return refused(request, error, "audit.html", **shown)
    return RedirectResponse(f"/audit/{opened.id}", status_code=303)


# ----------------------------------------------------------------------------------------- an audit


def shown_audit(caller: Caller, services: Any, audit_id: int) -> AuditOut:
    """The audit as ``GET /api/v1/audits/{id}`` shows it to the caller (blind: nothing expected)."""
    audits = services.custody.audits
    audit = audits.get(caller.actor, audit_id)
    return audit_out(audit, audits.progress(audit))


def _audit(request: Request, caller: Caller, services: Any, audit_id: int) -> dict[str, Any]:
    shown = shown_audit(caller, services, audit_id)
    found = []
    if shown.status.value == "closed":
        listed = services.custody.discrepancies.list(caller.actor, None, None)
        found = [d for d in listed if d.audit_id == shown.id]
    return {
        **WORDS,
        "audit": shown,
        "poll": POLL_SECONDS,
        "can_read": may(request, caller, "POST", "/audit/{audit_id}/reads"),
        "can_submit": may(request, caller, "POST", "/audit/{audit_id}/submit"),
        "can_close": may(request, caller, "POST", "/audit/{audit_id}/close"),
        "found": found,
    }


@router.get("/audit/{audit_id}")
def audit_page(request: Request, audit_id: int, caller: PageAuditReader, services: ServicesDep) -> Response:
    """An audit: what it covers, its live counts, the read box, its round's submission and its closing;
    once closed, its discrepancies and their owners."""
    return page(request, "audit_view.html", **_audit(request, caller, services, audit_id))


@router.get("/audit/{audit_id}/counts")
def audit_counts(request: Request, audit_id: int, caller: PageAuditReader, services: ServicesDep) -> Response:
    """The live counts alone (what the audit page polls while its round takes reads)."""
    shown = shown_audit(caller, services, audit_id)
    return page(request, "audit_counts.html", audit=shown, poll=POLL_SECONDS, oob=False, **WORDS)


@router.post("/audit/{audit_id}/reads")
def read(
    request: Request,
    audit_id: int,
    caller: PageAuditor,
    _form: FormChecked,
    services: ServicesDep,
    code: Name = "",
    location_code: Name = "",
    manual: Annotated[bool, Form()] = False,
    reason: Text = "",
) -> Response:
    """One code scanned (a wedge scanner types it and Enter) or typed by hand with a reason, read where
    the desk says it reads, into the audit's round (``POST /api/v1/audits/{id}/reads``). htmx takes the
    read's answer and the counts as they stand; a plain form goes back to the audit."""
    given = ReadIn(
        code=code or None,
        location_code=location_code or None,
        source="manual" if manual else "scan",
        reason=reason or None,
    )
    try:
        (outcome,) = services.custody.audit_reads.read(caller.actor, audit_id, [given])
    except CustodyError as error:
        if fragment(request):
            return _read_answer(request, caller, services, audit_id, None, error)
        return refused(request, error, "audit_view.html", **_audit(request, caller, services, audit_id))
    if fragment(request):
        return _read_answer(request, caller, services, audit_id, outcome, None)
    return RedirectResponse(f"/audit/{audit_id}", status_code=303)


def _read_answer(
    request: Request,
    caller: Caller,
    services: Any,
    audit_id: int,
    outcome: ReadOutcome | None,
    error: CustodyError | None,
) -> Response:
    """A read's line for the desk's list of reads, with the counts as they stand now (swapped in place
    out of band); a refused read or batch with its reason."""
    speak = words(request)
    refusal = error if error is not None else (outcome.refused if outcome is not None else None)
    context: dict[str, Any] = {
        **WORDS,
        "outcome": outcome,
        "reason": speak.refusal(refusal) if refusal is not None else "",
        "oob": error is None,
        "poll": POLL_SECONDS,
    }
    if error is None:
        context["audit"] = shown_audit(caller, services, audit_id)
        return page(request, "audit_read.html", **context)
    request.state.access_note = error.audit_note()
    return page(request, "audit_read.html", problem_type_of(error).status, **context)


@router.post("/audit/{audit_id}/submit")
def submit(
    request: Request, audit_id: int, caller: PageAuditor, _form: FormChecked, services: ServicesDep
) -> Response:
    """End the round (``POST /api/v1/audits/{id}/submit``): more items drawn where it found
    discrepancies, or ready to close; a blind audit shows what it found from now on."""
    try:
        services.custody.audits.submit(caller.actor, audit_id)
    except CustodyError as error:
        return refused(request, error, "audit_view.html", **_audit(request, caller, services, audit_id))
    return RedirectResponse(f"/audit/{audit_id}", status_code=303)


@router.post("/audit/{audit_id}/close")
def close(
    request: Request, audit_id: int, caller: PageAuditor, _form: FormChecked, services: ServicesDep
) -> Response:
    """Close the audit after its last round (``POST /api/v1/audits/{id}/close``): a discrepancy per
    finding that is not found, each with its owner."""
    try:
        services.custody.audits.close(caller.actor, audit_id)
    except CustodyError as error:
        return refused(request, error, "audit_view.html", **_audit(request, caller, services, audit_id))
    return RedirectResponse(f"/audit/{audit_id}", status_code=303)


# ----------------------------------------------------------------------------------- discrepancies


def _discrepancy(request: Request, caller: Caller, services: Any, discrepancy_id: int) -> dict[str, Any]:
    return {
        **WORDS,
        "discrepancy": services.custody.discrepancies.get(caller.actor, discrepancy_id),
        "can_resolve": may(request, caller, "POST", "/discrepancy/{discrepancy_id}/resolve"),
        "can_view_audit": may(request, caller, "GET", "/audit/{audit_id}"),
        "resolving": {"resolution": "", "reason": "", "confirmer": ""},
    }


@router.get("/discrepancy/{discrepancy_id}")
def discrepancy_page(
    request: Request, discrepancy_id: int, caller: PageDiscrepancyReader, services: ServicesDep
) -> Response:
    """A discrepancy: what the audit found, its owner and due date; while open, its resolution."""
    return page(request, "discrepancy.html", **_discrepancy(request, caller, services, discrepancy_id))


@router.post("/discrepancy/{discrepancy_id}/resolve")
def resolve(
    request: Request,
    discrepancy_id: int,
    caller: PageOwner,
    _form: FormChecked,
    services: ServicesDep,
    resolution: Annotated[str, Form(max_length=32)] = "",
    reason: Text = "",
    confirmer: Name = "",
    confirmer_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """The owner resolves the discrepancy with a reason before an auditor other than the owner, who
    types their own user name and password (``POST /api/v1/discrepancies/{id}/resolve`` with
    ``X-Second-Token``). A discrepancy out of scope is missing before anyone is asked."""
    shown = _discrepancy(request, caller, services, discrepancy_id)
    try:
        confirming = (
            second_person(request, services, caller, confirmer, confirmer_password, "confirmer")
            if confirmer
            else None
        )
        services.custody.discrepancies.resolve(caller.actor, discrepancy_id, resolution, reason, confirming)
    except CustodyError as error:
        shown["resolving"] = {"resolution": resolution, "reason": reason, "confirmer": confirmer}
        return refused(request, error, "discrepancy.html", **shown)
    return RedirectResponse(f"/discrepancy/{discrepancy_id}", status_code=303)
