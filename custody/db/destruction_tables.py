"""Tables of destruction (销毁): the applications of a city's (or the province's own) sealed store to the
province, and the items each names (on the metadata of :mod:`custody.db.tables`).

A provincial destruction batch, later, takes whole applications: it references them by their ``id``
(a batch's own link table), and an application taken into a batch has the status ``batched``.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custody.db.tables import Base, BigInt


class DestructionApplicationRow(Base):
    """A destruction application (报请销毁): its unit, its applicant, when it was made, what became of it
    (open, withdrawn, refused; batched later) and by whom. Its acts are ledger events of its items
    (``application_id`` in their payload)."""

    __tablename__ = "destruction_applications"
    __table_args__ = (Index("ix_destruction_applications_unit_status", "unit_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at_us: Mapped[int] = mapped_column(BigInt)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")  # why the unit applies (optional)
    decided_at_us: Mapped[int | None] = mapped_column(BigInt)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)  # why it was withdrawn or refused


class DestructionApplicationItemRow(Base):
    """The items an application names (kept after it is withdrawn or refused: what it named)."""

    __tablename__ = "destruction_application_items"

    application_id: Mapped[int] = mapped_column(ForeignKey("destruction_applications.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True, index=True)
