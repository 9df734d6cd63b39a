"""The figures of a destruction batch's report (销毁批次报告), computed from the custody events as of one
ledger point: by default the point the batch closed at (``closed_seq``), the head while it is not
closed, or any ``as_of`` the ledger holds. Values only; ``reports.batch`` renders them.

* **Tallies**, per owning unit, kind, firearm type and calibre: items (and rounds, for ammunition lots)
  approved, destroyed and withdrawn, from the batch's ``approved``, ``destroyed`` and
  ``withdrawn_from_batch`` events up to the point; ``totals`` are counted over every item apart from the
  rows, so a renderer can check that the rows add up to them.
* **Items**: each with its serial number, rounds (of a lot), its state at the point (its events folded
  through the transition table, as replay does) and, for a firearm, the evidence numbers of its
  ballistic samples on record by then.
* **Photos** (``photographed`` events up to the point, with their bytes), **witnesses**, the site's
  **findings** (reads that changed nothing: unknown, unexpected, rounds_differ, uncounted, refused),
  the planned and the site's method and place, who opened the site and who approved the batch.

A finding, a witness's confirmation and the site's opening write no event: they are placed by their
time, before the first event after the point (all of them once the batch closed at or before it).
Readers: destruction officers, auditors, statistics and custodians, each within its units (a batch none
of whose items is in the reader's units is answered as missing; the province sees every batch).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.batch_report_items import FoldedItem, folded_items, photo_contents, samples_of
from custody.batch_site import read_site
from custody.batches import visible_batch
from custody.clock import from_us, to_us
from custody.db.batch_tables import DestructionBatchItemRow, DestructionBatchRow, DestructionSiteReadRow
from custody.db.tables import EventRow, ItemRow, UnitRow, UserRow
from custody.db.unit_of_work import Store
from custody.model import ItemState, Role
from custody.numbers import ItemKind
from custody.report_point import ReportPoint, point_in
from custody.site_reads import FINDINGS

READERS = frozenset({Role.DESTRUCTION_OFFICER, Role.AUDITOR, Role.STATISTICS, Role.CUSTODIAN})

_batches = cast(Table, DestructionBatchRow.__table__)
_reads = cast(Table, DestructionSiteReadRow.__table__)
_batch_items = cast(Table, DestructionBatchItemRow.__table__)
_events = cast(Table, EventRow.__table__)
_items = cast(Table, ItemRow.__table__)
_units = cast(Table, UnitRow.__table__)
_users = cast(Table, UserRow.__table__)


@dataclass(frozen=True, slots=True)
class Tally:
    """Items (and rounds of ammunition lots) in the batch, approved, destroyed and withdrawn."""

    batched: int = 0
    approved: int = 0
    destroyed: int = 0
    withdrawn: int = 0
    rounds_approved: int = 0
    rounds_destroyed: int = 0
    rounds_withdrawn: int = 0

    @property
    def pending(self) -> int:
        """Approved, neither destroyed nor withdrawn (yet)."""
        return self.approved - self.destroyed - self.withdrawn

    @property
    def rounds_pending(self) -> int:
        return self.rounds_approved - self.rounds_destroyed - self.rounds_withdrawn

    def plus(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))


def _fields(tally: Tally) -> tuple[int, ...]:
    return (
        tally.batched,
        tally.approved,
        tally.destroyed,
        tally.withdrawn,
        tally.rounds_approved,
        tally.rounds_destroyed,
        tally.rounds_withdrawn,
    )


@dataclass(frozen=True, slots=True)
class TallyRow:
    """The tally of one owning unit, kind, firearm type and calibre."""

    unit_code: str
    unit_name: str
    kind: ItemKind
    firearm_type: str | None
    calibre: str | None
    tally: Tally


@dataclass(frozen=True, slots=True)
class ReportItem:
    """An item of the batch at the point. ``outcome``: what the batch did to it by then (``batched``,
    ``approved``, ``destroyed``, ``withdrawn``); ``rounds``: a lot's rounds as the batch counts them
    (when approved, else at the point)."""

    evidence_no: str
    kind: ItemKind
    unit_code: str
    firearm_type: str | None
    calibre: str | None
    serial_number: str | None
    rounds: int | None
    state: ItemState | None  # None: not registered by the point
    outcome: str
    samples: tuple[str, ...]  # a firearm's ballistic samples (evidence numbers)
    reason: str | None = None  # why it was withdrawn


@dataclass(frozen=True, slots=True)
class ReportPhoto:
    evidence_no: str
    stage: str  # before | after
    sha256: str
    media_type: str
    size: int
    seq: int  # the photographed event
    content: bytes


@dataclass(frozen=True, slots=True)
class ReportWitness:
    username: str
    name: str
    unit_code: str
    unit_name: str
    confirmed_at: str  # ISO 8601, UTC


@dataclass(frozen=True, slots=True)
class ReportFinding:
    """A read at the site that changed nothing."""

    status: str
    code: str
    evidence_no: str | None
    counted: int | None
    recorded: int | None
    detail: str
    read_at: str  # ISO 8601, UTC


@dataclass(frozen=True, slots=True)
class Person:
    username: str
    name: str


@dataclass(frozen=True, slots=True)
class BatchReport:
    """A destruction batch as its report prints it, as of ``point``."""

    batch_id: int
    point: ReportPoint
    status: str  # the batch's status at the point: open, approved, site or closed
    planned_method: str
    planned_place: str
    planned_date: str
    site_method: str | None
    site_place: str | None
    opened_at: str | None
    closed_at: str | None
    builder: Person
    officer: Person | None  # who opened the site
    approver: Person | None
    closed_seq: int | None
    closed_hash: str | None
    rows: tuple[TallyRow, ...]
    totals: Tally
    items: tuple[ReportItem, ...]
    witnesses: tuple[ReportWitness, ...]
    photos: tuple[ReportPhoto, ...]
    findings: tuple[ReportFinding, ...]


class BatchReports:
    """Reports of destruction batches, each computed in one read transaction at one ledger point."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def report(self, viewer: Actor | None, batch_id: int, as_of: int | None = None) -> BatchReport:
        """The report of the batch (in the viewer's units) as of ``as_of``, or of its closing point, or
        of the head."""
        if viewer is not None:
            require_role(viewer, READERS, "read destruction batch reports")
        with self.store.report_reading() as conn:
            visible_batch(conn, self.store, viewer, batch_id)
            site = read_site(conn, batch_id)
            point = point_in(conn, as_of if as_of is not None else site.closed_seq)
            return _report(conn, batch_id, point)


def _report(conn: Connection, batch_id: int, point: ReportPoint) -> BatchReport:
    row = conn.execute(select(_batches).where(_batches.c.id == batch_id)).mappings().one()
    site = read_site(conn, batch_id)
    closed = site.closed_seq is not None and site.closed_seq <= point.seq
    horizon = None if closed else _horizon(conn, point)

    def by_then(at_us: int | None) -> bool:
        return at_us is not None and (horizon is None or at_us < horizon)

    folded = folded_items(conn, batch_id, point.seq)
    samples = samples_of(conn, batch_id, point.seq)
    numbers: dict[int, str] = dict(
        conn.execute(
            select(_items.c.id, _items.c.evidence_no)
            .join(_batch_items, _batch_items.c.item_id == _items.c.id)
            .where(_batch_items.c.batch_id == batch_id)
        ).all()
    )
    names = dict(conn.execute(select(_units.c.code, _units.c.name_zh)).all())
    items, rows, totals = _tallied(folded, samples, numbers, names)
    approved = any(f.approved for f in folded.values())
    opened = by_then(row["site_opened_at_us"])
    status = "closed" if closed else "site" if opened else "approved" if approved else "open"
    return BatchReport(
        batch_id=batch_id,
        point=point,
        status=status,
        planned_method=row["method"],
        planned_place=row["place"],
        planned_date=row["planned_date"],
        site_method=site.method if opened else None,
        site_place=site.place if opened else None,
        opened_at=site.opened_at if opened else None,
        closed_at=site.closed_at if closed else None,
        builder=_someone(conn, row["created_by_id"]),
        officer=_person(conn, row["site_officer_id"]) if opened else None,
        approver=_person(conn, row["approved_by_id"]) if approved else None,
        closed_seq=site.closed_seq if closed else None,
        closed_hash=site.closed_hash if closed else None,
        rows=rows,
        totals=totals,
        items=items,
        witnesses=tuple(
            ReportWitness(w.username, w.full_name, w.unit_code, names.get(w.unit_code, ""), w.confirmed_at)
            for w in site.witnesses
            if by_then(_us(w.confirmed_at))
        ),
        photos=_photos(conn, folded, numbers),
        findings=_findings(conn, batch_id, by_then),
    )


def _tallied(
    folded: dict[int, FoldedItem],
    samples: dict[int, tuple[str, ...]],
    numbers: dict[int, str],
    names: dict[str, str],
) -> tuple[tuple[ReportItem, ...], tuple[TallyRow, ...], Tally]:
    per_row: dict[tuple[str, str, str, str], Tally] = {}
    kinds: dict[tuple[str, str, str, str], tuple[ItemKind, str | None, str | None]] = {}
    counted: Counter[str] = Counter()
    items: list[ReportItem] = []
    for item_id, one in folded.items():
        if not one.batched:
            continue  # taken into the batch after the point
        item = one.item
        number = numbers[item_id]
        kind = ItemKind(number[0]) if item is None else item.kind
        unit = "" if item is None else item.unit_code
        firearm_type = None if item is None else item.firearm_type
        calibre = None if item is None else item.calibre
        current = None if item is None else item.quantity_rounds
        rounds = one.rounds_approved if one.approved else current
        tally = Tally(
            int(one.batched),
            int(one.approved),
            int(one.destroyed),
            int(one.withdrawn),
            (one.rounds_approved or 0) if one.approved else 0,
            (one.rounds_destroyed or 0) if one.destroyed else 0,
            (one.rounds_withdrawn or 0) if one.withdrawn else 0,
        )
        for name, value in zip(
            ("batched", "approved", "destroyed", "withdrawn", "ra", "rd", "rw"), _fields(tally), strict=True
        ):
            counted[name] += value
        key = (unit, kind.value, firearm_type or "", calibre or "")
        per_row[key] = per_row.get(key, Tally()).plus(tally)
        kinds[key] = (kind, firearm_type, calibre)
        outcome = (
            "destroyed"
            if one.destroyed
            else "withdrawn"
            if one.withdrawn
            else "approved"
            if one.approved
            else "batched"
        )
        items.append(
            ReportItem(
                evidence_no=number,
                kind=kind,
                unit_code=unit,
                firearm_type=firearm_type,
                calibre=calibre,
                serial_number=None if item is None else item.serial_number,
                rounds=rounds,
                state=None if item is None else item.state,
                outcome=outcome,
                samples=samples.get(item_id, ()),
                reason=one.reason,
            )
        )
    rows = tuple(
        TallyRow(key[0], names.get(key[0], ""), *kinds[key], per_row[key]) for key in sorted(per_row)
    )
    totals = Tally(*(counted[n] for n in ("batched", "approved", "destroyed", "withdrawn", "ra", "rd", "rw")))
    items.sort(key=lambda i: (i.unit_code, i.evidence_no))
    return tuple(items), rows, totals


def _photos(
    conn: Connection, folded: dict[int, FoldedItem], numbers: dict[int, str]
) -> tuple[ReportPhoto, ...]:
    taken = sorted((seq, item_id, payload) for item_id, f in folded.items() for seq, payload in f.photos)
    contents = photo_contents(conn, (str(p["sha256"]) for _s, _i, p in taken))
    return tuple(
        ReportPhoto(
            numbers[item_id],
            str(payload["stage"]),
            str(payload["sha256"]),
            str(payload.get("media_type", "")),
            int(payload.get("size", 0)),
            seq,
            contents.get(str(payload["sha256"]), b""),
        )
        for seq, item_id, payload in taken
    )


def _findings(
    conn: Connection, batch_id: int, by_then: Callable[[int | None], bool]
) -> tuple[ReportFinding, ...]:
    rows = conn.execute(
        select(_reads, _items.c.evidence_no)
        .outerjoin(_items, _items.c.id == _reads.c.item_id)
        .where(_reads.c.batch_id == batch_id, _reads.c.outcome.in_(sorted(FINDINGS)))
        .order_by(_reads.c.id)
    ).mappings()
    return tuple(
        ReportFinding(
            r["outcome"],
            r["code"],
            r["evidence_no"],
            r["counted"],
            r["recorded"],
            r["problem"] or "",
            from_us(r["read_at_us"]).isoformat(),
        )
        for r in rows
        if by_then(r["read_at_us"])
    )


def _horizon(conn: Connection, point: ReportPoint) -> int | None:
    """When the first event after the point was recorded (None: the point is the head)."""
    found: int | None = conn.execute(
        select(_events.c.recorded_at_us).where(_events.c.seq == point.seq + 1)
    ).scalar_one_or_none()
    return found


def _person(conn: Connection, user_id: int | None) -> Person | None:
    return None if user_id is None else _someone(conn, user_id)


def _someone(conn: Connection, user_id: int) -> Person:
    username, name = conn.execute(
        select(_users.c.username, _users.c.full_name).where(_users.c.id == user_id)
    ).one()
    return Person(username, name)


def _us(iso: str) -> int:
    return to_us(datetime.fromisoformat(iso))
