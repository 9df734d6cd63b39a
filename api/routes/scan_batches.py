"""Scans in batches: a station posts up to 50 scans at once (a handheld sweeping a shelf, an audit's
bulk tag reads), each answered on its own.

``POST /api/v1/scans/batch`` records every scan as ``POST /api/v1/scans`` would (a sighting, or a read
of the audit the station reads for; a retry answered from its receipt), all in one transaction
committed before the answer. The answer lists, in order, each scan's status and answer, or its problem
document: a refused scan writes nothing, the others stand. A station removes from its outbox only the
scans answered here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import API_PREFIX, AdmitsStations, Caller, ServicesDep
from api.errors import refusal_body, responses
from api.routes.scans import SCANNING_ROLES, ScanIn, feed_of, scan_source, status_of
from custody.errors import CustodyError
from custody.scan_batches import MAX_BATCH, record_batch
from custody.scans import Scan

router = APIRouter(prefix=API_PREFIX, tags=["scans"])
BatchScanner = Annotated[Caller, Depends(AdmitsStations(*SCANNING_ROLES))]


class BatchScanIn(ScanIn):
    """A scan of a batch: as ``POST /api/v1/scans`` takes it, every field of its own JSON type."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ScanBatchIn(BaseModel):
    """Scans of one station, oldest first, each with its own idempotency key."""

    model_config = ConfigDict(extra="forbid", strict=True)

    scans: list[BatchScanIn] = Field(min_length=1, max_length=MAX_BATCH)


class ScanResult(BaseModel):
    """One scan's outcome: the status ``POST /api/v1/scans`` would have answered, and its answer (a
    problem document for a refused scan)."""

    idempotency_key: str | None
    status: int
    answer: dict[str, Any]


class ScanBatchOut(BaseModel):
    results: list[ScanResult]


@router.post("/scans/batch", response_model=ScanBatchOut, responses=responses(401, 403, 413, 422, 503))
def post_scan_batch(
    body: ScanBatchIn, request: Request, caller: BatchScanner, services: ServicesDep
) -> ScanBatchOut:
    """Record a batch of scans (at most 50) in one transaction, each answered on its own."""
    where = scan_source(caller)
    scans = [
        Scan(**{**scan.model_dump(), "idempotency_key": scan.idempotency_key or ""}) for scan in body.scans
    ]
    answers = record_batch(services.custody.scans, where, scans)
    results = []
    feed = feed_of(request)
    for scan, answer in zip(scans, answers, strict=True):
        if isinstance(answer, CustodyError):
            problem = refusal_body(request, answer)
            results.append(
                ScanResult(
                    idempotency_key=scan.idempotency_key or None, status=problem["status"], answer=problem
                )
            )
            continue
        status = status_of(answer)
        if status == 201 and "audit_id" not in answer:
            feed.recorded(where.name, answer)
        results.append(ScanResult(idempotency_key=scan.idempotency_key, status=status, answer=answer))
    return ScanBatchOut(results=results)
