"""Tables of sealed storage: handovers, storage locations, seals and their numbers, stores marked for a
full audit (on the metadata of :mod:`custody.db.tables`)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custody.db.tables import Base, BigInt


class HandoverRow(Base):
    """A handover (移交): items of one case offered by a clerk to a named custodian of the same-level
    public-order department, then accepted or refused by that custodian. The current state of the
    handover; its acts are ledger events of its items (``handover_id`` in their payload)."""

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_custodian_status", "custodian_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    offered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    custodian_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    offered_at_us: Mapped[int] = mapped_column(BigInt)
    decided_at_us: Mapped[int | None] = mapped_column(BigInt)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refusal_reason: Mapped[str | None] = mapped_column(Text)


class HandoverItemRow(Base):
    """The items of a handover."""

    __tablename__ = "handover_items"

    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True, index=True)


class LocationRow(Base):
    """A storage location of a unit's store: store → room → shelf → bin (:mod:`custody.codes`)."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("locations.code"))
    name: Mapped[str] = mapped_column(Text, default="")
    created_at_us: Mapped[int] = mapped_column(BigInt)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SealRow(Base):
    """A seal (封存): its number, where it lies, who sealed it before which witness, its tamper-evident tag;
    void once opened. Its acts are ledger events of the items inside (``seal_no`` in their payload)."""

    __tablename__ = "seals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seal_no: Mapped[str] = mapped_column(String(19), unique=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    location_code: Mapped[str] = mapped_column(ForeignKey("locations.code"), index=True)
    custodian_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    witness_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    tag_uid: Mapped[str | None] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(8))
    sealed_at_us: Mapped[int] = mapped_column(BigInt)
    voided_at_us: Mapped[int | None] = mapped_column(BigInt)
    void_reason: Mapped[str | None] = mapped_column(Text)


class SealItemRow(Base):
    """What a seal holds (kept after the seal is void: what it held)."""

    __tablename__ = "seal_items"

    seal_id: Mapped[int] = mapped_column(ForeignKey("seals.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True, index=True)


class SealSequenceRow(Base):
    """The gapless seal-number sequence per unit and year (seals do not share the items' sequence)."""

    __tablename__ = "seal_sequences"
    __table_args__ = (UniqueConstraint("unit_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    year: Mapped[int] = mapped_column(Integer)
    last_sequence: Mapped[int] = mapped_column(Integer)


class StoreMarkRow(Base):
    """A unit's store marked as needing a full audit (after a change of custodian, after an item is
    reported lost), until a full audit clears it."""

    __tablename__ = "store_marks"
    __table_args__ = (Index("ix_store_marks_unit_open", "unit_code", "cleared_at_us"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    reason: Mapped[str] = mapped_column(Text)
    marked_at_us: Mapped[int] = mapped_column(BigInt)
    marked_seq: Mapped[int | None] = mapped_column(BigInt)
    cleared_at_us: Mapped[int | None] = mapped_column(BigInt)
