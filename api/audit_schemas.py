"""Request and response bodies of audits of the sealed store and of their discrepancies.

An audit is shown with what its reads found so far; while it is blind and its round is not submitted,
it shows nothing the records expect (no drawn evidence numbers, no findings, no names of what a read
named): only how many codes were read and which of them name nothing known.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from fastapi import Response
from pydantic import BaseModel, Field, StringConstraints

from api.errors import problem_type_of
from api.schemas import LocationCodeText, RequestBody, StoredText, UnitCode, when
from custody.audit_records import Audit, AuditProgress, Discrepancy, ReadIn, ReadOutcome, SubmittedRound
from custody.clock import from_us
from custody.model import (
    AuditCategory,
    AuditMode,
    AuditStatus,
    DiscrepancyStatus,
    Finding,
    Resolution,
)
from custody.reconcile import Reconciliation
from custody.scans import TamperLoop

MAX_BATCH = 50  # reads per request: a handheld's agent flushes at 50 reads or 100 ms

ReadText = Annotated[str, StringConstraints(min_length=1, max_length=64)]


# ------------------------------------------------------------------------------------- requests


class AuditOpenIn(RequestBody):
    """Open an audit of a unit's store (or of locations in it) and draw its first round."""

    unit_code: UnitCode
    locations: list[LocationCodeText] = Field(
        default=[],
        max_length=100,
        description="Locations audited with everything below them; none: the whole store",
    )
    mode: AuditMode = Field(description="full: every item in scope; sample: the sized sample per category")
    blind: bool = Field(
        default=False, description="Hide the records from the auditor until a round is submitted"
    )
    seed: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="The draw's seed (anyone can re-draw from it); none: a random one"
    )
    station: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="A station of the unit whose reads go to this audit while it is open"
    )
    period_days: int = Field(
        default=365, ge=1, le=3650, description="The auditor had no part in the items' custody this long"
    )


class ReadInBody(RequestBody):
    """One read: a code scanned or typed, or a tag (its UID, its text, its tamper loop)."""

    code: ReadText | None = Field(default=None, description="The code read or typed")
    uid: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = Field(
        default=None, description="A tag's UID in hex"
    )
    text: Annotated[str, StoredText("text")] | None = Field(default=None, description="The tag's NDEF text")
    tamper: TamperLoop | None = Field(default=None, description="A tamper-evident tag's loop as read")
    opened_before: bool | None = Field(
        default=None, description="The tag recorded its loop open at an earlier power-up"
    )
    location_code: LocationCodeText | None = Field(
        default=None, description="Where this read and the batch's next ones were made"
    )
    source: Literal["scan", "tag", "manual"] = "scan"
    reason: Annotated[str, StoredText("reason")] | None = Field(
        default=None, description="Why a code was typed by hand (manual reads)"
    )

    def read(self) -> ReadIn:
        return ReadIn(
            code=self.code,
            uid=self.uid,
            text=self.text,
            tamper=self.tamper,
            opened_before=self.opened_before,
            location_code=self.location_code,
            source=self.source,
            reason=self.reason,
        )


class ReadBatchIn(RequestBody):
    """At most 50 reads, taken in one transaction: each answered on its own."""

    reads: list[ReadInBody] = Field(min_length=1, max_length=MAX_BATCH)

    def batch(self) -> list[ReadIn]:
        return [r.read() for r in self.reads]


class ResolutionIn(RequestBody):
    """The owner's resolution of a discrepancy, before a confirming auditor (X-Second-Token)."""

    resolution: Resolution
    reason: Annotated[str, StoredText("reason", required=True)]


# ------------------------------------------------------------------------------------ responses


class AuditOut(BaseModel):
    id: int
    unit_code: str
    locations: list[str] = Field(description="Audited locations; empty: the whole store")
    mode: AuditMode
    blind: bool
    seed: str
    station: str | None
    opened_by: str
    opened_at: datetime
    period_days: int
    status: AuditStatus
    round: int = Field(description="The round being read (or the last one)")
    submitted_round: int = Field(description="The last round submitted (0: none yet)")
    reading: bool = Field(description="The current round takes reads")
    hidden: bool = Field(description="Blind and not submitted: nothing the records expect is shown")
    closed_at: datetime | None
    closed_seq: int | None = Field(description="The ledger head the closing was computed at")
    closed_hash: str | None
    reads: int = Field(description="Distinct codes and tags read")
    unknown_codes: list[str] = Field(description="Codes read that name nothing known (at most 500)")
    drawn: int | None = Field(description="Items drawn so far; null while hidden")
    findings: dict[Finding, int] | None = Field(
        description="What the reads show so far, per finding; null while hidden"
    )


class SubmittedOut(BaseModel):
    audit: AuditOut
    round: int = Field(description="The round submitted")
    discrepancies: dict[AuditCategory, int] = Field(description="Discrepancies among its drawn items")
    added: dict[AuditCategory, int] = Field(description="Items each escalation drew into the next round")
    escalated: bool = Field(description="A new round is open; otherwise the audit is ready to close")


class ClosedOut(BaseModel):
    audit: AuditOut
    counts: dict[Finding, int] = Field(description="Items and codes per finding")
    discrepancies: int = Field(description="Discrepancies recorded (every finding but found)")
    head_seq: int | None = Field(description="The ledger head at closing")
    head_hash: str | None


class ReadProblemOut(BaseModel):
    type: str
    key: str
    detail: str
    params: dict[str, str | int | float | bool | None]


class ReadOutcomeOut(BaseModel):
    status: Literal["recorded", "repeat", "refused"]
    kind: str = Field(description="evidence, seal, location or unknown")
    code: str
    known: bool = Field(description="The code names something in the records")
    names: list[str] = Field(description="The evidence numbers it named; empty while the audit is blind")
    tamper: str | None
    problem: ReadProblemOut | None = Field(description="Why a refused read was refused")


class ReadsOut(BaseModel):
    audit_id: int
    reads: list[ReadOutcomeOut] = Field(description="One answer per read, in the order sent")


class DiscrepancyOut(BaseModel):
    id: int
    audit_id: int
    unit_code: str
    finding: Finding
    category: AuditCategory | None
    code: str = Field(description="The evidence number, or the seal number or code read")
    detail: str
    owner: str
    due_date: str
    opened_at: datetime
    status: DiscrepancyStatus
    resolution: Resolution | None
    reason: str | None
    resolved_at: datetime | None
    resolved_seq: int | None


class DiscrepancyList(BaseModel):
    discrepancies: list[DiscrepancyOut]


# ------------------------------------------------------------------------------------ builders


def audit_out(audit: Audit, progress: AuditProgress) -> AuditOut:
    hidden = audit.hidden
    return AuditOut(
        id=audit.id,
        unit_code=audit.unit_code,
        locations=list(audit.locations),
        mode=audit.mode,
        blind=audit.blind,
        seed=audit.seed,
        station=audit.station_name,
        opened_by=audit.opened_by or "",
        opened_at=from_us(audit.opened_at_us),
        period_days=audit.period_days,
        status=audit.status,
        round=audit.round,
        submitted_round=audit.submitted_round,
        reading=audit.reading,
        hidden=hidden,
        closed_at=when(audit.closed_at_us),
        closed_seq=audit.closed_seq,
        closed_hash=audit.closed_hash,
        reads=progress.reads,
        unknown_codes=list(progress.unknown_codes),
        drawn=None if hidden else progress.drawn,
        findings=None if hidden else dict(progress.findings),
    )


def submitted_out(submitted: SubmittedRound, progress: AuditProgress) -> SubmittedOut:
    return SubmittedOut(
        audit=audit_out(submitted.audit, progress),
        round=submitted.round,
        discrepancies=dict(submitted.discrepancies),
        added=dict(submitted.added),
        escalated=submitted.escalated,
    )


def closed_out(audit: Audit, outcome: Reconciliation, progress: AuditProgress) -> ClosedOut:
    return ClosedOut(
        audit=audit_out(audit, progress),
        counts=outcome.counts(),
        discrepancies=len(outcome.discrepancies),
        head_seq=audit.closed_seq,
        head_hash=audit.closed_hash,
    )


def reads_answer(audit_id: int, taken: list[ReadOutcome]) -> dict[str, Any]:
    """:class:`ReadsOut` as JSON-ready data, built directly: a handheld posts a batch every few tens of
    milliseconds, and the answer (one entry per read) needs no validation of what the core gave."""
    reads = []
    for outcome in taken:
        if outcome.refused is not None:
            reads.append(outcome_out(outcome).model_dump(mode="json"))
            continue
        reads.append(
            {
                "status": outcome.status,
                "kind": outcome.kind,
                "code": outcome.code,
                "known": outcome.known,
                "names": list(outcome.names),
                "tamper": outcome.tamper,
                "problem": None,
            }
        )
    return {"audit_id": audit_id, "reads": reads}


def reads_response(audit_id: int, taken: list[ReadOutcome]) -> Response:
    """:func:`reads_answer` as the JSON response, encoded in C (``msgspec``): the same document
    :class:`ReadsOut` describes, at a fraction of the cost of encoding it in Python."""
    return Response(msgspec.json.encode(reads_answer(audit_id, taken)), media_type="application/json")


def outcome_out(outcome: ReadOutcome) -> ReadOutcomeOut:
    problem = None
    if outcome.refused is not None:
        refused = outcome.refused
        problem = ReadProblemOut(
            type=problem_type_of(refused).uri, key=refused.key, detail=str(refused), params=refused.params
        )
    return ReadOutcomeOut(
        status=outcome.status,
        kind=outcome.kind,
        code=outcome.code,
        known=outcome.known,
        names=list(outcome.names),
        tamper=outcome.tamper,
        problem=problem,
    )


def discrepancy_out(found: Discrepancy) -> DiscrepancyOut:
    return DiscrepancyOut(
        id=found.id,
        audit_id=found.audit_id,
        unit_code=found.unit_code,
        finding=found.finding,
        category=found.category,
        code=found.code,
        detail=found.detail,
        owner=found.owner or "",
        due_date=found.due_date,
        opened_at=from_us(found.opened_at_us),
        status=found.status,
        resolution=found.resolution,
        reason=found.reason,
        resolved_at=when(found.resolved_at_us),
        resolved_seq=found.resolved_seq,
    )
