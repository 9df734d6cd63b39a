"""The disposition queue of sealed stores, review holds, and destruction applications to the province
(报请销毁).

A custodian of a city-level unit (or of the province, for its own store) applies for sealed items of
its subtree; a refused application names each refused item with its reason and records nothing. Its
applicant withdraws it; a provincial destruction officer refuses it with a reason. An application that
concerns none of the caller's units, or an item outside the caller's scope, is answered as missing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from api.deps import API_PREFIX, Admits, Caller, ServicesDep
from api.destruction_schemas import (
    ApplicationIn,
    ApplicationList,
    ApplicationOut,
    RefusalIn,
    ReviewHoldIn,
    ReviewHoldOut,
    ReviewList,
    WithdrawalIn,
    application_out,
    entry_out,
    hold_out,
)
from api.errors import responses
from api.schemas import UnitCode
from custody.applications import APPLY_ROLES, READ_ROLES, REFUSE_ROLES
from custody.model import ApplicationStatus
from custody.reviews import DEFAULT_HORIZON_DAYS, HOLD_ROLES, MAX_HORIZON_DAYS, QUEUE_ROLES

router = APIRouter(prefix=API_PREFIX, tags=["destruction"])

QueueReader = Annotated[Caller, Depends(Admits(*sorted(QUEUE_ROLES)))]
Holder = Annotated[Caller, Depends(Admits(*sorted(HOLD_ROLES)))]
Applicant = Annotated[Caller, Depends(Admits(*sorted(APPLY_ROLES)))]
ApplicationReader = Annotated[Caller, Depends(Admits(*sorted(READ_ROLES)))]
Refuser = Annotated[Caller, Depends(Admits(*sorted(REFUSE_ROLES)))]
ApplicationNo = Annotated[int, Path(ge=1, le=2**31 - 1, description="The application's number")]


@router.get("/reviews", response_model=ReviewList, responses=responses(401, 403, 404, 422))
def disposition_queue(
    caller: QueueReader,
    services: ServicesDep,
    unit: Annotated[UnitCode | None, Query(description="A unit: its items and its units'")] = None,
    within: Annotated[int, Query(ge=0, le=MAX_HORIZON_DAYS, description="Days ahead counted as due")] = (
        DEFAULT_HORIZON_DAYS
    ),
) -> ReviewList:
    """The disposition queue: sealed items overdue for review, due within ``within`` days, held (with
    the hold's reason) and nominated (with their application), overdue first."""
    entries = services.custody.reviews.queue(caller.actor, unit, within)
    return ReviewList(entries=[entry_out(e) for e in entries])


@router.post(
    "/items/{evidence_no}/review-hold",
    response_model=ReviewHoldOut,
    responses=responses(401, 403, 404, 409, 422),
)
def hold_review(evidence_no: str, body: ReviewHoldIn, caller: Holder, services: ServicesDep) -> ReviewHoldOut:
    """Hold a sealed item's review until a later date, for a reason (``review_held``)."""
    held = services.custody.reviews.hold(
        caller.actor, evidence_no, body.reason, body.until.isoformat(), body.version
    )
    return hold_out(held)


@router.post(
    "/destruction-applications",
    status_code=201,
    response_model=ApplicationOut,
    responses=responses(401, 403, 404, 409, 422),
)
def apply_for_destruction(body: ApplicationIn, caller: Applicant, services: ServicesDep) -> ApplicationOut:
    """Apply for the destruction of sealed items (each ``nominated``), or nothing if any is refused."""
    made = services.custody.applications.apply(caller.actor, body.unit_code, body.evidence_nos, body.reason)
    return application_out(made)


@router.get(
    "/destruction-applications", response_model=ApplicationList, responses=responses(401, 403, 404, 422)
)
def list_applications(
    caller: ApplicationReader,
    services: ServicesDep,
    unit: Annotated[UnitCode | None, Query(description="A unit: applications concerning it or below")] = None,
    status: Literal["open", "withdrawn", "refused", "batched", "all"] = "all",
) -> ApplicationList:
    """The destruction applications that concern the caller's units, newest first."""
    wanted = None if status == "all" else ApplicationStatus(status)
    found = services.custody.applications.list(caller.actor, unit, wanted)
    return ApplicationList(applications=[application_out(a) for a in found])


@router.get(
    "/destruction-applications/{application_id}",
    response_model=ApplicationOut,
    responses=responses(401, 403, 404, 422),
)
def show_application(
    application_id: ApplicationNo, caller: ApplicationReader, services: ServicesDep
) -> ApplicationOut:
    """An application with its items and what became of it."""
    return application_out(services.custody.applications.get(caller.actor, application_id))


@router.post(
    "/destruction-applications/{application_id}/withdraw",
    response_model=ApplicationOut,
    responses=responses(401, 403, 404, 409, 422),
)
def withdraw_application(
    application_id: ApplicationNo, body: WithdrawalIn, caller: Applicant, services: ServicesDep
) -> ApplicationOut:
    """Its applicant withdraws the open application: its items are sealed again."""
    done = services.custody.applications.withdraw(caller.actor, application_id, body.reason)
    return application_out(done)


@router.post(
    "/destruction-applications/{application_id}/refuse",
    response_model=ApplicationOut,
    responses=responses(401, 403, 404, 409, 422),
)
def refuse_application(
    application_id: ApplicationNo, body: RefusalIn, caller: Refuser, services: ServicesDep
) -> ApplicationOut:
    """A provincial destruction officer refuses the open application, with a reason: its items are
    sealed again."""
    done = services.custody.applications.refuse(caller.actor, application_id, body.reason)
    return application_out(done)
