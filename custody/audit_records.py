"""Records of audits of the sealed store: the session, a read offered to it and what became of it,
and a discrepancy, as frozen dataclasses built from their rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from custody.errors import CustodyError
from custody.model import AuditCategory, AuditMode, AuditStatus, DiscrepancyStatus, Finding, Resolution

ReadSource = Literal["scan", "tag", "manual"]
ReadStatus = Literal["recorded", "repeat", "refused"]


@dataclass(frozen=True, slots=True)
class Audit:
    """An audit session of a unit's store: what it covers, how it draws, where it stands."""

    id: int
    unit_code: str
    mode: AuditMode
    blind: bool
    seed: str
    station_name: str | None
    opened_by_id: int
    opened_at_us: int
    period_days: int
    status: AuditStatus
    round: int
    submitted_round: int
    closed_at_us: int | None
    closed_seq: int | None
    closed_hash: str | None
    locations: tuple[str, ...] = ()  # none: the unit's whole store
    opened_by: str | None = None  # username, where a read gives it

    @classmethod
    def from_row(
        cls, row: Mapping[Any, Any], locations: tuple[str, ...] = (), opened_by: str | None = None
    ) -> Audit:
        return cls(
            id=row["id"],
            unit_code=row["unit_code"],
            mode=AuditMode(row["mode"]),
            blind=bool(row["blind"]),
            seed=row["seed"],
            station_name=row["station_name"],
            opened_by_id=row["opened_by_id"],
            opened_at_us=row["opened_at_us"],
            period_days=row["period_days"],
            status=AuditStatus(row["status"]),
            round=row["round"],
            submitted_round=row["submitted_round"],
            closed_at_us=row["closed_at_us"],
            closed_seq=row["closed_seq"],
            closed_hash=row["closed_hash"],
            locations=locations,
            opened_by=opened_by,
        )

    @property
    def reading(self) -> bool:
        """Reads are taken: the session is open and its current round not submitted yet."""
        return self.status is AuditStatus.OPEN and self.submitted_round < self.round

    @property
    def hidden(self) -> bool:
        """What the records expect stays hidden from the auditor (blind mode, round not submitted)."""
        return self.blind and self.reading


@dataclass(frozen=True, slots=True)
class ReadIn:
    """One read offered to an audit: a code scanned or typed, or a tag (its UID, the text it carries,
    its tamper loop), where it was read, and for a code typed by hand, why."""

    code: str | None = None
    uid: str | None = None
    text: str | None = None
    tamper: str | None = None
    opened_before: bool | None = None
    location_code: str | None = None
    source: ReadSource = "scan"
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReadOutcome:
    """What became of one read: recorded (the first of its code or tag in the session), a repeat
    (counted), or refused (nothing written for it). ``kind`` and ``code`` say what was read; ``names``
    the evidence numbers it named, empty while the audit is blind."""

    status: ReadStatus
    kind: str
    code: str
    known: bool = False
    names: tuple[str, ...] = ()
    tamper: str | None = None
    refused: CustodyError | None = None


@dataclass(frozen=True, slots=True)
class AuditProgress:
    """What an audit's reads show so far: how many things were read, the codes that name nothing
    known (at most :data:`UNKNOWN_SHOWN`), how many items are drawn and the findings per class as the
    reads stand (the reconciliation its closing computes)."""

    reads: int
    unknown_codes: tuple[str, ...]
    drawn: int
    findings: Mapping[Finding, int]


UNKNOWN_SHOWN = 500


@dataclass(frozen=True, slots=True)
class SubmittedRound:
    """A round ended: the discrepancies it found per category and what each escalation added."""

    audit: Audit
    round: int
    discrepancies: Mapping[AuditCategory, int]
    added: Mapping[AuditCategory, int]

    @property
    def escalated(self) -> bool:
        return any(self.added.values())


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """A discrepancy an audit found, with its owner and due date, open until resolved."""

    id: int
    audit_id: int
    unit_code: str
    finding: Finding
    category: AuditCategory | None
    item_id: int | None
    code: str
    detail: str
    owner_id: int
    due_date: str
    opened_at_us: int
    status: DiscrepancyStatus
    resolution: Resolution | None
    reason: str | None
    resolved_by_id: int | None
    confirmed_by_id: int | None
    resolved_at_us: int | None
    resolved_seq: int | None
    owner: str | None = None  # username, where a read gives it

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], owner: str | None = None) -> Discrepancy:
        return cls(
            id=row["id"],
            audit_id=row["audit_id"],
            unit_code=row["unit_code"],
            finding=Finding(row["finding"]),
            category=None if row["category"] is None else AuditCategory(row["category"]),
            item_id=row["item_id"],
            code=row["code"],
            detail=row["detail"],
            owner_id=row["owner_id"],
            due_date=row["due_date"],
            opened_at_us=row["opened_at_us"],
            status=DiscrepancyStatus(row["status"]),
            resolution=None if row["resolution"] is None else Resolution(row["resolution"]),
            reason=row["reason"],
            resolved_by_id=row["resolved_by_id"],
            confirmed_by_id=row["confirmed_by_id"],
            resolved_at_us=row["resolved_at_us"],
            resolved_seq=row["resolved_seq"],
            owner=owner,
        )
