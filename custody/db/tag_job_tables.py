"""The table of tag-write jobs (on the metadata of :mod:`custody.db.tables`): a desk's request that a
station's reader write a tag, and what came of it.

Operational state, not the ledger: rows change as a job is taken and finished. A job that binds a tag
records the binding in the ledger by the item's own act, in the transaction that finishes the job.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custody.db.tables import Base, BigInt


class TagJobRow(Base):
    """One tag-write job: which station writes what for whom (an item, a seal), its status and times,
    and the tag read back (UID, type, tamper loop) or why it failed (a kind, a message key and its
    parameters, the station's own words)."""

    __tablename__ = "tag_jobs"
    __table_args__ = (
        Index("ix_tag_jobs_station_status", "station_id", "status"),
        Index("ix_tag_jobs_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))  # the station's: the job's scope
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    seal_id: Mapped[int | None] = mapped_column(ForeignKey("seals.id"))
    text: Mapped[str] = mapped_column(String(40), default="")  # the number written ("" when only read)
    expected_uid: Mapped[str | None] = mapped_column(String(20))  # the one tag that may be written
    wait_s: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    requested_at_us: Mapped[int] = mapped_column(BigInt)
    taken_at_us: Mapped[int | None] = mapped_column(BigInt)
    finished_at_us: Mapped[int | None] = mapped_column(BigInt)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device: Mapped[str] = mapped_column(String(128), default="")
    uid: Mapped[str | None] = mapped_column(String(20))
    tag_type: Mapped[str | None] = mapped_column(String(32))
    tamper: Mapped[str | None] = mapped_column(String(16))
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error_key: Mapped[str | None] = mapped_column(String(64))
    error_params: Mapped[str | None] = mapped_column(Text)  # a JSON object
    error_detail: Mapped[str | None] = mapped_column(Text)
