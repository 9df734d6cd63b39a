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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from custody.errors import Message

# the encoding is defined once, in the module an outside auditor runs to verify an export offline
from custody.verify_export import GENESIS_HASH, HASHED_COLUMNS, SEPARATOR, encode_event

ALL_COLUMNS = (*HASHED_COLUMNS, "hash")
_HEX = "0123456789abcdef"
HEAD_MALFORMED = Message("ledger.head_malformed", "expected SEQ:HASH (64 hex digits), got {given!r}")


# One encoder for every payload (``json.dumps`` with these options builds a new one per call).
_PAYLOAD_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_payload(payload: dict[str, Any]) -> str:
    """The payload as stored: JSON with sorted keys, no spaces, UTF-8 text (not ASCII escapes)."""
    return _PAYLOAD_ENCODER.encode(payload)


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
        digest = digest.lower()
        if not (seq.isascii() and seq.isdigit()) or len(digest) != 64 or digest.strip(_HEX):
            raise ValueError(HEAD_MALFORMED.render({"given": text[:100]}))
        return cls(int(seq), digest)


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of a verification.

    ``first_bad_seq`` names an event that is provably wrong: the chain breaks there (a gap, a broken
    link, a hash that does not match the contents, an unreadable value) or it is missing from the end.
    A head recorded earlier proves only that the history *at or before* its seq differs
    (``head_mismatch``): a chain rewritten from any point on is consistent in itself, so no seq is named.
    A history recorded earlier (``expect_history``) names the first seq whose hash differs from it
    (``first_differing_seq``).
    """

    ok: bool
    events: int
    head: Head
    first_bad_seq: int | None = None
    reason: str | None = None
    head_mismatch: bool = False
    expected_head: Head | None = None
    found_head: Head | None = None  # the stored event at the expected head's seq
    first_differing_seq: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"ok": self.ok, "events": self.events, "head": str(self.head)}
        if self.ok:
            return out
        if self.first_bad_seq is not None:
            out["first_bad_seq"] = self.first_bad_seq
        if self.head_mismatch:
            out["head_mismatch"] = True
            out["expected_head"] = str(self.expected_head)
            out["found_head"] = None if self.found_head is None else str(self.found_head)
        if self.first_differing_seq is not None:
            out["first_differing_seq"] = self.first_differing_seq
        out["reason"] = self.reason
        return out


class _Bad(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


def parse_history(lines: Iterable[str]) -> dict[int, str]:
    """A history recorded earlier: lines ``SEQ:HASH``, or JSON objects with ``seq`` and ``hash`` (a
    ledger export, ``custody ledger export``); blank lines are skipped. Raises ``ValueError`` naming the
    first line that is neither, or a seq given twice with different hashes."""
    history: dict[int, str] = {}
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            if text.startswith("{"):
                record = json.loads(text)
                seq, digest = record["seq"], record["hash"]
                if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(digest, str):
                    raise ValueError("seq must be an integer and hash text")
                head = Head.parse(f"{seq}:{digest}")
            else:
                head = Head.parse(text)
        except (ValueError, KeyError, TypeError) as bad:
            raise ValueError(
                f"line {number}: expected SEQ:HASH or a JSON event with seq and hash ({bad})"
            ) from None
        if history.setdefault(head.seq, head.hash) != head.hash:
            raise ValueError(f"line {number}: seq {head.seq} given twice with different hashes")
    return history


def verify_rows(
    rows: Iterable[Sequence[Any]],
    expect_head: Head | None = None,
    unreadable: tuple[type[BaseException], ...] = (UnicodeDecodeError,),
    expect_history: Mapping[int, str] | None = None,
    *,
    columns: int = len(HASHED_COLUMNS),
    gapless: bool = True,
    domain: str = "",
) -> Verification:
    """Check a stream of event rows (in :data:`ALL_COLUMNS` order, ordered by seq).

    Streams: memory does not grow with the ledger. Reports the first bad seq (a gap, a broken link, a
    hash that does not match the contents, a row the driver cannot read: ``unreadable`` errors raised
    while fetching, or events cut off before an expected head); with ``expect_head``, whether the event
    at its seq has its hash (``head_mismatch``); with ``expect_history``, the first seq whose hash differs
    from the history's or that is missing. Other chains built the same way (the access log) pass their
    number of hashed ``columns``, ``domain`` (text hashed before the values) and, when their seq may
    have gaps, ``gapless=False``.
    """
    last = 0
    prev = GENESIS_HASH
    sha256 = hashlib.sha256
    sep = SEPARATOR
    n_sep = columns - 1
    check_at = expect_head.seq if expect_head is not None else -1
    history = expect_history or {}
    found_head: Head | None = None
    differing: int | None = None
    bad: _Bad | None = None
    count = 0
    try:
        for row in rows:
            seq = row[0]
            if seq != last + 1 and (gapless or not isinstance(seq, int) or seq <= last):
                if isinstance(seq, int) and seq > last:
                    raise _Bad(last + 1, f"seq {last + 1} missing")
                raise _Bad(last + 1, f"seq {last + 1} out of order (found {seq!r} after {last})")
            if row[1] != prev:
                raise _Bad(seq, f"seq {seq}: prev_hash does not match the hash of seq {last}")
            text = sep.join(map(str, row[:-1]))
            if text.count(sep) != n_sep:
                raise _Bad(seq, f"seq {seq}: a value contains the separator U+001F")
            if sha256((domain + text).encode() if domain else text.encode()).hexdigest() != row[-1]:
                raise _Bad(seq, f"seq {seq}: hash does not match the event's contents")
            prev = row[-1]
            last = seq
            count += 1
            if seq == check_at:
                found_head = Head(seq, prev)
            if history and differing is None and history.get(seq, prev) != prev:
                differing = seq
    except _Bad as broken:
        bad = broken
    except unreadable as error:
        bad = _Bad(last + 1, f"seq {last + 1}: a stored value cannot be read ({error})")
    return _judge(Head(last, prev), count, bad, expect_head, found_head, history, differing)


def _judge(
    head: Head,
    count: int,
    bad: _Bad | None,
    expect_head: Head | None,
    found_head: Head | None,
    history: Mapping[int, str],
    differing: int | None,
) -> Verification:
    """The verification of a chain read up to ``head`` (or to ``bad``), against what was expected."""
    if differing is None and bad is None:
        beyond = [seq for seq in history if seq > head.seq]
        differing = min(beyond) if beyond else None
    mismatch = expect_head is not None and found_head is not None and found_head.hash != expect_head.hash
    reasons: list[str] = []
    first_bad = None
    if bad is not None:
        first_bad = bad.seq
        reasons.append(bad.reason)
    elif expect_head is not None and head.seq < expect_head.seq:
        first_bad = head.seq + 1
        reasons.append(
            f"seq {head.seq + 1} missing: the ledger ends at {head.seq}, expected head {expect_head.seq}"
        )
    if mismatch:
        assert found_head is not None
        reasons.append(
            f"head_mismatch: the event at seq {found_head.seq} has another hash than the expected head: "
            f"the history differs at or before seq {found_head.seq}"
        )
    if differing is not None:
        reasons.append(f"seq {differing}: differs from the expected history (the first seq that does)")
    return Verification(
        not reasons,
        count,
        head,
        first_bad,
        "; ".join(reasons) or None,
        head_mismatch=mismatch,
        expected_head=expect_head if mismatch else None,
        found_head=found_head if mismatch else None,
        first_differing_seq=differing,
    )


__all__ = [
    "ALL_COLUMNS",
    "GENESIS_HASH",
    "HASHED_COLUMNS",
    "HEAD_MALFORMED",
    "SEPARATOR",
    "Head",
    "Verification",
    "canonical_payload",
    "encode_event",
    "event_hash",
    "parse_history",
    "verify_rows",
]
