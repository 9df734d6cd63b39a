"""Audits of the sealed store (检查) and their discrepancies.

An auditor opens an audit, reads into its open round (in batches of at most 50 reads, each answered on
its own: recorded, a repeat, or refused with its problem; the good ones are committed before the
answer), submits the round and closes the audit after the last one. A station bound to an open audit
posts its reads with its own key to ``/audits/reads``. While a blind audit's round is not submitted,
nothing the records expect is shown. A discrepancy is resolved by its owner before an auditor other than
the owner, who confirms with their own session (``X-Second-Token``). An audit or a discrepancy outside
the caller's scope is answered as missing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.access import EntryWithAct
from api.audit_schemas import (
    AuditOpenIn,
    AuditOut,
    ClosedOut,
    DiscrepancyList,
    DiscrepancyOut,
    ReadBatchIn,
    ReadsOut,
    ResolutionIn,
    SubmittedOut,
    audit_out,
    closed_out,
    discrepancy_out,
    reads_response,
    submitted_out,
)
from api.deps import API_PREFIX, Admits, Caller, SecondPersonDep, ServicesDep, StationsOnly
from api.errors import responses
from api.routes.scans import scan_source
from api.schemas import UnitCode
from custody.errors import DeviceNotBound, InvalidInput, Message, NotPermitted, StationRevoked
from custody.model import DiscrepancyStatus, Role

STATIONS_ONLY = Message(
    "audit.stations_only",
    "a station bound to an audit posts here with its key; an auditor posts to the audit's own reads",
)
NEEDS_CONFIRMER = Message(
    "discrepancy.needs_confirmer",
    "an auditor other than the owner confirms with their own session: send their token as X-Second-Token",
)


router = APIRouter(prefix=API_PREFIX, tags=["audits"])

Auditor = Annotated[Caller, Depends(Admits(Role.AUDITOR))]
AuditReader = Annotated[Caller, Depends(Admits(Role.AUDITOR, Role.ADMIN))]
# a key seen before is recalled without a database read: the reads' own transaction checks that it is
# still live and the device still bound (as scan intake does)
AuditStation = Annotated[
    Caller,
    Depends(StationsOnly(STATIONS_ONLY, "stations bound to an open audit, by their key", remembers=True)),
]
DiscrepancyReader = Annotated[
    Caller, Depends(Admits(Role.CLERK, Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER, Role.ADMIN))
]
# a discrepancy's owner is the custodian holding its item, or the store's custodian
Owner = Annotated[Caller, Depends(Admits(Role.CUSTODIAN))]
AuditId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The audit's number")]
DiscrepancyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The discrepancy's number")]


@router.post(
    "/audits", status_code=201, response_model=AuditOut, responses=responses(401, 403, 404, 409, 422)
)
def open_audit(body: AuditOpenIn, caller: Auditor, services: ServicesDep) -> AuditOut:
    """Open an audit of a unit's store (or of locations in it), by an auditor who had no part in the
    custody of its items, and draw its first round: every item (``full``) or the sized sample of each
    category (``sample``). A store marked for a full audit takes only a full one."""
    audit = services.custody.audits.open(
        caller.actor,
        body.unit_code,
        body.locations,
        body.mode,
        body.blind,
        body.seed,
        body.station,
        body.period_days,
    )
    return audit_out(audit, services.custody.audits.progress(audit))


@router.get("/audits/{audit_id}", response_model=AuditOut, responses=responses(401, 403, 404, 422))
def show_audit(audit_id: AuditId, caller: AuditReader, services: ServicesDep) -> AuditOut:
    """An audit and what its reads show so far (blind and not submitted: only the codes read that name
    nothing known)."""
    audit = services.custody.audits.get(caller.actor, audit_id)
    return audit_out(audit, services.custody.audits.progress(audit))


@router.post(
    "/audits/{audit_id}/submit", response_model=SubmittedOut, responses=responses(401, 403, 404, 409)
)
def submit_audit(audit_id: AuditId, caller: Auditor, services: ServicesDep) -> SubmittedOut:
    """End the current round: each category with discrepancies among its drawn items draws more (a new
    round opens), or the audit is ready to close. A blind audit shows its results from now on."""
    submitted = services.custody.audits.submit(caller.actor, audit_id)
    return submitted_out(submitted, services.custody.audits.progress(submitted.audit))


@router.post("/audits/{audit_id}/close", response_model=ClosedOut, responses=responses(401, 403, 404, 409))
def close_audit(audit_id: AuditId, caller: Auditor, services: ServicesDep) -> ClosedOut:
    """Close the audit after its last round: a discrepancy per finding that is not ``found``, an
    ``audited`` event per audited item, and the ledger head it closed at."""
    audit, outcome = services.custody.audits.close(caller.actor, audit_id)
    return closed_out(audit, outcome, services.custody.audits.progress(audit))


@router.post(
    "/audits/{audit_id}/reads", response_model=ReadsOut, responses=responses(401, 403, 404, 409, 422)
)
def read_into_audit(audit_id: AuditId, body: ReadBatchIn, caller: Auditor, services: ServicesDep) -> Response:
    """Take at most 50 reads into the audit's open round, each answered on its own (``recorded``,
    ``repeat``, or ``refused`` with its problem); every good read is committed before the answer."""
    taken = services.custody.audit_reads.read(caller.actor, audit_id, body.batch())
    return reads_response(audit_id, taken)


@router.post("/audits/reads", response_model=ReadsOut, responses=responses(401, 403, 404, 409, 422))
async def read_at_station(
    request: Request, body: ReadBatchIn, caller: AuditStation, services: ServicesDep
) -> Response:
    """A station's reads (at most 50) into the open audit it is bound to, on behalf of the auditor who
    opened it, each answered on its own; a station bound to no open audit is answered 404."""
    station = caller.station
    if station is None:  # admission lets stations only through
        raise NotPermitted(STATIONS_ONLY)
    logged = EntryWithAct(request, services.access_log, _ok)  # the entry commits with the reads
    try:
        audit, taken = await services.custody.audit_reads.read_at_station(
            scan_source(caller), caller.device, body.batch(), also=logged
        )
    except (StationRevoked, DeviceNotBound):  # the remembered station is older than its row
        services.stations.forget(station.id)
        raise
    logged.committed()
    return reads_response(audit.id, taken)


def _ok(_taken: object) -> int:
    return 200


@router.get("/discrepancies", response_model=DiscrepancyList, responses=responses(401, 403, 422))
def list_discrepancies(
    caller: DiscrepancyReader,
    services: ServicesDep,
    unit: Annotated[UnitCode | None, Query(description="A unit: its discrepancies and its units'")] = None,
    status: Literal["open", "resolved", "all"] = "open",
) -> DiscrepancyList:
    """Discrepancies of the caller's units (or of ``unit`` and the units below it), oldest first; open
    ones by default."""
    wanted = None if status == "all" else DiscrepancyStatus(status)
    found = services.custody.discrepancies.list(caller.actor, unit, wanted)
    return DiscrepancyList(discrepancies=[discrepancy_out(d) for d in found])


@router.post(
    "/discrepancies/{discrepancy_id}/resolve",
    response_model=DiscrepancyOut,
    responses=responses(401, 403, 404, 409, 422),
)
def resolve_discrepancy(
    discrepancy_id: DiscrepancyId,
    body: ResolutionIn,
    caller: Owner,
    confirmer: SecondPersonDep,
    services: ServicesDep,
) -> DiscrepancyOut:
    """The owner resolves the discrepancy with a reason (found elsewhere, record corrected, reported
    lost) before an auditor other than the owner, who confirms with their own session
    (``X-Second-Token``). A loss takes the item out of the store and marks the store for a full audit."""
    if confirmer is None:
        raise InvalidInput(NEEDS_CONFIRMER, "X-Second-Token")
    resolved = services.custody.discrepancies.resolve(
        caller.actor, discrepancy_id, body.resolution.value, body.reason, confirmer
    )
    return discrepancy_out(resolved)
