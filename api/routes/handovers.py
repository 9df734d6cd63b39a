"""Handovers (移交) to the same-level public-order department: offered by a clerk, accepted or refused by
the custodian the offer names (with their own session: the custodian is the caller), read within the
caller's scope, and each one's slip (移交清单) as PDF.

An offer is one act over its whole list: when any item may not be offered, nothing is written and the
problem (409, or 422 for malformed input) names every refused item with its reason in ``params``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from api.deps import API_PREFIX, Admits, Caller, Clerk, Reader, ServicesDep
from api.downloads import attachment
from api.errors import responses
from api.schemas import (
    CaseUnit,
    HandoverOfferIn,
    HandoverOut,
    HandoverPage,
    HandoverRefusalIn,
)
from custody.model import HandoverStatus, Role
from custody.queries import MAX_PAGE
from custody.storage_records import Handover

router = APIRouter(prefix=API_PREFIX + "/handovers", tags=["handovers"])

Custodian = Annotated[Caller, Depends(Admits(Role.CUSTODIAN))]
PDF = "application/pdf"
HandoverId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The handover's number")]


def handover_out(handover: Handover) -> HandoverOut:
    """A handover as the API shows it (people by username, items by evidence number)."""
    return HandoverOut(
        id=handover.id,
        case_no=handover.case_no or "",
        unit_code=handover.unit_code,
        status=handover.status,
        offered_by=handover.offered_by or "",
        custodian=handover.custodian or "",
        offered_at=handover.offered_at,
        decided_at=handover.decided_at,
        refusal_reason=handover.refusal_reason,
        evidence_nos=[item.evidence_no for item in handover.items],
    )


@router.post("", status_code=201, response_model=HandoverOut, responses=responses(401, 403, 404, 409, 422))
def offer(
    body: HandoverOfferIn, caller: Clerk, services: ServicesDep, case_unit: CaseUnit = None
) -> Response:
    """Offer items of a closed or judged case to a custodian of the same-level public-order department:
    every item becomes ``offered``, or none does (the problem names each refused item and why)."""
    made = services.custody.handovers.offer(
        caller.actor, body.case_no, body.custodian, body.evidence_nos, case_unit
    )
    shown = handover_out(made)
    return Response(
        shown.model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"{API_PREFIX}/handovers/{shown.id}"},
    )


@router.post("/{handover_id}/accept", response_model=HandoverOut, responses=responses(401, 403, 404, 409))
def accept(handover_id: HandoverId, caller: Custodian, services: ServicesDep) -> HandoverOut:
    """The custodian the offer names accepts it: every item becomes ``handed_over``, in their custody.
    The clerk who offered it never accepts it."""
    return handover_out(services.custody.handovers.accept(caller.actor, handover_id))


@router.post(
    "/{handover_id}/refuse", response_model=HandoverOut, responses=responses(401, 403, 404, 409, 422)
)
def refuse(
    handover_id: HandoverId, body: HandoverRefusalIn, caller: Custodian, services: ServicesDep
) -> HandoverOut:
    """The custodian the offer names refuses it, with a reason: every item goes back to ``registered``."""
    return handover_out(services.custody.handovers.refuse(caller.actor, handover_id, body.reason))


@router.get("", response_model=HandoverPage, responses=responses(401, 403, 422))
def list_handovers(
    caller: Reader,
    services: ServicesDep,
    status: HandoverStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> HandoverPage:
    """Handovers of the caller's unit and below, newest first."""
    page = services.custody.handovers.list(caller.actor, status, cursor, limit)
    return HandoverPage(handovers=[handover_out(h) for h in page.rows], next_cursor=page.next_cursor)


@router.get("/{handover_id}", response_model=HandoverOut, responses=responses(401, 403, 404))
def show(handover_id: HandoverId, caller: Reader, services: ServicesDep) -> HandoverOut:
    """A handover: its case, both people, its status and its items."""
    return handover_out(services.custody.handovers.get(caller.actor, handover_id))


@router.get(
    "/{handover_id}/slip",
    response_class=Response,
    responses={
        200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}},
        **responses(401, 403, 404),
    },
)
def slip(
    handover_id: HandoverId,
    caller: Reader,
    services: ServicesDep,
    fmt: Annotated[Literal["pdf", "csv"], Query(alias="format")] = "pdf",
) -> Response:
    """The handover's slip (移交清单) as PDF: items, both people, signature blocks, and the ledger
    events that hold the handover (seq and hash); ``format=csv``: its rows as CSV."""
    from reports.slip import render_slip, slip_csv

    data = services.custody.handovers.slip(caller.actor, handover_id)
    headers = attachment(f"handover-{data.handover_id}-slip", fmt)
    if fmt == "csv":
        return Response(slip_csv(data), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(render_slip(data), media_type=PDF, headers=headers)
