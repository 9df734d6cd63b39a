"""The destruction desks: a city's custodian applies for sealed items of the disposition queue (报请销毁);
the province's destruction officer refuses an application, or builds a batch of open ones that another
provincial destruction officer approves at the same desk with their own password.

Every page calls the core as its API twin does (:mod:`api.routes.destruction`,
:mod:`api.routes.destruction_batches`) and admits the same roles; the forms a page offers are those its
user's roles may send (the core still decides each act). The batch's site is :mod:`web.destruction_site`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Caller, Services, ServicesDep
from api.routes.destruction import Applicant, ApplicationReader, Refuser
from api.routes.destruction_batches import BatchReader, Builder
from custody import text
from custody.actors import Actor
from custody.applications import Application
from custody.batches import Batch, Method
from custody.clock import china_date
from custody.errors import CustodyError
from custody.model import ApplicationStatus
from custody.reviews import DEFAULT_HORIZON_DAYS, MAX_HORIZON_DAYS
from web.desks import admits
from web.render import PageRoute, page, refused
from web.session import FormChecked, like, second_person

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PageApplicationReader = Annotated[Caller, like(ApplicationReader)]
PageApplicant = Annotated[Caller, like(Applicant)]
PageRefuser = Annotated[Caller, like(Refuser)]
PageBuilder = Annotated[Caller, like(Builder)]
PageBatchReader = Annotated[Caller, like(BatchReader)]
ApplicationNo = Annotated[int, Path(ge=1, le=2**31 - 1)]
BatchNo = Annotated[int, Path(ge=1, le=2**31 - 1)]
Reason = Annotated[str, Form(max_length=text.field("reason").max_length)]
Place = Annotated[str, Form(max_length=text.field("place").max_length)]
Username = Annotated[str, Form(max_length=64)]
Within = Annotated[int, Form(ge=0, le=MAX_HORIZON_DAYS)]  # the queue's horizon the form was sent from
Password = Annotated[str, Form(max_length=256)]

# the words shown for the core's values (each through the catalog: pages-destruction.po)
NAMES: dict[str, dict[str, str]] = {
    "application": {
        "open": "Awaiting the province",
        "withdrawn": "Withdrawn by the applicant",
        "refused": "Refused by the province",
        "batched": "Taken into a batch",
    },
    "batch": {
        "open": "Being built",
        "approved": "Approved",
        "site": "Site open",
        "closed": "Closed",
    },
    "method": {
        "smelting": "Smelting",
        "cutting": "Cutting",
        "crushing": "Crushing",
        "shredding": "Shredding",
    },
    "standing": {
        "overdue": "Review overdue",
        "due": "Review due soon",
        "held": "Review held",
        "nominated": "In an open application",
    },
    "stage": {"before": "Before destruction", "after": "After destruction"},
    "outcome": {
        "destroyed": "Destroyed",
        "repeat": "Already destroyed",
        "counted": "Rounds counted as recorded",
        "unknown": "Code names no item",
        "unexpected": "Not expected in this batch",
        "rounds_differ": "Rounds differ from the record",
        "uncounted": "Lot read before its rounds were counted",
        "refused": "Refused by the rules",
    },
}
METHODS = tuple(m.value for m in Method)
NEWEST_BATCHED = 50  # the batched applications whose batches the desk lists


# ------------------------------------------------------------------------------------------ shared


def shared(caller: Caller, acted: str = "", **form: Any) -> dict[str, Any]:
    """What every destruction page's template takes: the words for the core's values, which forms the
    user may send (``may("POST", path)``), the form just sent (``acted``) and its values."""

    def may(method: str, path: str) -> bool:
        return admits(caller, path, method)

    return {"names": NAMES, "methods": METHODS, "may": may, "acted": acted, "form": form}


def batches_of(services: Services, actor: Actor, applications: Iterable[Application]) -> list[Batch]:
    """The batches that took the newest batched applications, newest first."""
    batched = [a for a in applications if a.status is ApplicationStatus.BATCHED][:NEWEST_BATCHED]
    ids = {a.batch_id for a in batched if a.batch_id is not None}
    batches = []
    for batch_id in sorted(ids, reverse=True):
        try:
            batches.append(services.custody.batches.get(actor, batch_id))
        except CustodyError:
            continue
    return batches


# ------------------------------------------------------------------------------------ the desk


def _desk(services: Services, caller: Caller, within: int) -> dict[str, Any]:
    actor = caller.actor
    applications = services.custody.applications.list(actor)
    today = china_date(services.custody.store.now_us())
    return {
        "queue": services.custody.reviews.queue(actor, None, within),
        "applications": applications,
        "open_applications": [a for a in applications if a.status is ApplicationStatus.OPEN],
        "batches": batches_of(services, actor, applications),
        "within": within,
        "tomorrow": (today + timedelta(days=1)).isoformat(),
    }


@router.get("/destruction")
def destruction_desk(
    request: Request,
    caller: PageApplicationReader,
    services: ServicesDep,
    within: Annotated[int, Query(ge=0, le=MAX_HORIZON_DAYS)] = DEFAULT_HORIZON_DAYS,
) -> Response:
    """The disposition queue (its sealed items to apply for), the applications and the batches."""
    context = _desk(services, caller, within)
    return page(request, "destruction.html", **context, **shared(caller))


@router.post("/destruction/applications")
def apply_for_destruction(
    request: Request,
    caller: PageApplicant,
    _form: FormChecked,
    services: ServicesDep,
    unit_code: Annotated[str, Form(max_length=16)],
    evidence_nos: Annotated[list[str], Form(min_length=1, max_length=1000)],
    reason: Reason = "",
    within: Within = DEFAULT_HORIZON_DAYS,
) -> Response:
    try:
        made = services.custody.applications.apply(caller.actor, unit_code, evidence_nos, reason)
    except CustodyError as error:
        context = _desk(services, caller, within)
        form = shared(caller, "apply", reason=reason, evidence_nos=evidence_nos)
        return refused(request, error, "destruction.html", **context, **form)
    return RedirectResponse(f"/application/{made.id}", status_code=303)


# -------------------------------------------------------------------------------- an application


def _application(services: Services, caller: Caller, application_id: int) -> dict[str, Any]:
    found = services.custody.applications.get(caller.actor, application_id)
    return {"application": found, "batch_id": found.batch_id}


@router.get("/application/{application_id}")
def application_page(
    request: Request, application_id: ApplicationNo, caller: PageApplicationReader, services: ServicesDep
) -> Response:
    context = _application(services, caller, application_id)
    return page(request, "application.html", **context, **shared(caller))


def _decide(
    request: Request,
    caller: Caller,
    services: Services,
    application_id: int,
    acted: str,
    reason: str,
    decide: Callable[[Actor, int, str], Application],
) -> Response:
    try:
        decide(caller.actor, application_id, reason)
    except CustodyError as error:
        context = _application(services, caller, application_id)
        return refused(request, error, "application.html", **context, **shared(caller, acted, reason=reason))
    return RedirectResponse(f"/application/{application_id}", status_code=303)


@router.post("/application/{application_id}/withdraw")
def withdraw_application(
    request: Request,
    application_id: ApplicationNo,
    caller: PageApplicant,
    _form: FormChecked,
    services: ServicesDep,
    reason: Reason = "",
) -> Response:
    """Its applicant withdraws the open application: its items are sealed again."""
    withdraw = services.custody.applications.withdraw
    return _decide(request, caller, services, application_id, "withdraw", reason, withdraw)


@router.post("/application/{application_id}/refuse")
def refuse_application(
    request: Request,
    application_id: ApplicationNo,
    caller: PageRefuser,
    _form: FormChecked,
    services: ServicesDep,
    reason: Reason = "",
) -> Response:
    """A provincial destruction officer refuses the open application, with a reason."""
    refuse = services.custody.applications.refuse
    return _decide(request, caller, services, application_id, "refuse", reason, refuse)


# -------------------------------------------------------------------------------------- batches


@router.post("/destruction/batches")
def create_batch(
    request: Request,
    caller: PageBuilder,
    _form: FormChecked,
    services: ServicesDep,
    method: Annotated[str, Form(max_length=32)] = "",
    place: Place = "",
    date: Annotated[str, Form(max_length=32)] = "",
    applications: Annotated[list[int], Form(max_length=1000)] = [],  # noqa: B006 (FastAPI copies it)
    within: Within = DEFAULT_HORIZON_DAYS,
) -> Response:
    """Build a batch from open applications, with the planned method, place and date."""
    try:
        made = services.custody.batches.create(caller.actor, method, place, date, applications)
    except CustodyError as error:
        context = _desk(services, caller, within)
        form = shared(caller, "batch", method=method, place=place, date=date, applications=applications)
        return refused(request, error, "destruction.html", **context, **form)
    return RedirectResponse(f"/batch/{made.id}", status_code=303)


def _batch(services: Services, caller: Caller, batch_id: int) -> dict[str, Any]:
    actor = caller.actor
    found = services.custody.batches.get(actor, batch_id)
    try:
        addable = services.custody.applications.list(actor, status=ApplicationStatus.OPEN)
    except CustodyError:
        addable = []
    return {"batch": found, "addable": addable}


@router.get("/batch/{batch_id}")
def batch_page(
    request: Request, batch_id: BatchNo, caller: PageBatchReader, services: ServicesDep
) -> Response:
    context = _batch(services, caller, batch_id)
    return page(request, "batch.html", **context, **shared(caller))


@router.post("/batch/{batch_id}/applications")
def add_to_batch(
    request: Request,
    batch_id: BatchNo,
    caller: PageBuilder,
    _form: FormChecked,
    services: ServicesDep,
    applications: Annotated[list[int], Form(max_length=1000)] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    """Add open applications to a batch not yet approved."""
    try:
        services.custody.batches.add(caller.actor, batch_id, applications)
    except CustodyError as error:
        context = _batch(services, caller, batch_id)
        form = shared(caller, "add", applications=applications)
        return refused(request, error, "batch.html", **context, **form)
    return RedirectResponse(f"/batch/{batch_id}", status_code=303)


@router.post("/batch/{batch_id}/approve")
def approve_batch(
    request: Request,
    batch_id: BatchNo,
    caller: PageBuilder,
    _form: FormChecked,
    services: ServicesDep,
    approver_username: Username = "",
    approver_password: Password = "",
) -> Response:
    """Another provincial destruction officer, never its builder, approves the batch with their own
    password typed at the same desk: every item of it is approved."""
    try:
        approver = second_person(
            request,
            services,
            caller,
            approver_username,
            approver_password,
            "second person",
            field="approver_password",
        )
        services.custody.batches.approve(caller.actor, batch_id, approver)
    except CustodyError as error:
        context = _batch(services, caller, batch_id)
        form = shared(caller, "approve", approver_username=approver_username)
        return refused(request, error, "batch.html", **context, **form)
    return RedirectResponse(f"/batch/{batch_id}", status_code=303)
