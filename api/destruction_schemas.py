"""Request and response bodies of the disposition queue, review holds and destruction applications."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt

from api.schemas import IsoDate, NumberText, RequestBody, StoredText, UnitCode, Version
from custody.applications import Application
from custody.model import ApplicationStatus, ItemState, ReviewStanding
from custody.numbers import ItemKind
from custody.records import Item
from custody.reviews import ReviewEntry

ApplicationId = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]

# ------------------------------------------------------------------------------------- requests


class ReviewHoldIn(RequestBody):
    """Hold a sealed item's review until a later date, for a reason kept in the ledger."""

    version: Version
    reason: Annotated[str, StoredText("reason", required=True)]
    until: IsoDate = Field(description="The new review date (after today)")


class ApplicationIn(RequestBody):
    """Apply, for the caller's own city-level unit (or the province's own store), for the destruction
    of sealed items of its subtree."""

    unit_code: UnitCode
    evidence_nos: list[NumberText] = Field(min_length=1, max_length=1000)
    reason: Annotated[str, StoredText("reason")] = ""


class WithdrawalIn(RequestBody):
    reason: Annotated[str, StoredText("reason")] = ""


class RefusalIn(RequestBody):
    reason: Annotated[str, StoredText("reason", required=True)]


# ------------------------------------------------------------------------------------ responses


class ReviewEntryOut(BaseModel):
    evidence_no: str
    kind: ItemKind
    unit_code: str
    case_no: str
    state: ItemState
    seal_no: str | None
    location_code: str | None
    review_due: date | None
    standing: ReviewStanding
    held_reason: str | None
    application_id: int | None


class ReviewList(BaseModel):
    entries: list[ReviewEntryOut]


class ReviewHoldOut(BaseModel):
    evidence_no: str
    state: ItemState
    version: int
    review_due: date | None


class ApplicationItemOut(BaseModel):
    evidence_no: str
    kind: ItemKind
    state: ItemState
    unit_code: str
    seal_no: str | None


class ApplicationOut(BaseModel):
    id: int
    unit_code: str
    applicant: str
    created_at: str
    status: ApplicationStatus
    reason: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    items: list[ApplicationItemOut]


class ApplicationList(BaseModel):
    applications: list[ApplicationOut]


# ------------------------------------------------------------------------------------- builders


def entry_out(entry: ReviewEntry) -> ReviewEntryOut:
    return ReviewEntryOut(
        evidence_no=entry.evidence_no,
        kind=entry.kind,
        unit_code=entry.unit_code,
        case_no=entry.case_no,
        state=entry.state,
        seal_no=entry.seal_no,
        location_code=entry.location_code,
        review_due=None if entry.review_due is None else date.fromisoformat(entry.review_due),
        standing=entry.standing,
        held_reason=entry.held_reason,
        application_id=entry.application_id,
    )


def hold_out(item: Item) -> ReviewHoldOut:
    due = item.review_due
    return ReviewHoldOut(
        evidence_no=item.evidence_no,
        state=item.state,
        version=item.version,
        review_due=None if due is None else date.fromisoformat(due),
    )


def application_out(found: Application) -> ApplicationOut:
    return ApplicationOut(
        id=found.id,
        unit_code=found.unit_code,
        applicant=found.applicant,
        created_at=found.created_at,
        status=found.status,
        reason=found.reason,
        decided_by=found.decided_by,
        decided_at=found.decided_at,
        decision_reason=found.decision_reason,
        items=[
            ApplicationItemOut(
                evidence_no=i.evidence_no,
                kind=i.kind,
                state=i.state,
                unit_code=i.unit_code,
                seal_no=i.seal_no,
            )
            for i in found.items
        ],
    )
