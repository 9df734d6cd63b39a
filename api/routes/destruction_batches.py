"""The province's destruction batches (销毁批次): a destruction officer of the province builds a batch
from open applications and adds more while it is not approved; a batch is read by the units of its
items (outside them it is answered as missing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.batch_schemas import BatchAddIn, BatchIn, BatchOut, batch_out
from api.deps import API_PREFIX, Admits, Caller, SecondPersonDep, ServicesDep
from api.errors import responses
from custody.batches import OFFICERS, READ_ROLES
from custody.errors import InvalidInput, Message

router = APIRouter(prefix=API_PREFIX, tags=["destruction"])

Builder = Annotated[Caller, Depends(Admits(*sorted(OFFICERS)))]
BatchReader = Annotated[Caller, Depends(Admits(*sorted(READ_ROLES)))]
BatchNo = Annotated[int, Path(ge=1, le=2**31 - 1, description="The batch's number")]

NEEDS_APPROVER = Message(
    "batch.needs_approver",
    "another provincial destruction officer approves with their own session: send their token as "
    "X-Second-Token",
)


@router.post(
    "/destruction-batches",
    status_code=201,
    response_model=BatchOut,
    responses=responses(401, 403, 404, 409, 422),
)
def create_batch(body: BatchIn, caller: Builder, services: ServicesDep) -> BatchOut:
    """Build a batch from open applications: their items are batched, the applications ``batched``."""
    made = services.custody.batches.create(
        caller.actor, body.method, body.place, body.date.isoformat(), body.applications
    )
    return batch_out(made)


@router.post(
    "/destruction-batches/{batch_id}/applications",
    response_model=BatchOut,
    responses=responses(401, 403, 404, 409, 422),
)
def add_to_batch(batch_id: BatchNo, body: BatchAddIn, caller: Builder, services: ServicesDep) -> BatchOut:
    """Add open applications to a batch not yet approved."""
    return batch_out(services.custody.batches.add(caller.actor, batch_id, body.applications))


@router.post(
    "/destruction-batches/{batch_id}/approve",
    response_model=BatchOut,
    responses=responses(401, 403, 404, 409, 422, 429),
)
def approve_batch(
    batch_id: BatchNo, caller: Builder, approver: SecondPersonDep, services: ServicesDep
) -> BatchOut:
    """Approve the batch: another provincial destruction officer, never its builder, confirms with their
    own session (``X-Second-Token``); every item of it is approved."""
    if approver is None:
        raise InvalidInput(NEEDS_APPROVER, "X-Second-Token")
    return batch_out(services.custody.batches.approve(caller.actor, batch_id, approver))


@router.get(
    "/destruction-batches/{batch_id}", response_model=BatchOut, responses=responses(401, 403, 404, 422)
)
def show_batch(batch_id: BatchNo, caller: BatchReader, services: ServicesDep) -> BatchOut:
    """A batch with its applications and items."""
    return batch_out(services.custody.batches.get(caller.actor, batch_id))
