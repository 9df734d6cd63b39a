"""The ledger's signed checkpoints (on the metadata of :mod:`custody.db.tables`): kept in their own
append-only table, not as ledger events, which would change the tree they sign."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custody.db.tables import Base, BigInt


class CheckpointRow(Base):
    """A signed tree head of the ledger: its size, root, the signed note as issued, and the compact
    range of the tree at that size (the roots of its perfect subtrees, hex, comma-separated), from
    which the next checkpoint is computed without the earlier events."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInt, unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(200))
    key_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)
    compact_range: Mapped[str] = mapped_column(Text)
    created_at_us: Mapped[int] = mapped_column(BigInt)
