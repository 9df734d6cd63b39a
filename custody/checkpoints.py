"""Signed checkpoints of the ledger, and proofs against them.

A checkpoint is the ledger's Merkle tree head (RFC 6962 §2.1, leaves = the events' canonical encodings,
version 1, leaf index = seq − 1) at a tree size, as a C2SP tlog-checkpoint in a signed note: the
province's key signs it (:class:`~custody.tlog.NoteSigner`, read from the file that
``CUSTODY_CHECKPOINT_KEY`` names), and anyone holding the public key checks it, with an export of the
ledger, offline (:mod:`custody.verify_export`). Checkpoints are kept in their own append-only table.

A checkpoint is computed from the previous one's compact range and the events after it, or from the first
event (``from_scratch``); either way every event read is checked against the hash chain first, so a
tampered ledger is refused, never signed. Proofs are computed from the events themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from custody.db.checkpoint_tables import CheckpointRow
from custody.db.ledger_store import raw_rows
from custody.db.unit_of_work import Store
from custody.errors import ChainBroken, InvalidInput, Message, NotFound
from custody.tlog import NoteSigner, consistency_proof, inclusion_proof
from custody.verify_export import (
    GENESIS_HASH,
    HASHED_COLUMNS,
    SEPARATOR,
    CompactRange,
    encode_event,
    leaf_hash,
)
from custody.verify_export import Checkpoint as CheckpointText

_checkpoints = cast(Table, CheckpointRow.__table__)

CHAIN_BROKEN = Message(
    "checkpoint.chain_broken", "the ledger does not verify at seq {seq} ({reason}): nothing is signed"
)
STATE_BROKEN = Message(
    "checkpoint.state_broken",
    "the stored tree of the checkpoint of size {size} does not give its root: make one from scratch",
)
NO_CHECKPOINT = Message("checkpoint.none", "no checkpoint of size {size}")
NO_CHECKPOINTS = Message("checkpoint.none_yet", "no checkpoint has been made yet")
BAD_RANGE = Message(
    "checkpoint.bad_range", "{what}: 1 <= {first} <= {second} <= the ledger's {events} events"
)


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as kept: its tree size, root (hex), origin, signing key's name, the signed note."""

    tree_size: int
    root_hash: str
    origin: str
    key_name: str
    note: str
    created_at_us: int


@dataclass(frozen=True)
class InclusionProof:
    """The event ``seq`` is leaf ``seq − 1`` of the tree of ``tree_size`` events with ``root_hash``."""

    seq: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: tuple[str, ...]


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of ``first`` events is a prefix of the tree of ``second`` events."""

    first: int
    second: int
    first_root: str
    second_root: str
    proof: tuple[str, ...]


def _checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(row.tree_size, row.root_hash, row.origin, row.key_name, row.note, row.created_at_us)


class Checkpoints:
    """The ledger's checkpoints, over one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -------------------------------------------------------------------------------- making one

    def make(self, signer: NoteSigner, from_scratch: bool = False) -> Checkpoint:
        """Sign the ledger's tree head as it stands now (the head's checkpoint if one exists)."""
        start, tree = 0, CompactRange()
        prev = GENESIS_HASH
        latest = None if from_scratch else self._latest_row()
        if latest is not None:
            tree = CompactRange(
                latest.tree_size, [bytes.fromhex(h) for h in latest.compact_range.split(",") if h]
            )
            if tree.root().hex() != latest.root_hash:
                raise InvalidInput(STATE_BROKEN, "from_scratch", size=latest.tree_size)
            start = latest.tree_size
            prev = self._hash_at(start) if start else GENESIS_HASH
        self._grow(tree, prev)
        existing = self.get(tree.size) if tree.size else None
        if existing is not None:
            return existing
        root = tree.root()
        note = signer.sign(CheckpointText(signer.name, tree.size, root).body())
        made = Checkpoint(tree.size, root.hex(), signer.name, signer.name, note, self.store.now_us())
        row = {**made.__dict__, "compact_range": ",".join(h.hex() for h in tree.roots)}

        def keep(conn: Connection) -> Checkpoint:
            found = conn.execute(
                select(_checkpoints).where(_checkpoints.c.tree_size == made.tree_size)
            ).first()
            if found is not None:  # made meanwhile by another caller: theirs stands
                return _checkpoint(found)
            conn.execute(insert(_checkpoints).values(**row))
            return made

        return self.store.write(keep)

    # ------------------------------------------------------------------------------------ reads

    def latest(self) -> Checkpoint:
        row = self._latest_row()
        if row is None:
            raise NotFound(NO_CHECKPOINTS)
        return _checkpoint(row)

    def get(self, tree_size: int) -> Checkpoint | None:
        with self.store.reading() as conn:
            row = conn.execute(select(_checkpoints).where(_checkpoints.c.tree_size == tree_size)).first()
        return None if row is None else _checkpoint(row)

    def issued(self) -> list[Checkpoint]:
        """Every checkpoint, oldest first."""
        with self.store.reading() as conn:
            rows = conn.execute(select(_checkpoints).order_by(_checkpoints.c.tree_size)).all()
        return [_checkpoint(r) for r in rows]

    def inclusion(self, seq: int, tree_size: int | None = None) -> InclusionProof:
        """The proof that event ``seq`` is in the tree of ``tree_size`` events (default: the latest
        checkpoint's)."""
        size = self.latest().tree_size if tree_size is None else tree_size
        hashes = self._leaf_hashes(size, "an inclusion proof", seq)
        proof = inclusion_proof(hashes, seq - 1)
        root = self._root(hashes)
        return InclusionProof(seq, size, hashes[seq - 1].hex(), root, tuple(p.hex() for p in proof))

    def consistency(self, first: int, second: int | None = None) -> ConsistencyProof:
        """The proof that the tree of ``first`` events is a prefix of the tree of ``second`` (default:
        the latest checkpoint's)."""
        size = self.latest().tree_size if second is None else second
        hashes = self._leaf_hashes(size, "a consistency proof", first)
        proof = consistency_proof(hashes, first)
        return ConsistencyProof(
            first,
            size,
            self._root(hashes[:first]),
            self._root(hashes),
            tuple(p.hex() for p in proof),
        )

    # ---------------------------------------------------------------------------------- helpers

    def _root(self, hashes: list[bytes]) -> str:
        tree = CompactRange()
        for h in hashes:
            tree.append(h)
        return tree.root().hex()

    def _latest_row(self) -> Any:
        with self.store.reading() as conn:
            return conn.execute(
                select(_checkpoints).order_by(_checkpoints.c.tree_size.desc()).limit(1)
            ).first()

    def _hash_at(self, seq: int) -> str:
        with self.store.reading() as conn:
            found = conn.exec_driver_sql(
                f"SELECT hash FROM custody_events WHERE seq = {int(seq)}"  # noqa: S608 - an integer
            ).scalar_one_or_none()
        if found is None:
            raise ChainBroken(CHAIN_BROKEN, seq=seq, reason="a checkpointed event is missing")
        return str(found)

    def _grow(self, tree: CompactRange, prev: str) -> None:
        """Append to ``tree`` the leaves of the events after its size, each checked against the hash
        chain first (from ``prev``, the hash of the event at its size). One loop with everything at
        hand: a checkpoint from scratch reads every event of the ledger."""
        statement = (
            f"SELECT {', '.join(HASHED_COLUMNS)}, hash FROM custody_events "  # noqa: S608 - constants
            f"WHERE seq > {int(tree.size)} ORDER BY seq"
        )
        sha256, separator, roots = hashlib.sha256, SEPARATOR, tree.roots
        size = expected = tree.size
        with raw_rows(self.store.engine, statement) as rows:
            for row in rows:
                expected += 1
                leaf = separator.join(map(str, row[:-1])).encode("utf-8")  # encode_event, version 1
                stored = row[-1]
                if row[0] != expected or row[1] != prev or sha256(leaf).hexdigest() != stored:
                    reason = (
                        "an event is missing"
                        if row[0] != expected
                        else "broken link"
                        if row[1] != prev
                        else "hash does not match the contents"
                    )
                    raise ChainBroken(CHAIN_BROKEN, seq=expected, reason=reason)
                prev = stored
                merged = sha256(b"\x00" + leaf).digest()
                grown = size
                while grown & 1:  # as CompactRange.append
                    merged = sha256(b"\x01" + roots.pop() + merged).digest()
                    grown >>= 1
                roots.append(merged)
                size += 1
        tree.size = size

    def _leaves(self, after: int, upto: int | None = None) -> Iterator[tuple[int, str, tuple[str, bytes]]]:
        """(seq, stored hash, (prev_hash, canonical encoding)) of the events after seq ``after``."""
        limit = "" if upto is None else f" AND seq <= {int(upto)}"
        statement = (
            f"SELECT {', '.join(HASHED_COLUMNS)}, hash FROM custody_events "  # noqa: S608 - constants
            f"WHERE seq > {int(after)}{limit} ORDER BY seq"
        )
        expected = after
        with raw_rows(self.store.engine, statement) as rows:
            for row in rows:
                expected += 1
                if row[0] != expected:
                    raise ChainBroken(CHAIN_BROKEN, seq=expected, reason="an event is missing")
                yield row[0], row[-1], (row[1], encode_event(row[:-1]))

    def _leaf_hashes(self, size: int, what: str, first: int) -> list[bytes]:
        head = self.store_head()
        if not 1 <= first <= size <= head:
            raise InvalidInput(BAD_RANGE, "seq", what=what, first=first, second=size, events=head)
        return [leaf_hash(leaf[1]) for _seq, _hash, leaf in self._leaves(0, size)]

    def store_head(self) -> int:
        with self.store.reading() as conn:
            return int(conn.exec_driver_sql("SELECT COALESCE(MAX(seq), 0) FROM custody_events").scalar_one())
