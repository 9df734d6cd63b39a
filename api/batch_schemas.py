"""Request and response bodies of the provincial destruction batches."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt

from api.schemas import IsoDate, RequestBody, StoredText
from custody.batches import Batch

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
