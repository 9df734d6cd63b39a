"""Request and response bodies of the provincial destruction batches."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, StringConstraints

from api.schemas import EvidenceNo, IsoDate, RequestBody, StoredText
from custody.batch_photos import Photo
from custody.batch_site import Site
from custody.batches import Batch
from custody.site_reads import MAX_ROUNDS, KeptRead, SiteRead

ApplicationId = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]


class BatchIn(RequestBody):
    """Build a batch from open destruction applications, with the planned method, place and date."""

    method: Literal["smelting", "cutting", "crushing", "shredding"]
    place: Annotated[str, StoredText("place", required=True)]
    date: IsoDate = Field(description="The planned date")
    applications: list[ApplicationId] = Field(min_length=1, max_length=1000)


class BatchAddIn(RequestBody):
    """Add open destruction applications to a batch not yet approved."""

    applications: list[ApplicationId] = Field(min_length=1, max_length=1000)


class BatchItemOut(BaseModel):
    evidence_no: str
    kind: str
    state: str
    unit_code: str
    application_id: int | None
    rounds: int | None


class BatchOut(BaseModel):
    id: int
    status: str
    method: str
    place: str
    planned_date: str
    created_by: str
    created_at: str
    approved_by: str | None
    approved_at: str | None
    applications: list[int]
    items: list[BatchItemOut]


def batch_out(found: Batch) -> BatchOut:
    return BatchOut(
        id=found.id,
        status=found.status.value,
        method=found.method.value,
        place=found.place,
        planned_date=found.planned_date,
        created_by=found.created_by,
        created_at=found.created_at,
        approved_by=found.approved_by,
        approved_at=found.approved_at,
        applications=list(found.application_ids),
        items=[
            BatchItemOut(
                evidence_no=i.evidence_no,
                kind=i.kind.value,
                state=i.state.value,
                unit_code=i.unit_code,
                application_id=i.application_id,
                rounds=i.rounds,
            )
            for i in found.items
        ],
    )


# ------------------------------------------------------------------------------------------ the site

StationName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Rounds = Annotated[StrictInt, Field(ge=0, le=MAX_ROUNDS)]


class SiteOpenIn(RequestBody):
    """Open the site of an approved batch (two witnesses confirmed), with the method and place."""

    method: Literal["smelting", "cutting", "crushing", "shredding"]
    place: Annotated[str, StoredText("place", required=True)]
    station: StationName | None = Field(
        default=None, description="A station whose scans are taken into the site while it is open"
    )


class SiteReadIn(RequestBody):
    """One code read at the site: an evidence number, or a tag's UID; ``rounds`` counted of a lot."""

    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    rounds: Rounds | None = None


class CountIn(RequestBody):
    """The rounds of an ammunition lot of the batch counted at the site."""

    evidence_no: EvidenceNo
    rounds: Rounds


class WithdrawIn(RequestBody):
    """An approved item not destroyed goes back to sealed, with a reason."""

    evidence_no: EvidenceNo
    reason: Annotated[str, StoredText("reason", required=True)]


class WitnessOut(BaseModel):
    username: str
    full_name: str
    unit_code: str
    confirmed_at: str


class SiteOut(BaseModel):
    batch_id: int
    status: str
    witnesses: list[WitnessOut]
    method: str | None
    place: str | None
    officer: str | None
    station: str | None
    opened_at: str | None
    closed_at: str | None
    closed_seq: int | None
    closed_hash: str | None


class SiteReadOut(BaseModel):
    """What became of a read: destroyed, repeat, counted, or a finding (unknown, unexpected,
    rounds_differ, uncounted, refused: ``error`` says why it changed nothing)."""

    status: str
    finding: bool
    code: str
    evidence_no: str | None
    kind: str | None
    counted: int | None
    recorded: int | None
    key: str | None
    error: str | None


class KeptReadOut(SiteReadOut):
    at: str
    officer: str
    station: str
    device: str


class SiteReadList(BaseModel):
    reads: list[KeptReadOut]


class PhotoOut(BaseModel):
    batch_id: int
    evidence_no: str
    stage: str
    sha256: str
    media_type: str
    size: int


def site_out(site: Site) -> SiteOut:
    return SiteOut(
        batch_id=site.batch_id,
        status=site.status.value,
        witnesses=[
            WitnessOut(
                username=w.username, full_name=w.full_name, unit_code=w.unit_code, confirmed_at=w.confirmed_at
            )
            for w in site.witnesses
        ],
        method=site.method,
        place=site.place,
        officer=site.officer,
        station=site.station,
        opened_at=site.opened_at,
        closed_at=site.closed_at,
        closed_seq=site.closed_seq,
        closed_hash=site.closed_hash,
    )


def read_out(read: SiteRead) -> SiteReadOut:
    return SiteReadOut(
        status=read.status,
        finding=read.finding,
        code=read.code,
        evidence_no=read.evidence_no,
        kind=read.kind,
        counted=read.counted,
        recorded=read.recorded,
        key=read.key,
        error=read.error,
    )


def kept_out(kept: KeptRead) -> KeptReadOut:
    return KeptReadOut(
        **read_out(kept.read).model_dump(),
        at=kept.at,
        officer=kept.officer,
        station=kept.station,
        device=kept.device,
    )


def photo_out(photo: Photo) -> PhotoOut:
    return PhotoOut(
        batch_id=photo.batch_id,
        evidence_no=photo.evidence_no,
        stage=photo.stage,
        sha256=photo.sha256,
        media_type=photo.media_type,
        size=photo.size,
    )
