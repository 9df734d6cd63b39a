"""Tables of audits of the sealed store: audit sessions and the locations they cover, the candidates
drawn from the store (in the order anyone can recompute from the seed), what was read on the shelves,
and the discrepancies until they are resolved (on the metadata of :mod:`custody.db.tables`)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custody.db.tables import Base, BigInt


class AuditRow(Base):
    """An audit session of a unit's store (检查): its mode, seed and round, who opened it, the station
    bound to it, and, once closed, the ledger point its reconciliation was computed at."""

    __tablename__ = "audits"
    __table_args__ = (Index("ix_audits_unit_status", "unit_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    mode: Mapped[str] = mapped_column(String(8))
    blind: Mapped[bool] = mapped_column(Boolean)
    seed: Mapped[str] = mapped_column(String(64))
    station_name: Mapped[str | None] = mapped_column(String(64), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at_us: Mapped[int] = mapped_column(BigInt)
    period_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8))
    round: Mapped[int] = mapped_column(Integer)  # the round being read
    submitted_round: Mapped[int] = mapped_column(Integer)  # the last round submitted (0: none yet)
    closed_at_us: Mapped[int | None] = mapped_column(BigInt)
    closed_seq: Mapped[int | None] = mapped_column(BigInt)
    closed_hash: Mapped[str | None] = mapped_column(String(64))


class AuditLocationRow(Base):
    """A location an audit covers (with everything below it); none: the unit's whole store."""

    __tablename__ = "audit_locations"

    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), primary_key=True)
    location_code: Mapped[str] = mapped_column(ForeignKey("locations.code"), primary_key=True)


class AuditCandidateRow(Base):
    """An item in an audit's scope when it opened, with its rank in its category's draw order and the
    round that drew it (None: not drawn), and where the record put it then."""

    __tablename__ = "audit_candidates"
    __table_args__ = (Index("ix_audit_candidates_draw", "audit_id", "category", "rank"),)

    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True, index=True)
    category: Mapped[str] = mapped_column(String(12))
    rank: Mapped[int] = mapped_column(Integer)
    drawn_round: Mapped[int | None] = mapped_column(Integer)
    seal_no: Mapped[str | None] = mapped_column(String(19))
    location_code: Mapped[str | None] = mapped_column(String(40))


class AuditReadRow(Base):
    """What an audit read on the shelves, once per distinct code or tag (repeats counted): what it
    named, where it was read, the worst tamper status seen, who entered it by hand and why."""

    __tablename__ = "audit_reads"
    __table_args__ = (
        UniqueConstraint("audit_id", "read_key"),
        Index("ix_audit_reads_order", "audit_id", "id"),  # an audit's reads in the order read
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"))
    round: Mapped[int] = mapped_column(Integer)
    read_key: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(64))
    uid: Mapped[str | None] = mapped_column(String(20))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    seal_no: Mapped[str | None] = mapped_column(String(19))
    location_code: Mapped[str | None] = mapped_column(String(40))
    tamper: Mapped[str | None] = mapped_column(String(16))
    opened_before: Mapped[bool | None] = mapped_column(Boolean)
    read_count: Mapped[int] = mapped_column(Integer)
    first_at_us: Mapped[int] = mapped_column(BigInt)
    last_at_us: Mapped[int] = mapped_column(BigInt)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class DiscrepancyRow(Base):
    """A discrepancy an audit found: open, with an owner and a due date, until its owner resolves it
    and an auditor other than the owner confirms (the resolution is a ledger event of its item)."""

    __tablename__ = "discrepancies"
    __table_args__ = (
        Index("ix_discrepancies_unit_status", "unit_code", "status"),
        Index("ix_discrepancies_item_status", "item_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    finding: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(12))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    code: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_date: Mapped[str] = mapped_column(String(10))
    opened_at_us: Mapped[int] = mapped_column(BigInt)
    status: Mapped[str] = mapped_column(String(10))
    resolution: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at_us: Mapped[int | None] = mapped_column(BigInt)
    resolved_seq: Mapped[int | None] = mapped_column(BigInt)
