"""The custody ledger's hash chain: canonical encoding, hashing and streaming verification.

Canonical encoding of an event (version 1), documented so an outside auditor can recompute it:

* the columns, in this order: ``seq, prev_hash, recorded_at_us, event_type, item_id, case_id, actor_id,
  unit_code, station, device, witness_id, item_version, payload`` (every column but ``hash``);
* each value as text: integers in decimal ASCII, text as is, a NULL (only the integer columns
  ``item_id``, ``case_id``, ``actor_id``, ``witness_id``, ``item_version`` may be NULL; ``actor_id`` is NULL
  for what a station's device recorded) as the four letters ``None``;
* joined with the unit separator U+001F, encoded as UTF-8; no value may contain U+001F (the payload is
  JSON, which escapes control characters, and the writer refuses them elsewhere), so the encoding is
  unambiguous;
* ``hash`` = lowercase hex SHA-256 of those bytes; ``prev_hash`` of seq 1 is 64 zeros; ``seq`` starts at 1
  and has no gaps.

The hash is computed over the values exactly as stored and as the database driver returns them (integers
and text; times are integer microseconds since the Unix epoch, UTC; the payload is canonical JSON text),
never over values re-read through ORM types, so a change to any byte of any column changes the hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SEPARATOR = "\x1f"
GENESIS_HASH = "0" * 64
HASHED_COLUMNS = (
    "seq",
    "prev_hash",
    "recorded_at_us",
    "event_type",
    "item_id",
    "case_id",
    "actor_id",
    "unit_code",
    "station",
    "device",
    "witness_id",
    "item_version",
    "payload",
)
ALL_COLUMNS = (*HASHED_COLUMNS, "hash")
_SEPARATORS_PER_EVENT = len(HASHED_COLUMNS) - 1


def canonical_payload(payload: dict[str, Any]) -> str:
    """The payload as stored: JSON with sorted keys, no spaces, UTF-8 text (not ASCII escapes)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode_event(values: Sequence[object]) -> bytes:
    """Canonical bytes of one event; ``values`` in :data:`HASHED_COLUMNS` order."""
    return SEPARATOR.join(map(str, values)).encode("utf-8")


def event_hash(values: Sequence[object]) -> str:
    return hashlib.sha256(encode_event(values)).hexdigest()


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Head:
        seq, _, digest = text.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise ValueError(f"expected SEQ:HASH (64 hex digits), got {text!r}")
        return cls(int(seq), digest.lower())


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    events: int
    head: Head
    first_bad_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"ok": self.ok, "events": self.events, "head": str(self.head)}
        if not self.ok:
            out["first_bad_seq"] = self.first_bad_seq
            out["reason"] = self.reason
        return out


class _Bad(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


def verify_rows(
    rows: Iterable[Sequence[Any]],
    expect_head: Head | None = None,
    unreadable: tuple[type[BaseException], ...] = (UnicodeDecodeError,),
) -> Verification:
    """Check a stream of event rows (in :data:`ALL_COLUMNS` order, ordered by seq).

    Streams: memory does not grow with the ledger. Reports the first bad seq: a gap, a broken link, a
    hash that does not match the contents, a row the driver cannot read (``unreadable`` errors raised
    while fetching), or (with ``expect_head``) a head that is not in the chain or events cut off the end.
    """
    expected = 1
    prev = GENESIS_HASH
    sha256 = hashlib.sha256
    sep = SEPARATOR
    n_sep = _SEPARATORS_PER_EVENT
    check_at = expect_head.seq if expect_head is not None else -1
    try:
        for row in rows:
            seq = row[0]
            if seq != expected:
                if isinstance(seq, int) and seq > expected:
                    raise _Bad(expected, f"seq {expected} missing")
                raise _Bad(expected, f"seq {expected} out of order (found {seq!r})")
            if row[1] != prev:
                raise _Bad(seq, f"seq {seq}: prev_hash does not match the hash of seq {seq - 1}")
            text = sep.join(map(str, row[:-1]))
            if text.count(sep) != n_sep:
                raise _Bad(seq, f"seq {seq}: a value contains the separator U+001F")
            if sha256(text.encode()).hexdigest() != row[-1]:
                raise _Bad(seq, f"seq {seq}: hash does not match the event's contents")
            prev = row[-1]
            if seq == check_at and prev != expect_head.hash:  # type: ignore[union-attr]
                raise _Bad(seq, f"seq {seq}: hash differs from the expected head")
            expected += 1
    except _Bad as bad:
        return Verification(False, bad.seq - 1, Head(bad.seq - 1, prev), bad.seq, bad.reason)
    except unreadable as error:
        reason = f"seq {expected}: a stored value cannot be read ({error})"
        return Verification(False, expected - 1, Head(expected - 1, prev), expected, reason)
    head = Head(expected - 1, prev)
    if expect_head is not None and head.seq < expect_head.seq:
        return Verification(
            False,
            head.seq,
            head,
            head.seq + 1,
            f"seq {head.seq + 1} missing: the ledger ends at {head.seq}, expected head {expect_head.seq}",
        )
    return Verification(True, head.seq, head)
