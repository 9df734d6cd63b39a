"""The figures of an audit (检查报告), recomputed from the database: what each category drew, round by
round, and, for a closed audit, what was found, the discrepancies with their owners and due dates, and
the ledger point the audit closed at. Values only; ``reports.audit`` renders them.

* **The draw** (:meth:`AuditReports.draw`): per category, the population N (every candidate when the
  audit opened), the first round's sample, what each later round added (an escalation) and the total
  drawn, from ``audit_candidates.drawn_round``. The evidence numbers drawn are given in the draw order,
  except while the audit hides its records from its auditor (blind, round not submitted).
* **The findings** (:meth:`AuditReports.report`, closed audits only): the ``audited`` events the closing
  wrote (one per item, with its finding) and the discrepancies about codes that name no item of the
  store (an unknown code, a void seal), counted per finding and category; and the discrepancy rows
  themselves. The two are written apart at closing, so a renderer can check that they agree.

An audit outside the viewer's scope is answered as missing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from custody.actors import Actor
from custody.audit_records import Audit
from custody.audit_sampling import category_of
from custody.audits import Audits
from custody.db.audit_tables import AuditCandidateRow, DiscrepancyRow
from custody.db.tables import EventRow, ItemRow, UnitRow, UserRow
from custody.errors import Message, TransitionRefused
from custody.model import AuditCategory, AuditMode, AuditStatus, DiscrepancyStatus, EventType, Finding
from custody.report_point import SignedCheckpoint, point_in

REPORT_OF_OPEN = Message(
    "audit.report_open", "audit {audit_id} is open: its report is made once it is closed"
)

_candidates = cast(Table, AuditCandidateRow.__table__)
_discrepancies = cast(Table, DiscrepancyRow.__table__)
_events = cast(Table, EventRow.__table__)
_items = cast(Table, ItemRow.__table__)
_units = cast(Table, UnitRow.__table__)
_users = cast(Table, UserRow.__table__)


@dataclass(frozen=True, slots=True)
class ReportPerson:
    """A person the report names: the auditor, a discrepancy's owner."""

    username: str
    name: str


@dataclass(frozen=True, slots=True)
class CategoryDraw:
    """What an audit drew of one category: ``rounds[0]`` in the first round (the sample size, or all
    of it in a full audit), ``rounds[r]`` added by the escalation after round r."""

    category: AuditCategory
    population: int
    rounds: tuple[int, ...]
    drawn_items: tuple[str, ...] = ()  # evidence numbers in the draw order; empty while hidden

    @property
    def first_round(self) -> int:
        return self.rounds[0] if self.rounds else 0

    @property
    def drawn(self) -> int:
        return sum(self.rounds)


@dataclass(frozen=True, slots=True)
class FindingCount:
    """How many things of a category (None: a code naming no item) the audit classed as ``finding``."""

    finding: Finding
    category: AuditCategory | None
    count: int


@dataclass(frozen=True, slots=True)
class ReportDiscrepancy:
    """A discrepancy as the report lists it, with where it stands now."""

    id: int
    finding: Finding
    category: AuditCategory | None
    code: str
    detail: str
    owner: ReportPerson
    due_date: str
    status: DiscrepancyStatus
    resolution: str | None
    resolved_seq: int | None


@dataclass(frozen=True, slots=True)
class AuditReport:
    """A closed audit as its report prints it; times are UTC microseconds."""

    audit_id: int
    unit_code: str
    unit_name: str
    locations: tuple[str, ...]  # none: the unit's whole store
    mode: AuditMode
    blind: bool
    seed: str
    rounds: int
    auditor: ReportPerson
    opened_at_us: int
    closed_at_us: int
    draws: tuple[CategoryDraw, ...]
    counts: tuple[FindingCount, ...]
    discrepancies: tuple[ReportDiscrepancy, ...]
    closed_seq: int | None
    closed_hash: str | None
    checkpoint: SignedCheckpoint | None = None  # the latest the province signed when it was made

    def count(self, finding: Finding, category: AuditCategory | None = None) -> int:
        """Things classed as ``finding`` in ``category`` (None: across every category and none)."""
        return sum(
            c.count
            for c in self.counts
            if c.finding is finding and (category is None or c.category is category)
        )

    def by_finding(self) -> Mapping[Finding, int]:
        return {finding: self.count(finding) for finding in Finding}


class AuditReports:
    """Draws and reports of audits, read over :class:`~custody.audits.Audits`."""

    def __init__(self, audits: Audits) -> None:
        self.audits = audits
        self.store = audits.store

    def draw(self, viewer: Actor | None, audit_id: int) -> tuple[Audit, tuple[CategoryDraw, ...]]:
        """The audit and its draw per category (the items named unless the audit hides them)."""
        with self.store.reading() as conn:
            audit = self.audits._read(conn, viewer, audit_id)
            return audit, _draws(conn, audit, named=not audit.hidden)

    def report(self, viewer: Actor | None, audit_id: int) -> AuditReport:
        """The report's figures of a closed audit."""
        with self.store.reading() as conn:
            audit = self.audits._read(conn, viewer, audit_id)
            if audit.status is not AuditStatus.CLOSED or audit.closed_at_us is None:
                raise TransitionRefused(REPORT_OF_OPEN, audit_id=audit_id)
            closed_at = audit.closed_at_us
            seq, digest = _closing_point(conn, audit, closed_at)
            unit_name = conn.execute(
                select(_units.c.name_zh).where(_units.c.code == audit.unit_code)
            ).scalar_one()
            return AuditReport(
                audit_id=audit.id,
                unit_code=audit.unit_code,
                unit_name=unit_name,
                locations=audit.locations,
                mode=audit.mode,
                blind=audit.blind,
                seed=audit.seed,
                rounds=audit.round,
                auditor=_person(conn, audit.opened_by_id),
                opened_at_us=audit.opened_at_us,
                closed_at_us=closed_at,
                draws=_draws(conn, audit, named=False),
                counts=_counts(conn, audit, closed_at, seq),
                discrepancies=_listed(conn, audit.id),
                closed_seq=seq,
                closed_hash=digest,
                checkpoint=point_in(conn).checkpoint,
            )


# ------------------------------------------------------------------------------------- queries


def _draws(conn: Connection, audit: Audit, named: bool) -> tuple[CategoryDraw, ...]:
    population: Counter[str] = Counter()
    per_round: dict[str, Counter[int]] = {}
    for category, drawn_round, count in conn.execute(
        select(_candidates.c.category, _candidates.c.drawn_round, func.count())
        .where(_candidates.c.audit_id == audit.id)
        .group_by(_candidates.c.category, _candidates.c.drawn_round)
    ):
        population[category] += count
        if drawn_round is not None:
            per_round.setdefault(category, Counter())[drawn_round] += count
    items: dict[str, list[str]] = {}
    if named:
        for category, number in conn.execute(
            select(_candidates.c.category, _items.c.evidence_no)
            .join(_items, _items.c.id == _candidates.c.item_id)
            .where(_candidates.c.audit_id == audit.id, _candidates.c.drawn_round.is_not(None))
            .order_by(_candidates.c.category, _candidates.c.rank)
        ):
            items.setdefault(category, []).append(number)
    return tuple(
        CategoryDraw(
            category,
            population[category.value],
            tuple(per_round.get(category.value, Counter())[r] for r in range(1, audit.round + 1)),
            tuple(items.get(category.value, ())),
        )
        for category in AuditCategory
        if population[category.value]
    )


def _closing_point(conn: Connection, audit: Audit, closed_at: int) -> tuple[int | None, str | None]:
    """The ledger point the audit closed at: as recorded, or, for a closing that wrote no event (an
    audit that audited no item), the last event recorded by then."""
    if audit.closed_seq is not None:
        return audit.closed_seq, audit.closed_hash
    row = conn.execute(
        select(_events.c.seq, _events.c.hash)
        .where(_events.c.recorded_at_us <= closed_at)
        .order_by(_events.c.seq.desc())
        .limit(1)
    ).first()
    return (None, None) if row is None else (int(row[0]), str(row[1]))


def _counts(conn: Connection, audit: Audit, closed_at: int, seq: int | None) -> tuple[FindingCount, ...]:
    """Findings per category: each audited item's closing event, and each discrepancy about a code
    that names no item."""
    tally: Counter[tuple[Finding, AuditCategory | None]] = Counter()
    query = (
        select(_events.c.payload, _items.c.evidence_no)
        .join(_items, _items.c.id == _events.c.item_id)
        .where(_events.c.event_type == EventType.AUDITED.value, _events.c.recorded_at_us == closed_at)
    )
    if seq is not None:
        query = query.where(_events.c.seq <= seq)
    for payload, number in conn.execute(query):
        fields = json.loads(payload)
        if fields.get("audit_id") == audit.id:
            tally[(Finding(fields["finding"]), category_of(number))] += 1
    for finding, category in conn.execute(
        select(_discrepancies.c.finding, _discrepancies.c.category).where(
            _discrepancies.c.audit_id == audit.id, _discrepancies.c.item_id.is_(None)
        )
    ):
        tally[(Finding(finding), None if category is None else AuditCategory(category))] += 1
    order = {c: i for i, c in enumerate((*AuditCategory, None))}
    return tuple(
        FindingCount(finding, category, count)
        for (finding, category), count in sorted(
            tally.items(), key=lambda kv: (list(Finding).index(kv[0][0]), order[kv[0][1]])
        )
    )


def _listed(conn: Connection, audit_id: int) -> tuple[ReportDiscrepancy, ...]:
    rows = conn.execute(
        select(_discrepancies, _users.c.username, _users.c.full_name)
        .join(_users, _users.c.id == _discrepancies.c.owner_id)
        .where(_discrepancies.c.audit_id == audit_id)
        .order_by(_discrepancies.c.id)
    ).mappings()
    return tuple(
        ReportDiscrepancy(
            id=row["id"],
            finding=Finding(row["finding"]),
            category=None if row["category"] is None else AuditCategory(row["category"]),
            code=row["code"],
            detail=row["detail"],
            owner=ReportPerson(row["username"], row["full_name"]),
            due_date=row["due_date"],
            status=DiscrepancyStatus(row["status"]),
            resolution=row["resolution"],
            resolved_seq=row["resolved_seq"],
        )
        for row in rows
    )


def _person(conn: Connection, user_id: int) -> ReportPerson:
    row = conn.execute(select(_users.c.username, _users.c.full_name).where(_users.c.id == user_id)).one()
    return ReportPerson(row[0], row[1])
