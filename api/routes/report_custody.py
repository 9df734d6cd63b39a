"""The chain-of-custody report of one item (证据保管链报告), for court, as a download: the PDF, or its
events as CSV (``format=csv``), computed as of ledger ``seq`` ``as_of`` (default: the head), which the
``X-Ledger-Point`` header names. An item outside the caller's scope is answered as missing (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import API_PREFIX, Admits, Caller, ServicesDep
from api.downloads import DOWNLOAD, Format, download
from api.errors import responses
from custody.model import Role

router = APIRouter(prefix=API_PREFIX + "/reports", tags=["reports"])
CustodyReader = Annotated[
    Caller, Depends(Admits(Role.CLERK, Role.INVESTIGATOR, Role.CUSTODIAN, Role.AUDITOR))
]


@router.get(
    "/custody/{evidence_no}",
    response_class=Response,
    responses={**DOWNLOAD, **responses(401, 403, 404, 422)},
)
def custody_chain(
    evidence_no: str,
    caller: CustodyReader,
    services: ServicesDep,
    fmt: Annotated[Format, Query(alias="format", description="pdf, or csv for the events")] = "pdf",
    as_of: Annotated[
        int | None, Query(ge=1, le=2**62, description="The ledger seq to compute at (default: the head)")
    ] = None,
) -> Response:
    """The chain of custody of one item: its particulars, every event up to the ledger point with its
    canonical encoding printed verbatim, the ledger point and latest checkpoint, the inclusion proof of
    its last event, how to verify, signature blocks."""
    from reports.custody_chain import custody_chain_csv, render_custody_chain

    chain = services.custody.custody_reports.chain(caller.actor, evidence_no, as_of)
    return download(
        f"custody-{chain.item.evidence_no}-{chain.point.seq}",
        fmt,
        chain.point,
        pdf=lambda: render_custody_chain(chain),
        csv=lambda: custody_chain_csv(chain),
    )
