"""Signed checkpoints of the ledger and proofs against them (hashes and signatures only, never a
record's content). Checkpoints are made by whoever holds the province's key (`custody checkpoint make`),
not over the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.checkpoint_schemas import (
    CheckpointList,
    CheckpointOut,
    ConsistencyOut,
    InclusionOut,
    checkpoint_out,
    consistency_out,
    inclusion_out,
)
from api.deps import API_PREFIX, LedgerReader, ServicesDep
from api.errors import responses

router = APIRouter(prefix=API_PREFIX + "/ledger", tags=["ledger"])
TreeSize = Annotated[
    int | None, Query(ge=1, le=2**62, description="A tree size (default: the latest checkpoint's)")
]


@router.get("/checkpoints", response_model=CheckpointList, responses=responses(401, 403))
def list_checkpoints(caller: LedgerReader, services: ServicesDep) -> CheckpointList:
    """Every checkpoint, oldest first."""
    return CheckpointList(checkpoints=[checkpoint_out(c) for c in services.custody.checkpoints.issued()])


@router.get("/checkpoints/latest", response_model=CheckpointOut, responses=responses(401, 403, 404))
def latest_checkpoint(caller: LedgerReader, services: ServicesDep) -> CheckpointOut:
    """The latest checkpoint (404 before the first is made)."""
    return checkpoint_out(services.custody.checkpoints.latest())


@router.get("/proofs/inclusion", response_model=InclusionOut, responses=responses(401, 403, 404, 422))
def inclusion(
    caller: LedgerReader,
    services: ServicesDep,
    seq: Annotated[int, Query(ge=1, le=2**62, description="The event's seq")],
    size: TreeSize = None,
) -> InclusionOut:
    """The proof that event ``seq`` is in the tree of ``size`` events."""
    return inclusion_out(services.custody.checkpoints.inclusion(seq, size))


@router.get("/proofs/consistency", response_model=ConsistencyOut, responses=responses(401, 403, 404, 422))
def consistency(
    caller: LedgerReader,
    services: ServicesDep,
    first: Annotated[int, Query(ge=1, le=2**62, description="The earlier tree size")],
    size: TreeSize = None,
) -> ConsistencyOut:
    """The proof that the tree of ``first`` events is a prefix of the tree of ``size`` events."""
    return consistency_out(services.custody.checkpoints.consistency(first, size))
