"""Tables of the provincial destruction batches (销毁批次), on the metadata of :mod:`custody.db.tables`.

A batch takes whole destruction applications (``destruction_batch_applications``, an application in one
batch only) and with them their items (``destruction_batch_items``: an item is in one batch only, ever,
which the unique key on ``item_id`` keeps even against a racing writer).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custody.db.tables import Base, BigInt


class DestructionBatchRow(Base):
    """A provincial destruction batch: who built it, the planned method, place and date, its status
    (open, approved) and who approved it. Its acts are ledger events of its items (``batch_id`` in their
    payload)."""

    __tablename__ = "destruction_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at_us: Mapped[int] = mapped_column(BigInt)
    method: Mapped[str] = mapped_column(String(16))  # smelting, cutting, crushing, shredding
    place: Mapped[str] = mapped_column(Text)
    planned_date: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD
    status: Mapped[str] = mapped_column(String(16), index=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at_us: Mapped[int | None] = mapped_column(BigInt)
    # the site (销毁现场): opened by a provincial destruction officer once two witnesses confirmed
    site_method: Mapped[str | None] = mapped_column(String(16))
    site_place: Mapped[str | None] = mapped_column(Text)
    site_officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    site_opened_at_us: Mapped[int | None] = mapped_column(BigInt)
    # the station whose scans are taken into the open site (none: the officer's own reads only)
    site_station_name: Mapped[str | None] = mapped_column(String(64), index=True)
    # closing fixes the point of the ledger the batch ends at
    closed_at_us: Mapped[int | None] = mapped_column(BigInt)
    closed_seq: Mapped[int | None] = mapped_column(BigInt)
    closed_hash: Mapped[str | None] = mapped_column(String(64))


class DestructionBatchApplicationRow(Base):
    """The applications a batch took (each in one batch only)."""

    __tablename__ = "destruction_batch_applications"

    batch_id: Mapped[int] = mapped_column(ForeignKey("destruction_batches.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("destruction_applications.id"), primary_key=True)


class DestructionBatchItemRow(Base):
    """The items of a batch (each in one batch only, ever)."""

    __tablename__ = "destruction_batch_items"

    batch_id: Mapped[int] = mapped_column(ForeignKey("destruction_batches.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)


class DestructionBatchWitnessRow(Base):
    """A witness of a batch's site, confirmed with their own credentials (and who recorded them)."""

    __tablename__ = "destruction_batch_witnesses"

    batch_id: Mapped[int] = mapped_column(ForeignKey("destruction_batches.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at_us: Mapped[int] = mapped_column(BigInt)


class DestructionSiteReadRow(Base):
    """One read at a batch's site, kept whatever became of it (append-only): the code (or tag UID), the
    item it named, the outcome (destroyed, repeat, counted; or a finding: unexpected, unknown,
    rounds_differ, uncounted, refused), the rounds counted and on record for a lot, who read it and
    through which station and device."""

    __tablename__ = "destruction_site_reads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("destruction_batches.id"), index=True)
    read_at_us: Mapped[int] = mapped_column(BigInt)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    code: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    counted: Mapped[int | None] = mapped_column(Integer)
    recorded: Mapped[int | None] = mapped_column(Integer)
    problem: Mapped[str | None] = mapped_column(Text)  # why a read changed nothing (a finding's text)
    station: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64))


class DestructionPhotoRow(Base):
    """A photo of the site (before or after an item's destruction), stored content-addressed by its
    SHA-256 so that a backup of the database holds it; never deleted."""

    __tablename__ = "destruction_photos"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(16))  # image/jpeg or image/png
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at_us: Mapped[int] = mapped_column(BigInt)
    stored_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
