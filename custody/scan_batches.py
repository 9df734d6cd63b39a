"""A station's scans in a batch (a handheld sweeping a shelf reads many tags, many of them again): every
scan recorded as it would be alone (a sighting, or a read of the audit the station reads for; a retry
answered from its receipt), all in one writer transaction committed before the answer, each scan
answered on its own. A refused scan (malformed, unknown, a device not bound to the station) is rolled
back to its own savepoint and answered with its refusal; the others stand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from custody.audit_intake import SEEN_LATER, SeenLater
from custody.db.ledger_store import head_mark, restore_head
from custody.errors import CustodyError, InvalidInput, Message
from custody.scans import Scan, Scans, ScanSource

MAX_BATCH = 50  # scans per batch: the station agent flushes at 50 reads or 100 ms
BATCH_SIZE = Message("scan.batch_size", "a batch holds 1 to {limit} scans, got {count}")

# each scan's answer (as :meth:`Scans.record` gives it), or its refusal
Answered = dict[str, Any] | CustodyError


def record_batch(scans: Scans, source: ScanSource, batch: Sequence[Scan]) -> list[Answered]:
    """Record every scan of the batch in one transaction; one answer or refusal per scan, in order."""
    if not 1 <= len(batch) <= MAX_BATCH:
        raise InvalidInput(BATCH_SIZE, "scans", limit=MAX_BATCH, count=len(batch))
    changes: list[Callable[[Connection], dict[str, Any]] | CustodyError] = []
    for scan in batch:
        try:
            changes.append(scans.prepared(source, scan))
        except CustodyError as refused:
            changes.append(refused)

    def change(conn: Connection) -> list[Answered]:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        answers: list[Answered] = []
        seen = conn.info[SEEN_LATER] = SeenLater()  # an audit's reads: one event per item, at the end
        try:
            _record_each(conn, cursor, changes, answers)
        finally:
            del conn.info[SEEN_LATER]
        seen.write(conn)
        return answers

    return scans.store.write(change)


def _record_each(
    conn: Connection,
    cursor: Any,
    changes: Sequence[Callable[[Connection], dict[str, Any]] | CustodyError],
    answers: list[Answered],
) -> None:
    """Each scan under its own savepoint: a refusal rolls back that scan alone."""
    for each in changes:
        if isinstance(each, CustodyError):
            answers.append(each)
            continue
        mark = head_mark(conn)
        cursor.execute("SAVEPOINT custody_scan")
        try:
            answers.append(each(conn))
        except CustodyError as refused:
            cursor.execute("ROLLBACK TO SAVEPOINT custody_scan")
            restore_head(conn, mark)
            answers.append(refused)
        cursor.execute("RELEASE SAVEPOINT custody_scan")
