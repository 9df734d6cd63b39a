"""The point of the ledger a report is computed at (报表所据账本位置), and the latest signed checkpoint.

Every figure of a report is computed from the custody events up to one ``seq`` (``--as-of SEQ``, or the
head when none is given), so anyone holding the ledger can compute it again and get the same numbers,
however many events came after. The report prints that point (its ``seq`` and its event's hash) and the
latest checkpoint signed by the province's key (tree size, root hash, key name), which proves that the
ledger it was computed from is the one the province signed.

:func:`point_in` reads it inside the report's own read transaction, so the figures and the point agree.
A report read on a read replica (``Store.report_reading``) also says how far the replica was behind the
primary then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from custody.db.checkpoint_tables import CheckpointRow
from custody.db.ledger_store import read_head
from custody.db.tables import EventRow
from custody.db.unit_of_work import PRIMARY_HEAD
from custody.errors import InvalidInput, Message

NOT_IN_LEDGER = Message(
    "report.as_of_not_in_ledger",
    "--as-of {as_of}: the ledger holds events 1 to {head}; a report is computed at one of them",
)

_events = cast(Table, EventRow.__table__)
_checkpoints = cast(Table, CheckpointRow.__table__)


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """The latest checkpoint signed by the province's key: the tree of its first ``tree_size`` events."""

    tree_size: int
    root_hash: str  # hex
    key_name: str
    note: str  # the signed note, as issued


@dataclass(frozen=True, slots=True)
class ReportPoint:
    """Where in the ledger a report was computed: the event ``seq`` (0: an empty ledger) and its hash,
    when that event was recorded, the head of the ledger when the report was made, and the latest
    signed checkpoint (None: none signed yet)."""

    seq: int
    hash: str
    at_us: int | None
    head_seq: int
    checkpoint: SignedCheckpoint | None
    primary_head_seq: int | None = None  # computed on a read replica: the primary's head then

    @property
    def replica_behind(self) -> int:
        """Events the primary held that the replica the report was computed on did not (0: none)."""
        return 0 if self.primary_head_seq is None else max(0, self.primary_head_seq - self.head_seq)

    @property
    def text(self) -> str:
        """``SEQ:HASH``, as `custody ledger head` prints a head and ``--expect-head`` takes it."""
        return f"{self.seq}:{self.hash}"


def point_in(conn: Connection, as_of: int | None = None) -> ReportPoint:
    """The point ``as_of`` (the head when None) of the ledger read by ``conn``; a ``seq`` the ledger
    does not hold is refused."""
    head = read_head(conn)
    seq = head.seq if as_of is None else as_of
    if isinstance(seq, bool) or not 0 <= seq <= head.seq or (as_of is not None and as_of < 1):
        raise InvalidInput(NOT_IN_LEDGER, "as_of", as_of=str(as_of), head=head.seq)
    row = (
        conn.execute(
            select(
                _checkpoints.c.tree_size,
                _checkpoints.c.root_hash,
                _checkpoints.c.key_name,
                _checkpoints.c.note,
            )
            .order_by(_checkpoints.c.tree_size.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    checkpoint = None if row is None else SignedCheckpoint(**dict(row))
    primary = conn.info.get(PRIMARY_HEAD)  # read on a replica (Store.report_reading): the primary's head
    if seq == 0:  # an empty ledger: its head is the genesis hash
        return ReportPoint(0, head.hash, None, 0, checkpoint, primary)
    event_hash, at_us = conn.execute(
        select(_events.c.hash, _events.c.recorded_at_us).where(_events.c.seq == seq)
    ).one()
    return ReportPoint(seq, str(event_hash), int(at_us), head.seq, checkpoint, primary)
