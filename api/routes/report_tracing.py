"""Source-and-flow tracing letters (涉枪案件枪弹来源流向协查函): an investigator or a clerk issues one about
a firearm or an ammunition lot of their units (an event of the item, with its reference number), and
downloads it as PDF or its fields as CSV, printed from its event. An item or a letter outside the
caller's units is answered as missing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import API_PREFIX, Admits, Caller, ServicesDep
from api.downloads import DOWNLOAD, Format, download
from api.errors import responses
from api.schemas import IsoDate, RequestBody, StoredText
from custody.clock import from_us
from custody.tracing import LETTER_ROLES, TracingLetter

router = APIRouter(prefix=API_PREFIX, tags=["reports"])

LetterWriter = Annotated[Caller, Depends(Admits(*sorted(LETTER_ROLES)))]
LetterSeq = Annotated[int, Path(ge=1, le=2**62, description="The ledger event that issued the letter")]


class TracingLetterIn(RequestBody):
    """The bureau asked, what is asked (default: the item's source and flow), and a reply date."""

    addressee: Annotated[str, StoredText("addressee", required=True)]
    request: Annotated[str, StoredText("request")] = ""
    reply_by: IsoDate | None = Field(default=None, description="Reply asked by this date")


class TracingLetterOut(BaseModel):
    reference: str
    letter: int = Field(description="The ledger event that issued it: GET /reports/tracing-letters/{letter}")
    evidence_no: str
    case_no: str
    addressee: str
    request: str
    reply_by: str | None
    issued_by: str
    issued_at: str
    unit_code: str
    ledger_point: str


def letter_out(letter: TracingLetter) -> TracingLetterOut:
    return TracingLetterOut(
        reference=letter.reference,
        letter=letter.point.seq,
        evidence_no=str(dict(letter.item)["evidence_no"]),
        case_no=letter.case_no,
        addressee=letter.addressee,
        request=letter.request,
        reply_by=letter.reply_by,
        issued_by=letter.issued_by,
        issued_at=from_us(letter.issued_at_us).isoformat(),
        unit_code=letter.unit_code,
        ledger_point=letter.point.text,
    )


@router.post(
    "/items/{evidence_no}/tracing-letters",
    status_code=201,
    response_model=TracingLetterOut,
    responses=responses(401, 403, 404, 409, 422),
)
def issue_letter(
    evidence_no: str, body: TracingLetterIn, caller: LetterWriter, services: ServicesDep
) -> TracingLetterOut:
    """Issue a tracing letter about a firearm or an ammunition lot: its issue is an event of the item
    holding the letter whole, with a reference number of the caller's unit and year."""
    due = None if body.reply_by is None else body.reply_by.isoformat()
    letters = services.custody.tracing_letters
    return letter_out(letters.issue(caller.actor, evidence_no, body.addressee, body.request, due))


@router.get(
    "/reports/tracing-letters/{seq}",
    response_class=Response,
    responses={**DOWNLOAD, **responses(401, 403, 404, 422)},
)
def show_letter(
    seq: LetterSeq,
    caller: LetterWriter,
    services: ServicesDep,
    fmt: Annotated[Format, Query(alias="format")] = "pdf",
) -> Response:
    """The letter issued by ledger event ``seq``, as PDF (or its fields as CSV), printed from its event."""
    from reports.tracing import render_tracing, tracing_csv

    letter = services.custody.tracing_letters.get(caller.actor, seq)
    name = f"tracing-letter-{seq}"
    return download(name, fmt, letter.point, lambda: render_tracing(letter), lambda: tracing_csv(letter))
