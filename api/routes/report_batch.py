"""The destruction batch report (枪支弹药销毁报告) as a download: the PDF, or its tally rows as CSV, with the
ledger point its figures were computed at in ``X-Ledger-Point``. Read by destruction officers, auditors,
statistics and custodians within their units; a batch of none of the caller's units is answered as
missing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from api.deps import API_PREFIX, Admits, Caller, ServicesDep
from api.downloads import DOWNLOAD, Format, download
from api.errors import responses
from custody.batch_report import READERS
from custody.errors import Message, TransitionRefused
from reports.batch import batch_csv, render_batch
from reports.errors import ReportError

router = APIRouter(prefix=API_PREFIX, tags=["reports"])

Reader = Annotated[Caller, Depends(Admits(*sorted(READERS)))]

REPORT_REFUSED = Message(
    "report.batch_refused", "the report of destruction batch {batch_id} is not made: {reason}"
)


@router.get(
    "/reports/batches/{batch_id}",
    response_class=Response,
    responses={**DOWNLOAD, **responses(401, 403, 404, 409, 422)},
)
def batch_report(
    batch_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="The batch's number")],
    caller: Reader,
    services: ServicesDep,
    format: Annotated[Format, Query(description="pdf (the default) or csv")] = "pdf",
    as_of: Annotated[
        int | None,
        Query(ge=1, description="The ledger seq to compute at (default: the batch's closing point)"),
    ] = None,
) -> Response:
    """The report of a destruction batch: per-unit tallies, items, findings, witnesses, photos and
    signature blocks, as of the batch's closing point (the head while it is open) or ``as_of``."""
    report = services.custody.batch_reports.report(caller.actor, batch_id, as_of)
    try:
        return download(
            f"batch-{batch_id}-report",
            format,
            report.point,
            pdf=lambda: render_batch(report),
            csv=lambda: batch_csv(report),
        )
    except ReportError as refused:  # figures that disagree, a text the font cannot draw: no document
        raise TransitionRefused(REPORT_REFUSED, batch_id=batch_id, reason=str(refused)) from refused
