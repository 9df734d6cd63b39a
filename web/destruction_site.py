"""The destruction site desk (销毁现场): the batch's witnesses, each confirming with their own password at
the desk; the site opened; the items scanned out one by one (a typed or wedge-scanned code is a read of
the site, as the API's), with the scan-out progress and the discrepancies the core reports, refreshed
live; lots counted, items withdrawn, photos before and after from the desk's camera or a file; the
batch closed, and its report as a PDF.

Every page calls the core as its API twin (:mod:`api.routes.destruction_sites`,
:mod:`api.routes.report_batch`) and admits the same roles.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from api.deps import Caller, Services, ServicesDep
from api.routes import report_batch
from api.routes.destruction_sites import BatchReader, Officer
from custody.batch_photos import MAX_PHOTO_BYTES
from custody.batches import BatchStatus
from custody.errors import CustodyError, NotAuthenticated
from custody.model import ItemState
from custody.numbers import ItemKind
from custody.site_reads import SiteRead
from web.destruction import BatchNo, Password, Place, Reason, Username, shared
from web.render import PageRoute, page, refused
from web.session import FormChecked, like, second_person

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PageBatchReader = Annotated[Caller, like(BatchReader)]
PageOfficer = Annotated[Caller, like(Officer)]
PageReportReader = Annotated[Caller, like(report_batch.Reader)]
Sha256 = Annotated[str, Path(pattern="^[0-9a-fA-F]{64}$")]
EvidenceNo = Annotated[str, Form(max_length=64)]

LAST_READS = 10  # the reads the desk shows, newest first
SITE_READ_EVENT = "site-read"  # the htmx event a read answers with: the progress refreshes at once


def _progress(services: Services, caller: Caller, batch_id: int) -> dict[str, Any]:
    """The batch, its site and what was read there: the scan-out progress and the discrepancies."""
    actor = caller.actor
    batch = services.custody.batches.get(actor, batch_id)
    site = services.custody.batch_site.site(actor, batch_id)
    reads = services.custody.site_reads.reads(actor, batch_id)
    states = [i.state for i in batch.items]
    return {
        "batch": batch,
        "site": site,
        "destroyed": states.count(ItemState.DESTROYED),
        "pending": [i for i in batch.items if i.state is ItemState.APPROVED],
        "withdrawn": [i for i in batch.items if i.state is ItemState.SEALED],
        "findings": [k for k in reads if k.read.finding],
        "last_reads": list(reversed(reads))[:LAST_READS],
        "polling": site.status is BatchStatus.SITE,
    }


def _site(services: Services, caller: Caller, batch_id: int) -> dict[str, Any]:
    context = _progress(services, caller, batch_id)
    try:
        stations = [
            s.name for s in services.stations.list(caller.actor, limit=200).rows if s.revoked_at_us is None
        ]
    except CustodyError:
        stations = []
    context.update(
        lots=[i for i in context["pending"] if i.kind is ItemKind.AMMUNITION],  # to count at the site
        photos=services.custody.batch_photos.list(caller.actor, batch_id),
        stations=stations,
        max_photo_mb=MAX_PHOTO_BYTES // (1024 * 1024),
        read=None,
    )
    return context


def _again(
    request: Request,
    error: CustodyError,
    services: Services,
    caller: Caller,
    batch_id: int,
    acted: str,
    **form: Any,
) -> Response:
    context = _site(services, caller, batch_id)
    return refused(request, error, "site.html", **context, **shared(caller, acted, **form))


def _back(batch_id: int) -> Response:
    """The site desk again, its first field focused (no fragment: a page opened at one is not
    autofocused)."""
    return RedirectResponse(f"/batch/{batch_id}/site", status_code=303)


@router.get("/batch/{batch_id}/site")
def site_desk(
    request: Request, batch_id: BatchNo, caller: PageBatchReader, services: ServicesDep
) -> Response:
    context = _site(services, caller, batch_id)
    return page(request, "site.html", **context, **shared(caller))


@router.get("/batch/{batch_id}/site/progress")
def site_progress(
    request: Request, batch_id: BatchNo, caller: PageBatchReader, services: ServicesDep
) -> Response:
    """The scan-out progress and the discrepancies, as a fragment the desk polls."""
    context = _progress(services, caller, batch_id)
    return page(request, "site_progress.html", **context, **shared(caller))


@router.post("/batch/{batch_id}/witnesses")
def add_witness(
    request: Request,
    batch_id: BatchNo,
    caller: PageOfficer,
    _form: FormChecked,
    services: ServicesDep,
    witness_username: Username = "",
    witness_password: Password = "",
) -> Response:
    """A witness of the approved batch's site confirms with their own password at the desk."""
    try:
        person = second_person(
            request, services, caller, witness_username, witness_password, "witness", field="witness_password"
        )
        services.custody.batch_site.witness(caller.actor, batch_id, person)
    except CustodyError as error:
        return _again(
            request, error, services, caller, batch_id, "witness", witness_username=witness_username
        )
    return _back(batch_id)


@router.post("/batch/{batch_id}/site")
def open_site(
    request: Request,
    batch_id: BatchNo,
    caller: PageOfficer,
    _form: FormChecked,
    services: ServicesDep,
    method: Annotated[str, Form(max_length=32)] = "",
    place: Place = "",
    station: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Open the site before two witnesses; a station named reads for it until it closes."""
    try:
        services.custody.batch_site.open(caller.actor, batch_id, method, place, station or None)
    except CustodyError as error:
        return _again(
            request, error, services, caller, batch_id, "open", method=method, place=place, station=station
        )
    return _back(batch_id)


@router.post("/batch/{batch_id}/site/reads")
def read_at_site(
    request: Request,
    batch_id: BatchNo,
    caller: PageOfficer,
    _form: FormChecked,
    services: ServicesDep,
    code: Annotated[str, Form(max_length=64)] = "",
    rounds: Annotated[int | None, Form(ge=0, le=10_000_000)] = None,
) -> Response:
    """One code read at the open site: an approved item of the batch is destroyed, anything else is a
    finding. From htmx, the read's outcome answers in place and the progress refreshes."""
    in_place = request.headers.get("hx-request") == "true"
    try:
        read = services.custody.site_reads.scan(caller.actor, batch_id, code, rounds)
    except CustodyError as error:
        if in_place and not isinstance(error, NotAuthenticated):
            answer = refused(request, error, "site_read.html", read=None, **shared(caller))
            answer.headers["X-Site-Read"] = "refused"
            return answer
        return _again(request, error, services, caller, batch_id, "read", code=code)
    if in_place:
        return _read_answer(request, caller, read)
    return _back(batch_id)


def _read_answer(request: Request, caller: Caller, read: SiteRead) -> Response:
    answer = page(request, "site_read.html", read=read, **shared(caller))
    answer.headers["X-Site-Read"] = read.status
    answer.headers["HX-Trigger"] = SITE_READ_EVENT
    return answer


@router.post("/batch/{batch_id}/counts")
def count_lot(
    request: Request,
    batch_id: BatchNo,
    caller: PageOfficer,
    _form: FormChecked,
    services: ServicesDep,
    evidence_no: EvidenceNo,
    rounds: Annotated[int, Form(ge=0, le=10_000_000)],
) -> Response:
    """The rounds of an approved lot counted at the open site (different from its record: a finding)."""
    try:
        services.custody.site_reads.count(caller.actor, batch_id, evidence_no, rounds)
    except CustodyError as error:
        return _again(
            request, error, services, caller, batch_id, "count", evidence_no=evidence_no, rounds=rounds
        )
    return _back(batch_id)


@router.post("/batch/{batch_id}/withdrawals")
def withdraw_item(
    request: Request,
    batch_id: BatchNo,
    caller: PageOfficer,
    _form: FormChecked,
    services: ServicesDep,
    evidence_no: EvidenceNo = "",
    reason: Reason = "",
) -> Response:
    """An approved item not destroyed goes back to sealed, with a reason."""
    try:
        services.custody.batch_site.withdraw(caller.actor, batch_id, evidence_no, reason)
    except CustodyError as error:
        form = {"evidence_no": evidence_no, "reason": reason}
        return _again(request, error, services, caller, batch_id, "withdraw", **form)
    return _back(batch_id)


@router.post("/batch/{batch_id}/close")
def close_batch(
    request: Request, batch_id: BatchNo, caller: PageOfficer, _form: FormChecked, services: ServicesDep
) -> Response:
    """Close the batch once every approved item is destroyed or withdrawn; the ledger's head is fixed."""
    try:
        services.custody.batch_site.close(caller.actor, batch_id)
    except CustodyError as error:
        return _again(request, error, services, caller, batch_id, "close")
    return _back(batch_id)


@router.post("/batch/{batch_id}/photos")
async def add_photo(
    request: Request,
    batch_id: BatchNo,
    caller: PageOfficer,
    _form: FormChecked,
    services: ServicesDep,
    photo: Annotated[UploadFile, File()],
    evidence_no: EvidenceNo = "",
    stage: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Keep a photo (from the desk's camera or a file) of an item of the batch, before or after its
    destruction; the body may be as large as the API's photo route admits (:mod:`api.limits`)."""
    content = await photo.read()

    def keep() -> Response:
        try:
            services.custody.batch_photos.add(caller.actor, batch_id, evidence_no, stage, content)
        except CustodyError as error:
            form = {"evidence_no": evidence_no, "stage": stage}
            return _again(request, error, services, caller, batch_id, "photo", **form)
        return _back(batch_id)

    return await run_in_threadpool(keep)


@router.get("/batch/{batch_id}/photos/{sha256}")
def show_photo(batch_id: BatchNo, sha256: Sha256, caller: PageBatchReader, services: ServicesDep) -> Response:
    """A photo of the batch, as it was kept."""
    photo, content = services.custody.batch_photos.content(caller.actor, batch_id, sha256)
    return Response(content, media_type=photo.media_type, headers={"X-Content-SHA256": photo.sha256})


@router.get("/batch/{batch_id}/report.pdf")
def batch_report(batch_id: BatchNo, caller: PageReportReader, services: ServicesDep) -> Response:
    """The batch report (枪支弹药销毁报告) as a PDF, made as the API's report route makes it."""
    return report_batch.batch_report(batch_id, caller, services, "pdf", None)
