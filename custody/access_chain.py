"""The access log's hash chain: canonical encoding (version 1) and streaming verification.

The access log is append-only in the database (triggers refuse UPDATE, DELETE, TRUNCATE and, on SQLite,
an INSERT that would replace an existing entry), and each entry is chained to the one before it, so
an entry rewritten or removed by someone who gets past the triggers (file or superuser access) is
found. Canonical encoding of an entry, version 1, documented so an outside auditor can recompute it:

* the domain tag ``custody-access-log``, then the columns in this order: ``seq, prev_hash,
  hash_version, at_us, caller, user_id, station_id, unit_code, device, client, method, route, path,
  query, status, note`` (every column but ``hash``);
* each value as text: integers in decimal ASCII, text as is, NULL (``user_id``, ``station_id``,
  ``unit_code`` may be NULL) as the four letters ``None``;
* joined with the unit separator U+001F and encoded as UTF-8; no value contains U+001F (the log stores
  every control character as U+FFFD), so the encoding is unambiguous;
* ``hash`` = lowercase hex SHA-256 of those bytes; ``prev_hash`` of the first entry is 64 zeros;
  ``hash_version`` is 1 (an entry names the encoding it was hashed with; a verifier refuses an entry
  whose version it does not know).

Entries appended since the chain exists have gapless ``seq``; entries logged before it (chained once,
when the chain was introduced) may have gaps where a write was rolled back, so verification asks only
that ``seq`` increase and each entry link to the one before it: removing an entry breaks the link.
As for the ledger, entries cut off the end are found only against a head recorded elsewhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from custody.ledger import GENESIS_HASH, SEPARATOR, Head, Verification, verify_rows

HASH_VERSION = 1
DOMAIN = "custody-access-log" + SEPARATOR
HASHED_COLUMNS = (
    "seq",
    "prev_hash",
    "hash_version",
    "at_us",
    "caller",
    "user_id",
    "station_id",
    "unit_code",
    "device",
    "client",
    "method",
    "route",
    "path",
    "query",
    "status",
    "note",
)
ALL_COLUMNS = (*HASHED_COLUMNS, "hash")
_VERSION_AT = HASHED_COLUMNS.index("hash_version")


def entry_hash(values: Sequence[object]) -> str:
    """Hash of one entry; ``values`` in :data:`HASHED_COLUMNS` order."""
    return hashlib.sha256((DOMAIN + SEPARATOR.join(map(str, values))).encode("utf-8")).hexdigest()


def chained(head: Head, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (every hashed column but ``seq``, ``prev_hash`` and ``hash_version``) as the entry
    that follows ``head``."""
    row = {**values, "seq": head.seq + 1, "prev_hash": head.hash, "hash_version": HASH_VERSION}
    row["hash"] = entry_hash([row[c] for c in HASHED_COLUMNS])
    return row


def verify_entries(
    rows: Iterable[Sequence[Any]],
    expect_head: Head | None = None,
    unreadable: tuple[type[BaseException], ...] = (UnicodeDecodeError,),
) -> Verification:
    """Check a stream of entries (in :data:`ALL_COLUMNS` order, ordered by seq); as
    :func:`custody.ledger.verify_rows`, with seq increasing rather than gapless."""
    unknown: list[tuple[int, object]] = []

    def known_versions() -> Iterator[Sequence[Any]]:
        for row in rows:
            if row[_VERSION_AT] != HASH_VERSION:
                unknown.append((row[0], row[_VERSION_AT]))
                return
            yield row

    result = verify_rows(
        known_versions(),
        expect_head,
        unreadable,
        columns=len(HASHED_COLUMNS),
        gapless=False,
        domain=DOMAIN,
    )
    if not unknown:
        return result
    seq, version = unknown[0]
    if result.first_bad_seq is not None and result.first_bad_seq < seq:
        return result
    reason = f"seq {seq}: hash version {version!r} is not one this verifier knows"
    return Verification(False, result.events, result.head, seq, reason)


__all__ = ["ALL_COLUMNS", "GENESIS_HASH", "HASHED_COLUMNS", "chained", "entry_hash", "verify_entries"]
