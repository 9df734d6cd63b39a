"""Seals (封存) and changes of custodian: the two-person acts of the sealed store.

The witness of a seal (made or opened) and the new custodian of a store confirm in the same request with
their own session: ``X-Witness-Token`` and ``X-Second-Token`` carry their session tokens (never a bare
username). Each act is one transaction over every item it concerns; a refusal names each refused item
and writes nothing. A seal outside the caller's scope is answered as missing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import API_PREFIX, Admits, Caller, SecondPersonDep, ServicesDep, WitnessDep
from api.errors import responses
from api.schemas import (
    CustodianChangeIn,
    CustodianChangeOut,
    SealIn,
    SealMoveIn,
    SealOpenIn,
    SealOut,
    seal_out,
)
from custody.custodians import CHANGE_ROLES
from custody.errors import InvalidInput, Message
from custody.model import Role
from custody.seals import SEAL_ROLES

NEEDS_SECOND_PERSON = Message(
    "custodian.needs_new_custodian",
    "the new custodian confirms with their own session: send their token as X-Second-Token",
)

router = APIRouter(prefix=API_PREFIX, tags=["sealed storage"])

SealKeeper = Annotated[Caller, Depends(Admits(*sorted(SEAL_ROLES)))]
SealReader = Annotated[
    Caller, Depends(Admits(Role.CLERK, Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER, Role.ADMIN))
]
StoreKeeper = Annotated[Caller, Depends(Admits(*sorted(CHANGE_ROLES)))]


@router.post(
    "/seals", status_code=201, response_model=SealOut, responses=responses(401, 403, 404, 409, 422, 429)
)
def create_seal(body: SealIn, caller: SealKeeper, witness: WitnessDep, services: ServicesDep) -> SealOut:
    """Seal accepted items the caller holds at a location of the caller's store, before a witness who
    never took part in their custody (``X-Witness-Token``). Answers the new seal."""
    seals = services.custody.seals
    review_due = None if body.review_due is None else body.review_due.isoformat()
    made = seals.create(
        caller.actor, body.location_code, body.evidence_nos, witness, body.tag_uid, review_due
    )
    return seal_out(seals.show(caller.actor, made.seal_no))


@router.get("/seals/{seal_no}", response_model=SealOut, responses=responses(401, 403, 404, 422))
def show_seal(seal_no: str, caller: SealReader, services: ServicesDep) -> SealOut:
    """A seal: its items, location, custodian, witness and the last read of its tag."""
    return seal_out(services.custody.seals.show(caller.actor, seal_no))


@router.post(
    "/seals/{seal_no}/open", response_model=SealOut, responses=responses(401, 403, 404, 409, 422, 429)
)
def open_seal(
    seal_no: str, body: SealOpenIn, caller: SealKeeper, witness: WitnessDep, services: ServicesDep
) -> SealOut:
    """Open a seal before a witness (``X-Witness-Token``), for a reason: the seal is void, its items are
    back in the store unsealed, to be sealed again under a new number."""
    seals = services.custody.seals
    opened = seals.open(caller.actor, seal_no, body.reason, witness)
    return seal_out(seals.show(caller.actor, opened.seal_no))


@router.post("/seals/{seal_no}/move", response_model=SealOut, responses=responses(401, 403, 404, 409, 422))
def move_seal(seal_no: str, body: SealMoveIn, caller: SealKeeper, services: ServicesDep) -> SealOut:
    """Move a seal to another location of its store (recorded on every item under it)."""
    seals = services.custody.seals
    moved = seals.move(caller.actor, seal_no, body.to)
    return seal_out(seals.show(caller.actor, moved.seal_no))


@router.post(
    "/custodian-changes",
    status_code=201,
    response_model=CustodianChangeOut,
    responses=responses(401, 403, 404, 409, 422, 429),
)
def change_custodian(
    body: CustodianChangeIn, caller: StoreKeeper, second: SecondPersonDep, services: ServicesDep
) -> CustodianChangeOut:
    """Hand every item of the unit's store the caller holds (an administrator: every item not held by
    the new custodian) to the new custodian, who confirms with their own session (``X-Second-Token``);
    the store is marked for a full audit."""
    if second is None:
        raise InvalidInput(NEEDS_SECOND_PERSON, "X-Second-Token")
    change = services.custody.seals.custodian_change(caller.actor, body.unit_code, second)
    return CustodianChangeOut(
        unit_code=change.unit_code,
        to=change.to,
        items=[item.evidence_no for item in change.items],
        store_mark=change.mark_id,
        marked_seq=change.marked_seq,
    )
