"""The site of a provincial destruction batch (销毁现场): its witnesses, each confirming with their own
session (``X-Witness-Token``); the site opened by a provincial destruction officer (with a station
whose scans are taken into it, if named); the codes read and the lots counted there, each kept with
what became of it; withdrawals, photos before and after, and the closing that fixes the ledger's head.

A station bound to the open site posts its scans to the scan intake (``/scans``, ``/scans/batch``) as
always: they are taken into the site on behalf of the officer who opened it. A batch outside the
caller's units is answered as missing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.batch_schemas import (
    CountIn,
    PhotoOut,
    SiteOpenIn,
    SiteOut,
    SiteReadIn,
    SiteReadList,
    SiteReadOut,
    WithdrawIn,
    kept_out,
    photo_out,
    read_out,
    site_out,
)
from api.deps import API_PREFIX, Admits, Caller, ServicesDep, WitnessDep
from api.errors import responses
from custody.batches import OFFICERS, READ_ROLES
from custody.errors import InvalidInput, Message

router = APIRouter(prefix=API_PREFIX, tags=["destruction"])

Officer = Annotated[Caller, Depends(Admits(*sorted(OFFICERS)))]
BatchReader = Annotated[Caller, Depends(Admits(*sorted(READ_ROLES)))]
BatchNo = Annotated[int, Path(ge=1, le=2**31 - 1, description="The batch's number")]
Sha256 = Annotated[str, Path(pattern="^[0-9a-fA-F]{64}$", description="The photo's SHA-256")]

NEEDS_WITNESS = Message(
    "batch.needs_witness", "a witness confirms with their own session: send their token as X-Witness-Token"
)
BINARY = {"type": "string", "format": "binary"}
PHOTO_BODY = "The photo itself (JPEG or PNG, at most 10 MB), as the request body."


@router.post(
    "/destruction-batches/{batch_id}/witnesses",
    response_model=SiteOut,
    responses=responses(401, 403, 404, 409, 422, 429),
)
def add_witness(batch_id: BatchNo, caller: Officer, witness: WitnessDep, services: ServicesDep) -> SiteOut:
    """Record a witness of the approved batch's site, who confirms with their own session
    (``X-Witness-Token``): independent of every item of the batch, recorded once."""
    if witness is None:
        raise InvalidInput(NEEDS_WITNESS, "X-Witness-Token")
    return site_out(services.custody.batch_site.witness(caller.actor, batch_id, witness))


@router.post(
    "/destruction-batches/{batch_id}/site",
    response_model=SiteOut,
    responses=responses(401, 403, 404, 409, 422),
)
def open_site(batch_id: BatchNo, body: SiteOpenIn, caller: Officer, services: ServicesDep) -> SiteOut:
    """Open the site of the approved batch: at least two witnesses confirmed, one from outside the units
    owning its items. A station named reads for the site until it closes."""
    opened = services.custody.batch_site.open(caller.actor, batch_id, body.method, body.place, body.station)
    return site_out(opened)


@router.get(
    "/destruction-batches/{batch_id}/site", response_model=SiteOut, responses=responses(401, 403, 404, 422)
)
def show_site(batch_id: BatchNo, caller: BatchReader, services: ServicesDep) -> SiteOut:
    """What the batch records of its site: witnesses, method and place, who opened it, the station, and
    the ledger's head when it closed."""
    return site_out(services.custody.batch_site.site(caller.actor, batch_id))


@router.post(
    "/destruction-batches/{batch_id}/site/reads",
    response_model=SiteReadOut,
    responses=responses(401, 403, 404, 409, 422),
)
def read_at_site(batch_id: BatchNo, body: SiteReadIn, caller: Officer, services: ServicesDep) -> SiteReadOut:
    """One code read at the open site (an evidence number or a tag's UID; ``rounds`` counted of a lot):
    an approved item of the batch is destroyed; anything else is a finding, kept, that changes nothing."""
    return read_out(services.custody.site_reads.scan(caller.actor, batch_id, body.code, body.rounds))


@router.get(
    "/destruction-batches/{batch_id}/site/reads",
    response_model=SiteReadList,
    responses=responses(401, 403, 404, 422),
)
def list_site_reads(
    batch_id: BatchNo,
    caller: BatchReader,
    services: ServicesDep,
    which: Annotated[Literal["all", "findings"], Query(alias="show")] = "all",
) -> SiteReadList:
    """Every read kept at the site, oldest first (``show=findings``: only what changed nothing)."""
    kept = services.custody.site_reads.reads(caller.actor, batch_id, which == "findings")
    return SiteReadList(reads=[kept_out(k) for k in kept])


@router.post(
    "/destruction-batches/{batch_id}/counts",
    response_model=SiteReadOut,
    responses=responses(401, 403, 404, 409, 422),
)
def count_lot(batch_id: BatchNo, body: CountIn, caller: Officer, services: ServicesDep) -> SiteReadOut:
    """The rounds of an approved lot counted at the open site: as recorded, the lot is destroyed when it
    is next read; different, a finding (it stays approved: counted again, or withdrawn)."""
    return read_out(services.custody.site_reads.count(caller.actor, batch_id, body.evidence_no, body.rounds))


@router.post(
    "/destruction-batches/{batch_id}/withdrawals",
    response_model=SiteOut,
    responses=responses(401, 403, 404, 409, 422),
)
def withdraw_item(batch_id: BatchNo, body: WithdrawIn, caller: Officer, services: ServicesDep) -> SiteOut:
    """An approved item of the batch not destroyed goes back to sealed, with a reason."""
    site = services.custody.batch_site.withdraw(caller.actor, batch_id, body.evidence_no, body.reason)
    return site_out(site)


@router.post(
    "/destruction-batches/{batch_id}/close", response_model=SiteOut, responses=responses(401, 403, 404, 409)
)
def close_batch(batch_id: BatchNo, caller: Officer, services: ServicesDep) -> SiteOut:
    """Close the batch once every approved item is destroyed or withdrawn; the ledger's head is fixed."""
    return site_out(services.custody.batch_site.close(caller.actor, batch_id))


@router.post(
    "/destruction-batches/{batch_id}/photos",
    status_code=201,
    response_model=PhotoOut,
    responses=responses(401, 403, 404, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": PHOTO_BODY,
            "content": {
                m: {"schema": {"type": "string", "format": "binary"}} for m in ("image/jpeg", "image/png")
            },
        }
    },
)
async def add_photo(
    request: Request,
    batch_id: BatchNo,
    caller: Officer,
    services: ServicesDep,
    evidence_no: Annotated[str, Query(min_length=1, max_length=64, description="The item photographed")],
    stage: Annotated[Literal["before", "after"], Query(description="Before or after its destruction")],
) -> PhotoOut:
    """Keep a photo of an item of the batch, its serial visible, before (approved) or after (destroyed)
    its destruction: stored by its SHA-256, which the item's ``photographed`` event records."""
    content = await request.body()
    photos = services.custody.batch_photos
    kept = await run_in_threadpool(photos.add, caller.actor, batch_id, evidence_no, stage, content)
    return photo_out(kept)


@router.get(
    "/destruction-batches/{batch_id}/photos",
    response_model=list[PhotoOut],
    responses=responses(401, 403, 404, 422),
)
def list_photos(batch_id: BatchNo, caller: BatchReader, services: ServicesDep) -> list[PhotoOut]:
    """The photos kept of the batch's items, in the order taken."""
    return [photo_out(p) for p in services.custody.batch_photos.list(caller.actor, batch_id)]


@router.get(
    "/destruction-batches/{batch_id}/photos/{sha256}",
    response_class=Response,
    responses={
        **responses(401, 403, 404, 422),
        200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "The photo as it was kept"},
    },
)
def show_photo(batch_id: BatchNo, sha256: Sha256, caller: BatchReader, services: ServicesDep) -> Response:
    """A photo of the batch, as it was kept (its SHA-256 is its name)."""
    photo, content = services.custody.batch_photos.content(caller.actor, batch_id, sha256)
    return Response(content, media_type=photo.media_type, headers={"X-Content-SHA256": photo.sha256})
