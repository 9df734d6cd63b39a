"""Tag writing at the desk's reader: a job for the station the reader hangs off, its result shown live.

The page cannot reach the reader: the item page's form asks a station of the user's unit to write the
tag (the API's ``POST /api/v1/tag-jobs``), the station's agent takes the job, writes, reads back and
reports, and the job's part of the page asks for it every second until it is done (the tag's UID),
failed (why, in the user's language), cancelled or expired. The item page shows the form to whom these
pages admit, as the menu shows the desks; the form loads its stations (``/tag-stations``).

The sealing desk asks the same way for a seal's tag: its seal form reads a blank tamper-evident tag at a
station before the seal is made (the UID read goes into the form's tag field), and a seal just made has
its number written on its tag. The API's job route admits whoever may ask for a job of some kind and the
core refuses the kinds a role may not ask for; a page that asks for one kind of job admits that kind's
roles (the core's own table), so its answer to a clerk is the core's.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Caller, ServicesDep
from api.routes.tag_jobs import JobId, TagWriter
from custody.errors import CustodyError, NotAuthenticated, NotFound, UnknownSeal
from custody.tag_job_records import TagJob, TagJobKind, TagJobStatus
from custody.tag_jobs import ROLES
from web.desks import admits
from web.item_pages import item_context
from web.render import PageRoute, environment, page, refused, words
from web.session import STATION_COOKIE, FormChecked, PageAdmits, like

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PageTagWriter = Annotated[Caller, like(TagWriter)]
SealTagReader = Annotated[Caller, Depends(PageAdmits(*sorted(ROLES[TagJobKind.SEAL_TAG_READ])))]
SealTagWriter = Annotated[Caller, Depends(PageAdmits(*sorted(ROLES[TagJobKind.SEAL_TAG_WRITE])))]
SealNo = Annotated[str, Path(max_length=64)]
StationField = Annotated[str, Form(max_length=64)]
JOB_PAGE = "/tag-jobs/{job_id}"
SEAL_FORM = "/store/seal"
SEAL_READ = "/store/seal/tag-jobs"
SEAL_WRITE = "/seal/{seal_no}/tag-jobs"
# the form each kind of job is asked from, shown in place (htmx) or inside a page of its own
FORMS = {
    TagJobKind.ITEM_TAG: "tag_job_form.html",
    TagJobKind.SEAL_TAG_READ: "tag_job_seal_read.html",
    TagJobKind.SEAL_TAG_WRITE: "seal_tag_form.html",
}


def may_write_tags(caller: Caller | None) -> bool:
    """Whether the tag pages admit ``caller``: the item page shows them the form (as the menu shows the
    desks whose page admits the user; the core decides what may be written)."""
    return admits(caller, "/item/{evidence_no}/tag-jobs", "POST")


environment.globals["may_write_tags"] = may_write_tags


def _fragment(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _reason(request: Request, job: TagJob) -> str:
    """Why the job failed, in the reader's language."""
    if job.failure is None:
        return ""
    return words(request).message(job.failure.key, job.failure.params, job.failure.text)


def _stations(request: Request, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    stations = services.custody.tag_jobs.stations(caller.actor)
    chosen = request.cookies.get(STATION_COOKIE, "")
    return {"tag_stations": stations, "chosen": chosen if chosen in stations else ""}


def _form(
    request: Request,
    caller: Caller,
    services: ServicesDep,
    kind: TagJobKind,
    job: TagJob | None = None,
    error: CustodyError | None = None,
    **numbers: str,
) -> Response:
    """The form asking for a job of ``kind`` (a fragment from htmx, else a page of its own), with the
    job it asked for; ``numbers``: the item's or the seal's number the form names."""
    in_place = _fragment(request)
    context: dict[str, Any] = {
        **_stations(request, caller, services),
        **numbers,
        "job": job,
        "job_kind": kind.value,
        "tag_form": FORMS[kind],
        "reason": "" if job is None else _reason(request, job),
        "fragment": in_place,
    }
    template = FORMS[kind] if in_place else "tag_job_page.html"
    if error is not None:
        return refused(request, error, template, **context)
    return page(request, template, **context)


def _to_job(job: TagJob) -> Response:
    """A form asked for ``job`` outside htmx: the job's own page (POST-redirect-GET)."""
    return RedirectResponse(f"/tag-jobs/{job.id}", status_code=303)


@router.get("/tag-stations")
def tag_stations(request: Request, caller: PageTagWriter, services: ServicesDep) -> Response:
    """The stations the tag form offers (its ``<option>`` elements): the live stations of the user's
    unit and below, the desk's own station chosen."""
    return page(request, "tag_job_stations.html", **_stations(request, caller, services))


@router.post("/item/{evidence_no}/tag-jobs")
def ask_for_tag(
    request: Request,
    evidence_no: str,
    caller: PageTagWriter,
    _form_checked: FormChecked,
    services: ServicesDep,
    station: StationField = "",
) -> Response:
    """Ask the chosen station to write the item's tag and bind it (the API's ``POST /api/v1/tag-jobs``)."""
    kind = TagJobKind.ITEM_TAG
    try:
        job = services.custody.tag_jobs.request(caller.actor, station, evidence_no=evidence_no)
    except CustodyError as error:
        if isinstance(error, NotAuthenticated) or (isinstance(error, NotFound) and not _fragment(request)):
            raise  # an unknown item is the error page's, as the item page's
        return _form(request, caller, services, kind, error=error, evidence_no=evidence_no)
    if not _fragment(request):
        return _to_job(job)
    return _form(request, caller, services, kind, job, evidence_no=evidence_no)


def _item_now(
    request: Request, caller: Caller, services: ServicesDep, job: TagJob, shown_on: str
) -> dict[str, Any]:
    """An item's tag written and bound, asked from the item's page: the item as it now stands, so that
    its tag, its acts' version and its timeline are swapped in beside the job (out of band)."""
    if job.kind is not TagJobKind.ITEM_TAG or job.status is not TagJobStatus.DONE or not job.evidence_no:
        return {}
    if shown_on != f"/item/{job.evidence_no}":
        return {}
    return {"item_now": item_context(request, caller, services, job.evidence_no)}


@router.get(JOB_PAGE)
def tag_job(
    request: Request,
    job_id: JobId,
    caller: PageTagWriter,
    services: ServicesDep,
    seen: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """A job as it stands. From htmx (asking every second while the job is open), the job's fragment,
    or nothing new (204) while its status is still ``seen``; a blank seal tag read, asked from the seal
    form, also puts its UID into the form's field."""
    job = services.custody.tag_jobs.get(caller.actor, job_id)
    if _fragment(request):
        if seen == job.status.value:
            return Response(status_code=204)
        shown_on = urlsplit(request.headers.get("hx-current-url", "")).path
        return page(
            request,
            "tag_job.html",
            job=job,
            reason=_reason(request, job),
            fragment=True,
            on_seal_form=shown_on == SEAL_FORM,
            **_item_now(request, caller, services, job, shown_on),
        )
    return page(
        request,
        "tag_job_page.html",
        job=job,
        job_kind=job.kind.value,
        reason=_reason(request, job),
        evidence_no=job.evidence_no or "",
    )


@router.post(JOB_PAGE + "/cancel")
def cancel_tag_job(
    request: Request, job_id: JobId, caller: PageTagWriter, _form_checked: FormChecked, services: ServicesDep
) -> Response:
    """Cancel an open job (the API's ``POST /api/v1/tag-jobs/{job_id}/cancel``)."""
    try:
        job = services.custody.tag_jobs.cancel(caller.actor, job_id)
    except CustodyError as error:
        if isinstance(error, NotAuthenticated | NotFound):
            raise  # an unknown job is the error page's
        current = services.custody.tag_jobs.get(caller.actor, job_id)
        in_place = _fragment(request)
        return refused(
            request,
            error,
            "tag_job.html" if in_place else "tag_job_page.html",
            job=current,
            reason=_reason(request, current),
            fragment=in_place,
            job_kind=current.kind.value,
            evidence_no=current.evidence_no or "",
        )
    if not _fragment(request):
        return _to_job(job)
    return page(request, "tag_job.html", job=job, reason=_reason(request, job), fragment=True)


@router.post(SEAL_READ)
def read_seal_tag(
    request: Request,
    caller: SealTagReader,
    _form_checked: FormChecked,
    services: ServicesDep,
    station: StationField = "",
) -> Response:
    """Ask the chosen station to read a blank tamper-evident seal tag for the seal form (the API's
    ``POST /api/v1/tag-jobs`` of kind ``seal_tag_read``): once read, its UID goes into the form's field."""
    kind = TagJobKind.SEAL_TAG_READ
    try:
        job = services.custody.tag_jobs.request(caller.actor, station, kind)
    except CustodyError as error:
        if isinstance(error, NotAuthenticated):
            raise
        return _form(request, caller, services, kind, error=error)
    if not _fragment(request):
        return _to_job(job)
    return _form(request, caller, services, kind, job)


@router.post(SEAL_WRITE)
def write_seal_tag(
    request: Request,
    seal_no: SealNo,
    caller: SealTagWriter,
    _form_checked: FormChecked,
    services: ServicesDep,
    station: StationField = "",
) -> Response:
    """Ask the chosen station to write the seal's number on the tag bound to it when it was made (the
    API's ``POST /api/v1/tag-jobs`` of kind ``seal_tag_write``)."""
    kind = TagJobKind.SEAL_TAG_WRITE
    try:
        job = services.custody.tag_jobs.request(caller.actor, station, kind, seal_no=seal_no)
    except CustodyError as error:
        if isinstance(error, NotAuthenticated) or (isinstance(error, UnknownSeal) and not _fragment(request)):
            raise  # an unknown seal is the error page's, as the seal's page's
        return _form(request, caller, services, kind, error=error, seal_no=seal_no)
    if not _fragment(request):
        return _to_job(job)
    return _form(request, caller, services, kind, job, seal_no=seal_no)
